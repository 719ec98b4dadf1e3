"""Pages for closing a repair: the repairer completes it with after-photos; the owner signs (on the
repairer's phone, on their own, or from a signed link) or refuses with a reason; CS quotes a paid repair
and the owner answers on their phone; the return-visit call list and its calls; the manager's close or
reopen. The forms live in templates/repairs/_closing_*.html on the repair's page (detail.html); a refused
form comes back there with the messages beside the fields and what was typed kept.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader

from server.accounts import roles
from server.errors import Conflict, DomainError, Forbidden, Invalid
from server.i18n import _
from server.org.pages import Form, done, typed
from server.photos.upload import receive_upload
from server.repairs import access, closing, quotes, selectors, services, signoff, states, visits
from server.repairs.closing_selectors import closing_of
from server.repairs.pages import _detail_context
from server.repairs.pages_repair_item import repair_item
from server.repairs.tables import RepairRequest
from server.settings import get_settings
from server.web.guards import allow, current_user
from server.web.templating import render

REPAIRERS = tuple(states.TRANSITIONS["complete"].roles)
SCREEN_SIGNERS = tuple(r for r in states.TRANSITIONS["sign_off"].roles if r != roles.OWNER)
CS = (roles.CS_STAFF, roles.ADMIN)


async def _detail(request: Request, repair: RepairRequest, *, staff: bool = True, status_code: int = 200,
                  form: dict | None = None, errors: dict | None = None, message: str | None = None,
                  **extra: Any) -> Response:
    return render(request, "repairs/detail.html", status_code=status_code, staff=staff,
                  back="/repairs" if staff else "/owner/repairs", form=form or {}, errors=errors or {},
                  message=message, **await _detail_context(repair), **extra)


def photos_through(base: str, photos: list[dict]) -> None:
    """Point these photos' links at `base`/photos/… (a password-free link serves its job's photos itself)."""
    for photo in photos:
        photo["urls"] = {v: f"{base}/photos/{photo['id']}/{v}" for v in ("display", "thumb")}


async def _sign_page(request: Request, repair: RepairRequest, *, action: str, back: str, status_code: int = 200,
                     form: dict | None = None, errors: dict | None = None, message: str | None = None,
                     photos_base: str = "") -> Response:
    closing = await closing_of(repair)
    if photos_base:
        photos_through(photos_base, closing["after_photos"])
    return render(request, "repairs/sign.html", status_code=status_code, repair=await selectors.repair_out(repair),
                  place=await selectors.unit_place(repair.unit), closing=closing, action=action, back=back,
                  form=form or {}, errors=errors or {}, message=message)


async def _answer(request: Request, actor: Any, repair: RepairRequest, data: dict, *, action: str, back: str,
                  done_url: str, via: str = "", completion_id: int | None = None, photos_base: str = "") -> Response:
    """Sign or refuse (the button pressed says which), from any of the three places."""
    outcome = signoff.REFUSED if data.get("outcome") == signoff.REFUSED else signoff.SIGNED
    try:
        await signoff.signoff_record(actor=actor, repair=repair, outcome=outcome, signature=data.get("signature"),
                                     signer_name=data.get("signer_name"), reason=data.get("reason"), via=via,
                                     completion_id=completion_id)
    except (Invalid, Conflict) as exc:
        return await _sign_page(request, repair, action=action, back=back, status_code=exc.status_code,
                                form=typed(data), errors=exc.field_errors, message=exc.message,
                                photos_base=photos_base)
    return done(request, done_url, _("Thank you: the owner's answer is recorded.") if outcome == signoff.SIGNED
                else _("The refusal is recorded; the job goes back to the repair unit."))


class ClosingPages(Controller):
    path = "/repairs"

    @post("/{repair_id:int}/complete", guards=[allow(*REPAIRERS)])
    async def complete(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await closing.repairer_repair(user, repair_id)
        with await receive_upload(request) as upload:
            note = upload.field("note") or ""
            try:
                await closing.repair_complete(actor=user, repair=repair, note=note, files=upload.files_for("photos"),
                                              photo_client_ids=upload.fields.get("photo_client_id", []),
                                              photo_captured_ats=upload.fields.get("photo_captured_at", []))
            except (Invalid, Conflict) as exc:
                return await _detail(request, repair, status_code=exc.status_code, form={"note": note},
                                     errors=exc.field_errors or {"photos": exc.message}, message=exc.message)
        return done(request, f"/repairs/{repair_id}/sign", _("The repair is done. Now the owner signs."))

    @get("/{repair_id:int}/sign", guards=[allow(*SCREEN_SIGNERS)])
    async def sign_page(self, request: Request, repair_id: int) -> Response:
        """The sign pad on the repairer's phone, handed to the owner."""
        repair = await access.repair_for(current_user(request), repair_id)
        return await _sign_page(request, repair, action=f"/repairs/{repair_id}/sign", back=f"/repairs/{repair_id}")

    @post("/{repair_id:int}/sign", guards=[allow(*SCREEN_SIGNERS)])
    async def sign(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        return await _answer(request, user, repair, data, action=f"/repairs/{repair_id}/sign",
                             back=f"/repairs/{repair_id}", done_url=f"/repairs/{repair_id}")

    @post("/{repair_id:int}/sign-link", guards=[allow(*REPAIRERS)])
    async def sign_link(self, request: Request, repair_id: int) -> Response:
        """A signed link for an owner not at home, shown on the repair's page to send by WeChat or SMS."""
        repair = await closing.repairer_repair(current_user(request), repair_id)
        completion = await closing.latest_completion(repair.id)
        if repair.status != states.COMPLETED or completion is None:
            return await _detail(request, repair, status_code=409,
                                 message=_("This repair cannot be changed this way in its current state."))
        link = f"{get_settings().base_url}/repairs/sign/{signoff.link_token(repair.id, completion.id)}"
        return await _detail(request, repair, sign_link=link)

    @post("/{repair_id:int}/quote", guards=[allow(*quotes.QUOTERS)])
    async def quote(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await quotes.quote_create(actor=user, repair=repair, amount=data.get("amount"),
                                      description=data.get("quote_description"))
        except (Invalid, Conflict) as exc:
            errors = {("quote_description" if k == "description" else k): v for k, v in exc.field_errors.items()}
            return await _detail(request, repair, status_code=exc.status_code, form=typed(data), errors=errors,
                                 message=exc.message)
        return done(request, f"/repairs/{repair_id}", _("The quote is sent to the owner."))

    @get("/visits", guards=[allow(*CS)])
    async def call_list(self, request: Request) -> Response:
        """回访: the signed-off repairs to call, oldest first."""
        rows = await visits.call_list()
        repairs = await RepairRequest.select().where(RepairRequest.id.is_in([r["repair"] for r in rows] or [-1])).run()
        listed, places = await selectors.repairs_listed(repairs, photos=False)
        return render(request, "repairs/visits.html", rows=rows, items={i["id"]: i for i in listed}, back="/repairs",
                      places=places, repair_item=repair_item)

    @post("/{repair_id:int}/visit", guards=[allow(*visits.CALLERS)])
    async def visit(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            v = await visits.visit_record(actor=user, repair=repair, reached=data.get("reached"),
                                          satisfaction=data.get("satisfaction"), comment=data.get("comment"),
                                          follow_up=data.get("follow_up"))
        except (Invalid, Conflict) as exc:
            return await _detail(request, repair, status_code=exc.status_code, form=typed(data),
                                 errors=exc.field_errors, message=exc.message)
        words = {"closed": _("Return visit recorded; the repair is closed."),
                 "reopened": _("Return visit recorded; the repair is reopened."),
                 "escalated": _("Return visit recorded; the CS manager is told."),
                 "": _("Not reached: the repair stays on the call list.")}
        return done(request, "/repairs/visits", words[v.outcome])

    @post("/{repair_id:int}/close", guards=[allow(*states.TRANSITIONS["close"].roles)])
    async def close(self, request: Request, repair_id: int) -> Response:
        return await self._move(request, repair_id, "close", _("The repair is closed."))

    @post("/{repair_id:int}/reopen", guards=[allow(*states.TRANSITIONS["reopen"].roles)])
    async def reopen(self, request: Request, repair_id: int) -> Response:
        return await self._move(request, repair_id, "reopen", _("The repair is reopened."))

    async def _move(self, request: Request, repair_id: int, action: str, word: str) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await services.repair_transition(actor=user, repair=repair, action=action)
        except (Conflict, Forbidden) as exc:
            return await _detail(request, repair, status_code=exc.status_code, message=exc.message)
        return done(request, f"/repairs/{repair_id}", word)


class OwnerClosingPages(Controller):
    path = "/owner/repairs"
    guards = [allow(roles.OWNER)]

    @get("/{repair_id:int}/sign")
    async def sign_page(self, request: Request, repair_id: int) -> Response:
        repair = await access.repair_for(current_user(request), repair_id)
        return await _sign_page(request, repair, action=f"/owner/repairs/{repair_id}/sign",
                                back=f"/owner/repairs/{repair_id}")

    @post("/{repair_id:int}/sign")
    async def sign(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        return await _answer(request, user, repair, data, action=f"/owner/repairs/{repair_id}/sign",
                             back=f"/owner/repairs/{repair_id}", done_url=f"/owner/repairs/{repair_id}")

    @post("/{repair_id:int}/quote-decision")
    async def quote_decision(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            d = await quotes.quote_decide(actor=user, repair=repair, accepted=data.get("accepted"))
        except (Invalid, Conflict) as exc:
            return await _detail(request, repair, staff=False, status_code=exc.status_code, message=exc.message)
        return done(request, f"/owner/repairs/{repair_id}", _("You accepted the quote.") if d.accepted
                    else _("You declined the quote. The CS center will contact you."))


class LinkGone(DomainError):
    status_code = 410


class SignLinkPages(Controller):
    """No guard: the signed token is the credential, for that completion only."""

    path = "/repairs/sign/{token:str}"
    include_in_schema = False
    response_headers = [ResponseHeader(name="Referrer-Policy", value="no-referrer"),
                        ResponseHeader(name="Cache-Control", value="private, no-store"),
                        ResponseHeader(name="X-Robots-Tag", value="noindex")]
    exception_handlers = {LinkGone: lambda request, exc: render(
        request, "rectification/link_gone.html", status_code=410, message=exc.message)}

    async def _target(self, token: str) -> tuple[RepairRequest, int]:
        found = signoff.link_target(token)
        repair = await RepairRequest.objects().get(RepairRequest.id == found[0]).run() if found else None
        if repair is None:
            raise LinkGone(_("This link is invalid or has expired. Ask the CS center for a new one."))
        return repair, found[1]

    @get("/")
    async def page(self, request: Request, token: str) -> Response:
        repair, _completion = await self._target(token)
        return await _sign_page(request, repair, action=f"/repairs/sign/{token}", back="")

    @post("/")
    async def sign(self, request: Request, token: str, data: Form) -> Response:
        repair, completion_id = await self._target(token)
        return await _answer(request, None, repair, data, action=f"/repairs/sign/{token}", back="",
                             done_url=f"/repairs/sign/{token}", via=signoff.VIA_LINK, completion_id=completion_id)


CLOSING_ROUTES = [ClosingPages, OwnerClosingPages, SignLinkPages]
