"""JSON API for closing a repair: completion with after-photos, the owner's sign-off or refusal (and the
signed link for an owner not at home), quotes for paid repairs, return visits, and the manager's close or
reopen of a visited repair. The rules are in closing.py, signoff.py, quotes.py, visits.py."""
from __future__ import annotations

from typing import Any, Optional

import msgspec
from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.photos.storage import read_bytes
from server.photos.upload import receive_upload
from server.repairs import access, closing, quotes, selectors, services, signoff, states, visits
from server.repairs import schemas as s
from server.repairs.closing_tables import RepairSignoff
from server.settings import get_settings
from server.web.guards import allow, current_user

SIGNERS = tuple(states.TRANSITIONS["sign_off"].roles)


class SignoffIn(msgspec.Struct):
    signature: Optional[str] = None
    """The signature pad's PNG as a data URL (data:image/png;base64,...); required to sign."""
    signer_name: str = ""
    reason: str = ""
    """Required to refuse."""


class SignoffOut(msgspec.Struct):
    id: int
    repair_id: int
    completion_id: int
    outcome: str
    """signed | refused"""
    via: str
    """screen | owner_phone | link"""
    reason: str
    signer_name: str
    signature_sha256: str
    content_sha256: str
    created_at: str


class QuoteIn(msgspec.Struct):
    amount: Any = None
    """Yuan as a decimal string, more than 0, at most two decimals: "350.00"."""
    description: str = ""


class QuoteOut(msgspec.Struct):
    id: int
    repair_id: int
    amount: str
    description: str
    created_at: str


class DecisionIn(msgspec.Struct):
    accepted: Any = None
    """true to accept the latest quote, false to decline it."""


class VisitIn(msgspec.Struct):
    reached: Any = None
    satisfaction: Any = None
    """1-5 when reached; 3 and up closes the repair."""
    comment: str = ""
    follow_up: Optional[str] = None
    """For satisfaction 1-2: reopen (default) | escalate (to the CS manager)."""


class VisitOut(msgspec.Struct):
    id: int
    repair_id: int
    reached: bool
    satisfaction: Optional[int]
    comment: str
    outcome: str
    """closed | reopened | escalated | "" (not reached)"""
    status: str
    """The repair's status after the call."""


def signoff_out(record: RepairSignoff) -> SignoffOut:
    return SignoffOut(id=record.id, repair_id=record.repair, completion_id=record.completion, outcome=record.outcome,
                      via=record.via, reason=record.reason, signer_name=record.signer_name,
                      signature_sha256=record.signature_sha256, content_sha256=record.content_sha256,
                      created_at=record.created_at.isoformat())


