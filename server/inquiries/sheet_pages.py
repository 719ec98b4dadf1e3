"""Pages of work contact sheets (regulation 5 item 2) and the inquiries' SLA: on an inquiry's page CS sends it
to departments, drafts the answer, the CS manager approves or sends it back, staff record the callback; the
printable contact sheet; a department's list of its sheets and the reply form (/sheets); a project's SLA hours.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.clock import local_time
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.inquiries import access, selectors, sheets, sla, states
from server.inquiries.pages import _detail
from server.org.access import project_for
from server.org.pages import Form, done, page_of, typed
from server.web.guards import allow, current_user
from server.web.templating import render

ERRORS = (Invalid, Conflict, Forbidden)


def _many(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value not in (None, "") else [])


class InquirySheetPages(Controller):
    path = "/inquiries"
    guards = [allow(*access.CS)]

    async def _act(self, request: Request, inquiry_id: int, data: dict, run: Any, message: str) -> Response:
        inquiry = await access.inquiry_for(inquiry_id)
        try:
            await run(current_user(request), inquiry)
        except ERRORS as exc:
            # every department ticked stays ticked (typed() keeps one value per name)
            form = {**typed(data), "party": _many(data.get("party"))}
            return await _detail(request, inquiry, form=form, errors=exc.field_errors, message=exc.message,
                                 status_code=exc.status_code)
        return done(request, f"/inquiries/{inquiry_id}", message)

    @post("/{inquiry_id:int}/escalate")
    async def escalate(self, request: Request, inquiry_id: int, data: Form) -> Response:
        departments = [{"party_id": p, "reply_by": data.get(f"reply_by_{p}")} for p in _many(data.get("party"))]
        return await self._act(request, inquiry_id, data, lambda user, inquiry: sheets.sheet_escalate(
            actor=user, inquiry=inquiry, request=data.get("request"), departments=departments),
            _("The contact sheet is sent."))

    @post("/{inquiry_id:int}/draft")
    async def draft(self, request: Request, inquiry_id: int, data: Form) -> Response:
        return await self._act(request, inquiry_id, data, lambda user, inquiry: sheets.inquiry_draft(
            actor=user, inquiry=inquiry, draft=data.get("draft")), _("The answer is sent for approval."))

    @post("/{inquiry_id:int}/approve")
    async def approve(self, request: Request, inquiry_id: int, data: Form) -> Response:
        return await self._act(request, inquiry_id, data, lambda user, inquiry: sheets.inquiry_approve(
            actor=user, inquiry=inquiry), _("The answer is approved."))

    @post("/{inquiry_id:int}/send-back")
    async def send_back(self, request: Request, inquiry_id: int, data: Form) -> Response:
        return await self._act(request, inquiry_id, data, lambda user, inquiry: sheets.inquiry_send_back(
            actor=user, inquiry=inquiry, reason=data.get("reason")), _("The answer is sent back."))

    @post("/{inquiry_id:int}/callback")
    async def callback(self, request: Request, inquiry_id: int, data: Form) -> Response:
        return await self._act(request, inquiry_id, data, lambda user, inquiry: sheets.inquiry_callback(
            actor=user, inquiry=inquiry, reached=data.get("reached"), satisfied=data.get("satisfied"),
            note=data.get("note")), _("The call is recorded."))

    @get("/{inquiry_id:int}/sheet")
    async def printable(self, request: Request, inquiry_id: int) -> Response:
        """The work contact sheet on paper: the question, each department's request, date and reply."""
        inquiry = await access.inquiry_for(inquiry_id)
        return render(request, "inquiries/sheet_print.html", inquiry=await selectors.inquiry_one(inquiry),
                      sheets=await selectors.sheets_of_inquiry(inquiry_id), when=local_time,
                      back=f"/inquiries/{inquiry_id}")

    @get("/projects/{project_id:int}/sla")
    async def sla_page(self, request: Request, project_id: int) -> Response:
        project = await project_for(current_user(request), project_id)
        rules = await sla.rules_of(project_id)
        form = {f"{name}_{i}": str(rule[name]) for i, rule in enumerate(rules)
                for name in ("category", "response_hours", "answer_hours")}
        return _sla_form(request, project, form, len(rules) + 1, {}, None)

    @post("/projects/{project_id:int}/sla")
    async def sla_save(self, request: Request, project_id: int, data: Form) -> Response:
        user = current_user(request)
        project = await project_for(user, project_id)
        rows = int(str(data.get("rows") or "0")) if str(data.get("rows") or "").isdigit() else 0
        items = [{name: data.get(f"{name}_{i}") for name in ("category", "response_hours", "answer_hours")}
                 for i in range(min(rows, 100))]
        items = [item for item in items if any(str(v or "").strip() for v in item.values())]
        try:
            await sla.rules_save(actor=user, project_id=project_id, items=items)
        except Invalid as exc:
            errors = {_row_field(k, items, data): v for k, v in exc.field_errors.items()}
            return _sla_form(request, project, typed(data), max(rows, 1), errors, exc.message, status_code=400)
        return done(request, f"/inquiries/projects/{project_id}/sla", _("The service levels are saved."))


