"""The monthly inquiry summary (regulation 5, item 3): every project's CS team
sorts and summarises its month of inquiries, kept as knowledge-base material.

An arq cron job (workers/settings.py) runs at 00:10 on the 1st, China time,
and makes (or computes again) each project's summary of the month before:
counts by category, channel and state, the time to answer (average and 90th
percentile, nearest rank), the most asked questions and how many inquiries
went overdue. CS then edit it (notes, the inquiries chosen as highlights),
export it (summary_export.py) and publish chosen Q&A to the knowledge base.

An inquiry belongs to the project recorded on it (`Inquiry.project`: its
unit's, or the one chosen for an inquiry about no unit), so an inquiry taken
without a unit counts too. "Closed" is an inquiry whose answer reached the
customer (states.DONE: answered at once, or called back); every other state is
still open. An inquiry is overdue when its answer came after the answer
deadline of its project's SLA for its category (sla.py, the project settings),
or had not come by the month's end (or now, if sooner) past that deadline.
The counts are SQL aggregates (GROUP BY, the same on SQLite and PostgreSQL);
the times are computed here from each answered inquiry's two timestamps, as
neither a portable percentile nor a portable time difference exists in SQL.
Knows nothing of HTTP.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from piccolo.query.functions.aggregate import Count

from server import clock
from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Invalid, NotFound
from server.i18n import _
from server.inquiries import sla, states
from server.inquiries.summary_tables import InquirySummary
from server.inquiries.tables import Inquiry
from server.knowledge import search
from server.org.tables import Project

TOP_QUESTIONS = 10
MAX_NOTES = 5000


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    return month_of(month_of(day) - dt.timedelta(days=1))


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a China-time month, as instants."""
    return clock.day_start(month), clock.day_start(next_month(month))


def _in_month(project_id: int, month: dt.date) -> Any:
    start, end = _bounds(month)
    return (Inquiry.project == project_id) & (Inquiry.created_at >= start) & (Inquiry.created_at < end)


async def _counts(column: Any, where: Any) -> dict[str, int]:
    rows = await Inquiry.select(column.as_alias("key"), Count(Inquiry.id, alias="n")).where(where).group_by(
        column).run()
    return {str(r["key"] or ""): int(r["n"]) for r in sorted(rows, key=lambda r: (-int(r["n"]), str(r["key"])))}


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return values[max(0, math.ceil(share * len(values)) - 1)]


