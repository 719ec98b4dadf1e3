"""Tender pages: the forms on a tender procedure's steps, and the public tender notice.

Each record's form sits on its step of the procedure page
(templates/procedures/_tender.html). A refused form (400) comes back as the
steps block with the message at the step and what was typed kept; a 403 or
409 is the shared error answer (a toast for htmx), and nothing is stored.
The public notice /tender-notices/<token> opens without signing in while the
notice is published; otherwise it is a 404, like a missing page.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.clock import local_time
from server.errors import Invalid
from server.i18n import _
from server.i18n import lazy_gettext as _l
from server.org.pages import Form
from server.org.tables import Project
from server.procedures import access, tender
from server.procedures.pages import _done, _procedure_page, _typed
from server.procedures.seed import TENDER_RECORDS
from server.procedures.tables import Procedure, ProcedureStep
from server.web.guards import allow, current_user
from server.web.templating import render

MESSAGES = {
    "notice": _l("Tender notice saved."), "publish": _l("Tender notice published: its public page is open."),
    "unpublish": _l("Tender notice unpublished: its public page is closed."), "expert": _l("Expert recorded."), "withdraw": _l("Expert withdrawn."),
    "bid": _l("Bidder recorded."), "score": _l("Score recorded."), "winner": _l("Winner recorded."),
    "winner_filing": _l("Filing number recorded."), "price_filing": _l("Filing number recorded."),
    "contract": _l("Contract dates recorded."),
}


class TenderPages(Controller):
    path = "/procedures/{procedure_id:int}/tender"
    include_in_schema = False
    guards = [allow(*access.VIEW_ROLES)]

    async def _act(self, request: Request, procedure_id: int, kind: str, data: dict, bid_id: int | None = None
                   ) -> Response:
        """`bid_id`: the bid scored, or the expert withdrawn."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        form = _typed(data)
        step_kind = {"publish": "notice", "unpublish": "notice", "withdraw": "expert"}.get(kind, kind)
        step = await ProcedureStep.objects().get((ProcedureStep.procedure == procedure.id) & (
            ProcedureStep.position == TENDER_RECORDS[step_kind]["step"])).run()
        try:
            if kind == "notice":
                await tender.notice_save(actor=user, procedure=procedure, fields=form)
            elif kind in ("publish", "unpublish"):
                await tender.notice_set_published(actor=user, procedure=procedure, publish=kind == "publish")
            elif kind == "expert":
                await tender.expert_add(actor=user, procedure=procedure, fields=form)
            elif kind == "withdraw":
                await tender.expert_withdraw(actor=user, procedure=procedure, expert_id=bid_id or 0,
                                             reason=form.get("reason"))
            elif kind == "bid":
                await tender.bid_add(actor=user, procedure=procedure, fields=form)
            elif kind == "score":
                await tender.bid_score(actor=user, procedure=procedure, bid_id=bid_id or 0, score=form.get("score"))
            else:
                await tender.record_add(actor=user, procedure=procedure, kind=kind, fields=form)
        except Invalid as exc:
            fresh = await Procedure.objects().get(Procedure.id == procedure.id).run()
            return await _procedure_page(
                request, fresh, errors={step.id: "；".join(exc.field_errors.values()) or exc.message},
                tender_form={**form, "kind": kind, "bid_id_scored": bid_id, "errors": exc.field_errors},
                status_code=400)
        return await _done(request, procedure, step, str(MESSAGES[kind]))

    @post("/notice", guards=[allow(*tender.NOTICE_ROLES)])
    async def notice(self, request: Request, procedure_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "notice", data)

    @post("/notice/publish", guards=[allow(*tender.NOTICE_ROLES)])
    async def publish(self, request: Request, procedure_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "publish", data)

    @post("/notice/unpublish", guards=[allow(*tender.NOTICE_ROLES)])
    async def unpublish(self, request: Request, procedure_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "unpublish", data)

    @post("/experts")
    async def expert(self, request: Request, procedure_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "expert", data)

    @post("/experts/{expert_id:int}/withdraw")
    async def withdraw(self, request: Request, procedure_id: int, expert_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "withdraw", data, expert_id)

    @post("/bids")
    async def bid(self, request: Request, procedure_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "bid", data)

    @post("/bids/{bid_id:int}/score")
    async def score(self, request: Request, procedure_id: int, bid_id: int, data: Form) -> Response:
        return await self._act(request, procedure_id, "score", data, bid_id)

    @post("/records/{kind:str}")
    async def record(self, request: Request, procedure_id: int, kind: str, data: Form) -> Response:
        if kind not in ("winner", "winner_filing", "contract", "price_filing"):
            await tender.tender_for(current_user(request), procedure_id)
            raise Invalid(_("Please correct the marked fields."), field_errors={"kind": _("This value is not valid.")})
        return await self._act(request, procedure_id, kind, data)


class PublicTenderNotice(Controller):
    """/tender-notices/<token>: no sign-in; only while the notice is published, else 404."""

    path = "/tender-notices"
    include_in_schema = False

    @get("/{token:str}")
    async def public(self, request: Request, token: str) -> Response:
        notice = await tender.published_notice(token)
        procedure = await Procedure.select(Procedure.project).where(Procedure.id == notice.procedure).first().run()
        project: Any = await Project.select(Project.name).where(Project.id == procedure["project"]).first().run()
        return render(request, "procedures/tender_public.html", n=notice, project=project["name"], when=local_time)


TENDER_PAGES = [TenderPages, PublicTenderNotice]