class RepairClosingApi(Controller):
    path = "/api/v1"
    tags = ["Repairs"]

    @post("/repairs/{repair_id:int}/complete", guards=[allow(*states.TRANSITIONS["complete"].roles)],
          status_code=200)
    async def complete(self, request: Request, repair_id: int) -> s.RepairOut:
        """multipart: `note`, one or more files in `photos` (after-photos, required; JPEG, PNG, WebP, HEIC), optional
        `photo_client_id` / `photo_captured_at` per file. in_repair → completed; 409 from any other status."""
        user = current_user(request)
        repair = await closing.repairer_repair(user, repair_id)
        with await receive_upload(request) as upload:
            await closing.repair_complete(actor=user, repair=repair, note=upload.field("note"),
                                          files=upload.files_for("photos"),
                                          photo_client_ids=upload.fields.get("photo_client_id", []),
                                          photo_captured_ats=upload.fields.get("photo_captured_at", []))
        return s.repair(await selectors.repair_out(repair))

    @post("/repairs/{repair_id:int}/sign-off", guards=[allow(*SIGNERS)], status_code=201)
    async def sign_off(self, request: Request, repair_id: int, data: SignoffIn) -> SignoffOut:
        """The owner signs the completed repair: on their phone (owner), or on the repairer's (CS staff, the
        repair unit) with `signer_name`. A record never changed; a second answer is 409."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        return signoff_out(await signoff.signoff_record(actor=user, repair=repair, outcome=signoff.SIGNED,
                                                        signature=data.signature, signer_name=data.signer_name))

    @post("/repairs/{repair_id:int}/refuse", guards=[allow(*SIGNERS)], status_code=201)
    async def refuse(self, request: Request, repair_id: int, data: SignoffIn) -> SignoffOut:
        """The owner does not accept the work: `reason` required (signature optional). completed → in_repair:
        the job goes back to the repair unit. A record never changed."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        return signoff_out(await signoff.signoff_record(actor=user, repair=repair, outcome=signoff.REFUSED,
                                                        signature=data.signature, signer_name=data.signer_name,
                                                        reason=data.reason))

    @post("/repairs/{repair_id:int}/sign-off-link", guards=[allow(*states.TRANSITIONS["complete"].roles)],
          status_code=200)
    async def sign_off_link(self, request: Request, repair_id: int) -> dict:
        """For an owner not at home: a signed link (no password) to sign or refuse this completion, valid
        for 7 days and only while it is the latest completion. → {"url", "days"}. 409 unless completed."""
        from server.errors import Conflict

        repair = await closing.repairer_repair(current_user(request), repair_id)
        completion = await closing.latest_completion(repair.id)
        if repair.status != states.COMPLETED or completion is None:
            raise Conflict(_("This repair cannot be changed this way in its current state."))
        token = signoff.link_token(repair.id, completion.id)
        return {"url": f"{get_settings().base_url}/repairs/sign/{token}", "days": signoff.LINK_DAYS}

    @get("/repair-signoffs/{signoff_id:int}/signature", guards=[allow(*roles.STAFF, roles.OWNER)],
         include_in_schema=False)
    async def signature(self, request: Request, signoff_id: int) -> Response:
        record = await RepairSignoff.objects().get(RepairSignoff.id == signoff_id).run()
        if record is None or not record.signature_key:
            raise NotFound(_("The page or record was not found."))
        await access.repair_for(current_user(request), record.repair)
        return Response(await read_bytes(record.signature_key), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})

    @post("/repairs/{repair_id:int}/quotes", guards=[allow(*quotes.QUOTERS)], status_code=201)
    async def quote(self, request: Request, repair_id: int, data: QuoteIn) -> QuoteOut:
        """A price for a repair the owner pays for: {"amount": "350.00" (yuan), "description"}. Only the latest
        quote counts; 409 once the owner accepted one, or outside triaged … assigned."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        q = await quotes.quote_create(actor=user, repair=repair, amount=data.amount, description=data.description)
        return QuoteOut(id=q.id, repair_id=repair.id, amount=f"{q.amount:.2f}", description=q.description,
                        created_at=q.created_at.isoformat())

    @post("/repairs/{repair_id:int}/quote-decision", guards=[allow(roles.OWNER)], status_code=201)
    async def quote_decision(self, request: Request, repair_id: int, data: DecisionIn) -> dict:
        """The owner accepts or declines the latest quote: {"accepted": true|false}. Work on a repair the owner
        pays for starts only after an accepted quote; a declined one waits for a new quote. 409 when there is
        no quote waiting."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        d = await quotes.quote_decide(actor=user, repair=repair, accepted=data.accepted)
        return {"id": d.id, "quote_id": d.quote, "accepted": d.accepted, "created_at": d.created_at.isoformat()}

    @post("/repairs/{repair_id:int}/visits", guards=[allow(*visits.CALLERS)], status_code=201)
    async def visit(self, request: Request, repair_id: int, data: VisitIn) -> VisitOut:
        """A return-visit call of a signed-off repair: {"reached", "satisfaction" 1-5, "comment", "follow_up"}.
        Not reached: stays on the call list. 3-5: visited and closed. 1-2: visited, then reopened or (follow_up
        "escalate") left for the CS manager, who is told."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        v = await visits.visit_record(actor=user, repair=repair, reached=data.reached, satisfaction=data.satisfaction,
                                      comment=data.comment, follow_up=data.follow_up)
        return VisitOut(id=v.id, repair_id=repair.id, reached=v.reached, satisfaction=v.satisfaction,
                        comment=v.comment, outcome=v.outcome, status=repair.status)

    @get("/repair-visits/due", guards=[allow(*visits.CALLERS)])
    async def call_list(self, request: Request) -> dict:
        """The return-visit call list: signed-off repairs whose day has come, not visited yet, oldest first.
        → {"items": [{"repair_id", "due_on", "calls"}], "total"}."""
        rows = await visits.call_list()
        return {"items": [{"repair_id": r["repair"], "due_on": r["due_on"].isoformat(), "calls": r["calls"]}
                          for r in rows], "total": len(rows)}

    @post("/repairs/{repair_id:int}/close", guards=[allow(*states.TRANSITIONS["close"].roles)], status_code=200)
    async def close(self, request: Request, repair_id: int) -> s.RepairOut:
        """The CS manager closes a visited repair (after an escalated visit). 409 from any other status."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await services.repair_transition(actor=user, repair=repair, action="close")
        return s.repair(await selectors.repair_out(repair))

    @post("/repairs/{repair_id:int}/reopen", guards=[allow(*states.TRANSITIONS["reopen"].roles)], status_code=200)
    async def reopen(self, request: Request, repair_id: int) -> s.RepairOut:
        """Reopen a visited or closed repair (the problem is back): it is triaged again."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await services.repair_transition(actor=user, repair=repair, action="reopen")
        return s.repair(await selectors.repair_out(repair))