async def figures(project_id: int, month: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """The month's numbers for one project (JSON-ready)."""
    now = now or clock.now()
    where = _in_month(project_id, month)
    by_status = await _counts(Inquiry.status, where)
    rows = await Inquiry.select(Inquiry.id, Inquiry.project, Inquiry.category, Inquiry.created_at,
                                Inquiry.answered_at, Inquiry.question, Inquiry.knowledge_entry).where(where).order_by(
        Inquiry.id).run()
    hours = sorted((r["answered_at"] - r["created_at"]).total_seconds() / 3600 for r in rows if r["answered_at"])
    _, end = _bounds(month)
    cutoff = min(now, end)
    due = await sla.deadlines_of(rows)
    overdue = sum(1 for r in rows if (r["answered_at"] or cutoff) > due[r["id"]]["answer"])
    closed = sum(n for status, n in by_status.items() if status in states.DONE)
    groups: dict[Any, dict[str, Any]] = {}
    for r in rows:  # the same question: answered from the same entry, or the same words
        key = ("kb", r["knowledge_entry"]) if r["knowledge_entry"] else ("q", search.normalize(r["question"]))
        group = groups.setdefault(key, {"question": r["question"], "count": 0, "inquiry_ids": [],
                                        "knowledge_entry_id": r["knowledge_entry"]})
        group["count"] += 1
        group["inquiry_ids"].append(r["id"])
    top = sorted(groups.values(), key=lambda g: (-g["count"], g["inquiry_ids"][0]))[:TOP_QUESTIONS]
    return {
        "total": len(rows),
        "open": len(rows) - closed,
        "closed": closed,
        "by_status": by_status,
        "by_category": await _counts(Inquiry.category, where),
        "by_channel": await _counts(Inquiry.channel, where),
        "answered": len(hours),
        "average_hours": round(sum(hours) / len(hours), 1) if hours else None,
        "p90_hours": round(_percentile(hours, 0.9), 1) if hours else None,
        "overdue": overdue,
        "top_questions": top,
    }


async def summary_make(project_id: int, month: dt.date, *, actor: Any = None) -> InquirySummary:
    """Make a project's summary of `month`, or compute the figures of an existing one again (notes and
    highlights are kept)."""
    month = month_of(month)
    data = json.dumps(await figures(project_id, month), ensure_ascii=False)
    now = clock.now()
    async with write_transaction():
        found = await InquirySummary.objects().get(
            (InquirySummary.project == project_id) & (InquirySummary.month == month)).run()
        if found is None:
            found = InquirySummary(project=project_id, month=month, figures=data, computed_at=now, updated_at=now)
            await found.save().run()
            action = "create"
        else:
            await InquirySummary.update({InquirySummary.figures: data, InquirySummary.computed_at: now}).where(
                InquirySummary.id == found.id).run()
            found.figures, found.computed_at = data, now
            action = "compute"
        await audit_record(actor=actor, object_type="inquiry_summary", object_id=found.id, action=action,
                           details={"project_id": project_id, "month": month.isoformat()})
    return found


async def monthly_summaries(today: dt.date | None = None) -> list[int]:
    """Every project's summary of the month before `today` (China date); their ids."""
    month = previous_month(today or clock.today())
    projects = await Project.select(Project.id).order_by(Project.id).run()
    return [(await summary_make(p["id"], month)).id for p in projects]


async def monthly_summary_job(ctx: Any = None) -> int:
    """The arq cron job (00:10 on the 1st, China time)."""
    return len(await monthly_summaries())


async def summary_for(summary_id: int) -> InquirySummary:
    summary = await InquirySummary.objects().get(InquirySummary.id == summary_id).run()
    if summary is None:
        raise NotFound(_("The page or record was not found."))
    return summary


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, (list, tuple)) else str(value or "").replace(",", " ").split()
    out: list[int] = []
    for item in values:
        text = str(item).strip()
        if not text.isdigit():
            raise Invalid(_("Please correct the marked fields."),
                          field_errors={"highlights": _("Choose inquiries from this summary.")})
        if int(text) not in out:
            out.append(int(text))
    return out


async def month_inquiry_ids(summary: InquirySummary) -> set[int]:
    rows = await Inquiry.select(Inquiry.id).where(_in_month(summary.project, summary.month)).run()
    return {r["id"] for r in rows}


async def summary_edit(*, actor: Any, summary: InquirySummary, fields: dict[str, Any]) -> InquirySummary:
    """CS edit the notes and the highlights (inquiries of this summary's month and project). `version`, when
    given, is the version the editor read (409 if another edit came first)."""
    notes = str(fields.get("notes") or "").strip()
    errors: dict[str, str] = {}
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("At most %(count)s characters.") % {"count": MAX_NOTES}
    highlights = _ids(fields.get("highlights"))
    if set(highlights) - await month_inquiry_ids(summary):
        errors["highlights"] = _("Choose inquiries from this summary.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    read = str(fields.get("version") or "").strip()
    expected = int(read) if read.isdigit() else summary.version
    conflict = _("Someone else changed this summary meanwhile; reload it and edit again.")
    if expected != summary.version:
        raise Conflict(conflict)
    text = " ".join(str(i) for i in highlights)
    async with write_transaction():
        updated = await InquirySummary.update({
            InquirySummary.notes: notes, InquirySummary.highlights: text, InquirySummary.version: expected + 1,
            InquirySummary.updated_by: getattr(actor, "id", None), InquirySummary.updated_at: clock.now(),
        }).where((InquirySummary.id == summary.id) & (InquirySummary.version == expected)).returning(
            InquirySummary.id).run()
        if not updated:
            raise Conflict(conflict)
        await audit_record(actor=actor, object_type="inquiry_summary", object_id=summary.id, action="edit",
                           details={"version": expected + 1, "highlights": highlights})
    summary.notes, summary.highlights, summary.version = notes, text, expected + 1
    return summary


def summary_out(summary: InquirySummary | dict) -> dict[str, Any]:
    d = summary if isinstance(summary, dict) else summary.to_dict()
    return {"id": d["id"], "project_id": d["project"], "month": d["month"].isoformat()[:7],
            "figures": json.loads(d["figures"] or "{}"), "notes": d["notes"],
            "highlights": [int(i) for i in (d["highlights"] or "").split()], "version": d["version"],
            "computed_at": d["computed_at"].isoformat(), "updated_at": d["updated_at"].isoformat()}