def _row_field(key: str, items: list[dict], data: dict) -> str:
    """items.N.name (N among the non-empty rows) → name_M, the form's row."""
    parts = key.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return key
    wanted = items[int(parts[1])]
    for m in range(100):
        if all(data.get(f"{n}_{m}") == wanted[n] for n in wanted):
            return f"{parts[2]}_{m}"
    return key


def _sla_form(request: Request, project: Any, form: dict, rows: int, errors: dict, message: Any,
              status_code: int = 200) -> Response:
    return render(request, "inquiries/sla.html", status_code=status_code, project=project, form=form, rows=rows,
                  errors=errors, message=message, defaults=sla.DEFAULT_HOURS, back="/inquiries")


class DepartmentSheetPages(Controller):
    path = "/sheets"
    guards = [allow(*roles.STAFF)]

    @get("/")
    async def list_page(self, request: Request, status: str | None = None, limit: Any = None,
                        offset: Any = None) -> Response:
        chosen = status if status in states.SHEET_LABELS else ""
        found = await selectors.list_sheets(current_user(request), page_of(limit, offset), status=chosen or None)
        return render(request, "inquiries/sheets.html", items=found["items"], statuses=states.SHEET_LABELS,
                      status=chosen, params={"status": chosen} if chosen else {}, when=local_time,
                      page={"limit": found["limit"], "offset": found["offset"], "total": found["total"]})

    @get("/{sheet_id:int}")
    async def detail(self, request: Request, sheet_id: int) -> Response:
        sheet = await access.sheet_for(current_user(request), sheet_id)
        return await _sheet(request, sheet.id, {}, {}, None)

    @post("/{sheet_id:int}/reply")
    async def reply(self, request: Request, sheet_id: int, data: Form) -> Response:
        user = current_user(request)
        sheet = await access.sheet_for(user, sheet_id)
        try:
            await sheets.sheet_reply(actor=user, sheet=sheet, reply=data.get("reply"))
        except ERRORS as exc:
            return await _sheet(request, sheet_id, typed(data), exc.field_errors, exc.message, exc.status_code)
        return done(request, f"/sheets/{sheet_id}", _("The reply is sent."))


async def _sheet(request: Request, sheet_id: int, form: dict, errors: dict, message: Any,
                 status_code: int = 200) -> Response:
    user = current_user(request)
    out = await selectors.sheet_one(sheet_id)
    return render(request, "inquiries/sheet_reply.html", status_code=status_code, sheet=out, when=local_time,
                  may_reply=bool(user.party) and user.party == out["party_id"] and out["status"] == states.WAITING,
                  form=form, errors=errors, message=message, back="/sheets")


SHEET_PAGES = [InquirySheetPages, DepartmentSheetPages]
