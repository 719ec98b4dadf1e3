"""JSON API of the monthly inquiry summaries (regulation 5, item 3), for CS staff and administrators, with the
figures the page shows (summary.py computes them once; both read the same stored JSON): a project's summaries,
newest month first; one summary; editing its notes and highlights; publishing chosen Q&A to the knowledge base.
Others are refused (403); a summary or project that does not exist is 404."""
from __future__ import annotations

from typing import Any, Optional

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.inquiries import access, publishing, summary as svc
from server.inquiries.summary_tables import InquirySummary
from server.org.access import project_for
from server.pagination import Page, paged
from server.web.guards import allow, current_user

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


class TopQuestionOut(msgspec.Struct):
    question: str
    count: int
    inquiry_ids: list[int]
    knowledge_entry_id: Optional[int]
    """The knowledge-base entry they were answered from (the same question), or null (the same words)."""


class FiguresOut(msgspec.Struct):
    total: int
    """Inquiries asked in the month (China time) about the project: its homes, or the project chosen."""
    open: int
    """Those whose answer has not reached the customer yet (every state but answered and closed)."""
    closed: int
    """Answered at once, or answered through a contact sheet and called back."""
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    answered: int
    average_hours: Optional[float]
    """Hours from the question to the answer, one decimal; null when none was answered."""
    p90_hours: Optional[float]
    """90th percentile (nearest rank) of those hours."""
    overdue: int
    """Answered after the answer deadline of the project's SLA for their category, or unanswered past it."""
    top_questions: list[TopQuestionOut]


class SummaryOut(msgspec.Struct):
    id: int
    project_id: int
    month: str
    """YYYY-MM"""
    figures: FiguresOut
    notes: str
    highlights: list[int]
    """Inquiries of the month CS chose as its highlights."""
    version: int
    """Send it back with an edit: 409 when someone else edited meanwhile."""
    computed_at: str
    updated_at: str


class SummaryPage(msgspec.Struct):
    items: list[SummaryOut]
    total: int
    limit: int
    offset: int


class SummaryIn(msgspec.Struct):
    notes: Any = ""
    highlights: Any = None
    """[inquiry id, …] of this summary's month and project (the list replaces the last; none: no highlights)."""
    version: Any = None
    """The version read; 409 when it is no longer the summary's."""


class PublishIn(msgspec.Struct):
    inquiry_ids: Any = None
    """[inquiry id, …]: answered inquiries (answered or closed) of this summary."""


class PublishOut(msgspec.Struct):
    entry_ids: list[int]
    """The knowledge-base entry each chosen inquiry was published as, in the order chosen."""
    summary: SummaryOut


FIGURES = tuple(FiguresOut.__struct_fields__)


def summary_struct(row: InquirySummary | dict) -> SummaryOut:
    out = svc.summary_out(row)
    figures = out["figures"]
    known = {name: figures.get(name) for name in FIGURES}  # summaries computed earlier may hold other keys
    known["top_questions"] = [TopQuestionOut(**{k: q.get(k) for k in TopQuestionOut.__struct_fields__})
                              for q in figures.get("top_questions") or []]
    return SummaryOut(**{**out, "figures": FiguresOut(**known)})


class InquirySummariesApi(Controller):
    path = "/api/v1"
    tags = ["Inquiries"]
    guards = [allow(*access.CS)]

    @get("/projects/{project_id:int}/inquiry-summaries")
    async def list_of_project(self, request: Request, project_id: int, limit: int | None = Limit,
                              offset: int | None = Offset) -> SummaryPage:
        """The project's monthly summaries, newest month first: {items, total, limit, offset}."""
        await project_for(current_user(request), project_id)
        where = InquirySummary.project == project_id
        page = await paged(InquirySummary.select().where(where).order_by(InquirySummary.month, ascending=False),
                           InquirySummary.count().where(where), Page.of(limit, offset))
        return SummaryPage(items=[summary_struct(r) for r in page["items"]], total=page["total"],
                           limit=page["limit"], offset=page["offset"])

    @get("/inquiry-summaries/{summary_id:int}")
    async def get_one(self, summary_id: int) -> SummaryOut:
        """One summary: the figures the monthly cron computed (as the page shows them), notes, highlights."""
        return summary_struct(await svc.summary_for(summary_id))

    @put("/inquiry-summaries/{summary_id:int}")
    async def edit(self, request: Request, summary_id: int, data: SummaryIn) -> SummaryOut:
        """{"notes", "highlights", "version"}: CS's notes (at most 5,000 characters) and highlights (inquiries of
        this month and project; 400 otherwise, nothing stored); 409 when `version` is not the summary's."""
        summary = await svc.summary_for(summary_id)
        await svc.summary_edit(actor=current_user(request), summary=summary, fields={
            "notes": data.notes, "highlights": data.highlights, "version": data.version})
        return summary_struct(await svc.summary_for(summary_id))

    @post("/inquiry-summaries/{summary_id:int}/publish", status_code=200)
    async def publish(self, request: Request, summary_id: int, data: PublishIn) -> PublishOut:
        """{"inquiry_ids"}: publish the chosen answered inquiries' Q&A on the project's public page, each as a
        knowledge-base entry (or the entry it was answered from) linked to it. 400 and nothing stored when none
        is chosen or one is not an answered inquiry of this summary; publishing again changes nothing."""
        summary = await svc.summary_for(summary_id)
        entries = await publishing.summary_publish(actor=current_user(request), summary=summary,
                                                   inquiry_ids=data.inquiry_ids if data.inquiry_ids is not None else [])
        return PublishOut(entry_ids=[e.id for e in entries], summary=summary_struct(summary))


SUMMARY_API = [InquirySummariesApi]
