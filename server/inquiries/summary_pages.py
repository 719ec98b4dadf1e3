"""Pages of the monthly inquiry summaries (CS): the summaries of a project,
newest month first; one summary with its figures, the form for notes and
highlights, the Excel download and the form that publishes chosen Q&A to the
knowledge base. The rules are in summary.py and publishing.py; a refused form
shows the summary again with the reason (400 or 409), keeping what was chosen.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.clock import local_time
from server.errors import Conflict, Invalid
from server.i18n import _
from server.inquiries import access, publishing, summary as svc
from server.inquiries.services import CHANNELS, STATUSES
from server.inquiries.summary_export import XLSX, workbook
from server.inquiries.summary_tables import InquirySummary, KnowledgeSource
from server.inquiries.tables import Inquiry
from server.org.pages import Form, done, opt_int, page_of, paged_rows
from server.org.tables import Project
from server.web.guards import allow, current_user
from server.web.templating import render

MONTH_ROWS = 200
"""Most inquiries of a month offered to choose from on the summary page."""


def _list(data: dict, name: str) -> list[str]:
    value = data.get(name)
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value not in (None, "") else [])


async def _project_name(project_id: int) -> str:
    row = await Project.select(Project.name).where(Project.id == project_id).first().run()
    return row["name"] if row else ""


async def _month_rows(summary: InquirySummary) -> list[dict]:
    rows = await Inquiry.select(Inquiry.id, Inquiry.question, Inquiry.answer, Inquiry.status, Inquiry.category,
                                Inquiry.channel).where(svc._in_month(summary.project, summary.month)).order_by(
        Inquiry.id).limit(MONTH_ROWS).run()
    published = {r["inquiry"] for r in await KnowledgeSource.select(KnowledgeSource.inquiry).where(
        KnowledgeSource.inquiry.is_in([r["id"] for r in rows] or [-1])).run()}
    for row in rows:
        row["published"] = row["id"] in published
    return rows


async def _detail(request: Request, summary: InquirySummary, *, form: dict | None = None, errors: dict | None = None,
                  message: str | None = None, status_code: int = 200) -> Response:
    return render(request, "inquiries/summary_detail.html", status_code=status_code,
                  **await summary_context(summary, form), errors=errors or {}, message=message)


async def summary_context(summary: InquirySummary, form: dict | None = None) -> dict:
    """What the summary page shows (and its PDF, server/reports/documents_pages.py)."""
    out = svc.summary_out(summary)
    chosen = form.get("highlights") if form else None
    return dict(s=out, project=await _project_name(summary.project), rows=await _month_rows(summary),
                chosen={int(i) for i in (chosen if chosen is not None else out["highlights"]) if str(i).isdigit()},
                picked={int(i) for i in (form or {}).get("inquiry_ids", []) if str(i).isdigit()},
                notes=(form or {}).get("notes", out["notes"]), channels=CHANNELS, statuses=STATUSES,
                computed=local_time(summary.computed_at), back=f"/inquiries/summaries?project={summary.project}")


class SummaryPages(Controller):
    path = "/inquiries/summaries"
    guards = [allow(*access.CS)]
    include_in_schema = False

    @get("/")
    async def list_page(self, request: Request, project: str | None = None, limit: Any = None,
                        offset: Any = None) -> Response:
        projects = await Project.select(Project.id, Project.name).order_by(Project.id).run()
        chosen = opt_int(project)
        if chosen not in {p["id"] for p in projects}:
            chosen = projects[0]["id"] if projects else None
        where = InquirySummary.project == (chosen or -1)
        page = await paged_rows(InquirySummary.select().where(where).order_by(InquirySummary.month, ascending=False),
                                InquirySummary.count().where(where), page_of(limit, offset))
        items = [svc.summary_out(r) for r in page["rows"]]
        return render(request, "inquiries/summary_list.html", projects=projects, project=chosen, items=items,
                      page={k: page[k] for k in ("total", "limit", "offset")},
                      params={"project": chosen} if chosen else {})

    @get("/{summary_id:int}")
    async def detail(self, request: Request, summary_id: int) -> Response:
        return await _detail(request, await svc.summary_for(summary_id))

    @post("/{summary_id:int}")
    async def edit(self, request: Request, summary_id: int, data: Form) -> Response:
        summary = await svc.summary_for(summary_id)
        fields = {"notes": str(data.get("notes") or ""), "highlights": _list(data, "highlights"),
                  "version": data.get("version")}
        try:
            await svc.summary_edit(actor=current_user(request), summary=summary, fields=fields)
        except (Invalid, Conflict) as exc:
            return await _detail(request, summary, form=fields, errors=exc.field_errors, message=exc.message,
                                 status_code=exc.status_code)
        return done(request, f"/inquiries/summaries/{summary_id}", _("Saved."))

    @post("/{summary_id:int}/compute")
    async def compute(self, request: Request, summary_id: int) -> Response:
        summary = await svc.summary_for(summary_id)
        await svc.summary_make(summary.project, summary.month, actor=current_user(request))
        return done(request, f"/inquiries/summaries/{summary_id}", _("The figures are computed again."))

    @post("/{summary_id:int}/publish")
    async def publish(self, request: Request, summary_id: int, data: Form) -> Response:
        summary = await svc.summary_for(summary_id)
        chosen = _list(data, "inquiry_ids")
        try:
            entries = await publishing.summary_publish(actor=current_user(request), summary=summary,
                                                       inquiry_ids=chosen)
        except Invalid as exc:
            return await _detail(request, summary, form={"inquiry_ids": chosen}, errors=exc.field_errors,
                                 message=exc.message, status_code=exc.status_code)
        return done(request, f"/inquiries/summaries/{summary_id}",
                    _("%(count)s answers are published to the knowledge base.", count=len(entries)))

    @get("/{summary_id:int}/export.xlsx")
    async def export(self, request: Request, summary_id: int) -> Response:
        summary = await svc.summary_for(summary_id)
        out = svc.summary_out(summary)
        rows = await Inquiry.select(Inquiry.id, Inquiry.question, Inquiry.answer).where(
            Inquiry.id.is_in(out["highlights"] or [-1])).order_by(Inquiry.id).run()
        data = workbook(await _project_name(summary.project), out, rows)
        name = f"inquiry-summary-{summary.project}-{out['month']}.xlsx"
        return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


SUMMARY_PAGES = [SummaryPages]
