"""Inquiry pages for the CS center: the list, the form to record an inquiry
(while the question is typed, matching knowledge-base answers appear beneath
it; one tap puts an answer in and links its entry), an inquiry's page with its
answer form and history.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.audit.services import audit_timeline
from server.clock import local_time, today
from server.errors import Conflict, Invalid
from server.i18n import _
from server.inquiries import access, selectors, services
from server.inquiries.sla import STAGES
from server.knowledge.selectors import entry_out, search_entries
from server.knowledge.tables import KnowledgeEntry
from server.org.pages import Form, done, page_of, typed
from server.org.tables import Building, Unit
from server.pagination import Page
from server.web.guards import allow, current_user
from server.web.templating import render

FIELDS = ("asker_name", "asker_phone", "channel", "category", "question", "answer", "knowledge_entry_id")
SUGGESTIONS = 5


async def _buildings() -> list[tuple[int, str]]:
    rows = await Building.select(Building.id, Building.name, Building.project.name.as_alias("project")).order_by(
        Building.project).order_by(Building.id).run()
    return [(r["id"], f"{r['project']} · {r['name']}") for r in rows]


async def _unit_id(building_id: Any, number: Any) -> str:
    """The unit's id as the service takes it ('' for none); Invalid when a number names no unit."""
    number = str(number or "").strip()
    if not number:
        return ""
    building = str(building_id or "").strip()
    row = await Unit.select(Unit.id).where((Unit.building == int(building)) & (Unit.number == number)).first().run() \
        if building.isdigit() else None
    if row is None:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"number": _("There is no such unit in this building.")})
    return str(row["id"])


async def _used_entry(value: Any) -> dict | None:
    text = str(value or "").strip()
    if not text.isdigit():
        return None
    entry = await KnowledgeEntry.objects().get((KnowledgeEntry.id == int(text)) & (KnowledgeEntry.retired == False)).run()  # noqa: E712
    return entry_out(entry) if entry else None


class InquiryPages(Controller):
    path = "/inquiries"
    guards = [allow(*access.CS)]

    @get("/")
    async def list_page(self, request: Request, status: str | None = None, limit: Any = None,
                        offset: Any = None) -> Response:
        chosen = status if status in services.STATUSES else ""
        result = await selectors.list_inquiries(page_of(limit, offset), status=chosen or None)
        from server.org.tables import Project

        projects = await Project.select(Project.id, Project.name).order_by(Project.id).run()
        return render(request, "inquiries/list.html", items=result["items"], statuses=services.STATUSES,
                      projects=projects,
                      status=chosen, params={"status": chosen} if chosen else {},
                      page={key: result[key] for key in ("limit", "offset", "total", "total_is_lower_bound")})

    @get("/new")
    async def new(self, request: Request) -> Response:
        return await _form(request, form={"channel": "phone"}, errors={}, message=None)

    @post("/new")
    async def create(self, request: Request, data: Form) -> Response:
        fields = {name: data.get(name) for name in FIELDS}
        try:
            fields["unit_id"] = await _unit_id(data.get("building_id"), data.get("number"))
            inquiry = await services.inquiry_record(actor=current_user(request), fields=fields)
        except Invalid as exc:
            return await _form(request, form=typed(data), errors=exc.field_errors, message=exc.message,
                               status_code=exc.status_code)
        return done(request, f"/inquiries/{inquiry.id}", _("The inquiry is recorded."))

    @get("/suggestions")
    async def suggestions(self, request: Request, question: str | None = None) -> Response:
        """The knowledge-base answers best matching the question typed so far (an htmx fragment)."""
        text = (question or "").strip()
        found = await search_entries(text, Page.of(SUGGESTIONS, 0)) if text else {"items": []}
        return render(request, "inquiries/_suggestions.html", items=found["items"], question=text)

    @get("/answer-box")
    async def answer_box(self, request: Request, knowledge_entry_id: str | None = None) -> Response:
        """The answer field filled from one knowledge-base entry (the tap on a suggestion)."""
        entry = await _used_entry(knowledge_entry_id)
        form = {"answer": entry["answer"], "knowledge_entry_id": str(entry["id"])} if entry else {}
        return render(request, "inquiries/_answer_box.html", form=form, errors={}, used=entry)

    @get("/{inquiry_id:int}")
    async def detail(self, request: Request, inquiry_id: int) -> Response:
        return await _detail(request, await access.inquiry_for(inquiry_id), form={}, errors={}, message=None)

    @post("/{inquiry_id:int}/answer")
    async def answer(self, request: Request, inquiry_id: int, data: Form) -> Response:
        inquiry = await access.inquiry_for(inquiry_id)
        try:
            await services.inquiry_answer(actor=current_user(request), inquiry=inquiry, answer=data.get("answer"),
                                          knowledge_entry_id=data.get("knowledge_entry_id"))
        except (Invalid, Conflict) as exc:
            return await _detail(request, inquiry, form=typed(data), errors=exc.field_errors, message=exc.message,
                                 status_code=exc.status_code)
        return done(request, f"/inquiries/{inquiry_id}", _("The answer is recorded."))


async def _form(request: Request, *, form: dict, errors: dict, message: str | None, status_code: int = 200) -> Response:
    return render(request, "inquiries/form.html", status_code=status_code, form=form, errors=errors, message=message,
                  buildings=await _buildings(), channels=list(services.CHANNELS.items()),
                  used=await _used_entry(form.get("knowledge_entry_id")), back="/inquiries")


async def _detail(request: Request, inquiry: Any, *, form: dict, errors: dict, message: str | None,
                  status_code: int = 200) -> Response:
    from server.inquiries.publishing import inquiry_entries
    from server.inquiries.sheets import sheet_parties

    out = await selectors.inquiry_one(inquiry)
    history = list(reversed(await audit_timeline("inquiry", inquiry.id)))
    place = None
    if out["unit_id"]:
        place = await Unit.select(Unit.number, Unit.building.name.as_alias("building"),
                                  Unit.building.project.name.as_alias("project")).where(
            Unit.id == out["unit_id"]).first().run()
    # a refusal (403, or 409: the inquiry moved on) shows at the top: the form it came from may be gone
    refused = message if status_code in (403, 409) else None
    return render(request, "inquiries/detail.html", status_code=status_code, inquiry=out, place=place,
                  history=history, when=local_time, labels=services.STATUSES, form=form, errors=errors,
                  message=None if refused else message, refused=refused,
                  used=await _used_entry(form.get("knowledge_entry_id") or out["knowledge_entry_id"]),
                  back="/inquiries", sheets=await selectors.sheets_of_inquiry(inquiry.id),
                  callbacks=await selectors.callbacks_of(inquiry.id), parties=await sheet_parties(),
                  published_as=await inquiry_entries(inquiry.id),
                  manager=current_user(request).role == roles.ADMIN, default_reply_by=today() + dt.timedelta(days=2),
                  sla_stages=STAGES)


INQUIRY_PAGES = [InquiryPages]
