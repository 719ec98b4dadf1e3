"""What each list's Excel download holds: the columns (headers through the
catalog) and each row typed for Excel (ids and counts as numbers, amounts as
Decimal, days as dates, times as China wall-clock times). The where-clause
comes from the list's own context (the same one its page uses), so the file
holds exactly what the page lists, access rules included. Rows are read in
chunks (list_xlsx.chunks), plain dicts, never Table objects.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, AsyncIterator

from server import clock
from server.clock import CHINA
from server.i18n import _
from server.inquiries.services import CHANNELS as INQUIRY_CHANNELS, STATUSES as INQUIRY_STATUSES
from server.inquiries.tables import Inquiry
from server.inspections.default_checklist import CATEGORIES
from server.inspections.states import DEFECT_STATUS_LABELS, SEVERITY_LABELS
from server.inspections.tables import Defect
from server.repairs.closing_tables import RepairQuote
from server.repairs.states import CHANNELS as REPAIR_CHANNELS, STATUS_LABELS as REPAIR_STATUSES, URGENCIES
from server.repairs.tables import RepairRequest
from server.repairs.warranty import COMPONENT_LABELS
from server.reports.list_xlsx import chunks, excel_time


def _words(labels: dict) -> dict[str, str]:
    """A label table in the reader's language, translated once per file rather than once per row."""
    return {code: str(label) for code, label in labels.items()}


def _china_day(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(CHINA).date() if value else None


def days_overdue(status: str, deadline: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole days late for open work past its deadline, at least one (as the task list counts them)."""
    if status != "open" or deadline is None or deadline >= now:
        return None
    return max(1, int((now - deadline).total_seconds() // 86400))


def defect_headers() -> list[str]:
    return [_("No."), _("Project"), _("Building"), _("Unit"), _("Room"), _("Category"), _("Description"),
            _("Severity"), _("Construction unit"), _("Status"), _("Recorded"), _("Deadline"), _("Days overdue"),
            _("Times reopened"), _("Rectified at"), _("Closed at")]


async def defect_rows(where: Any) -> AsyncIterator[list[list[Any]]]:
    now = clock.now()
    status, severity, category = _words(DEFECT_STATUS_LABELS), _words(SEVERITY_LABELS), _words(CATEGORIES)

    def query() -> Any:
        return Defect.select(
            Defect.id, Defect.unit.building.project.name.as_alias("project"),
            Defect.unit.building.name.as_alias("building"), Defect.unit.number.as_alias("unit_number"),
            Defect.room, Defect.category, Defect.description, Defect.severity,
            Defect.construction_unit.name.as_alias("party"), Defect.status, Defect.created_at, Defect.deadline,
            Defect.reopen_count, Defect.rectified_at, Defect.closed_at).where(where)

    async for rows in chunks(query, Defect.id):
        yield [[r["id"], r["project"], r["building"], r["unit_number"], r["room"],
                category.get(r["category"], r["category"]), r["description"], severity.get(r["severity"], ""),
                r["party"], status.get(r["status"], r["status"]), excel_time(r["created_at"]),
                _china_day(r["deadline"]), days_overdue(r["status"], r["deadline"], now), r["reopen_count"],
                excel_time(r["rectified_at"]), excel_time(r["closed_at"])] for r in rows]


def repair_headers() -> list[str]:
    return [_("No."), _("Project"), _("Building"), _("Unit"), _("Component"), _("Location"), _("Description"),
            _("Status"), _("How it came in"), _("Urgency"), _("Reported on"), _("Recorded"),
            _("Amount (yuan)")]


async def _quoted(repair_ids: list[int]) -> dict[int, Any]:
    """Each repair's latest quote amount (a paid repair), for one chunk."""
    rows = await RepairQuote.select(RepairQuote.repair, RepairQuote.amount).where(
        RepairQuote.repair.is_in(repair_ids or [-1])).order_by(RepairQuote.id).run()
    return {r["repair"]: r["amount"] for r in rows}


async def repair_rows(where: Any) -> AsyncIterator[list[list[Any]]]:
    status, channel, urgency = _words(REPAIR_STATUSES), _words(REPAIR_CHANNELS), _words(URGENCIES)
    component = _words(COMPONENT_LABELS)

    def query() -> Any:
        return RepairRequest.select(
            RepairRequest.id, RepairRequest.unit.building.project.name.as_alias("project"),
            RepairRequest.unit.building.name.as_alias("building"), RepairRequest.unit.number.as_alias("unit_number"),
            RepairRequest.component, RepairRequest.location, RepairRequest.description, RepairRequest.status,
            RepairRequest.channel, RepairRequest.urgency, RepairRequest.reported_on,
            RepairRequest.created_at).where(where)

    async for rows in chunks(query, RepairRequest.id):
        amounts = await _quoted([r["id"] for r in rows])
        yield [[r["id"], r["project"], r["building"], r["unit_number"], component.get(r["component"], r["component"]),
                r["location"], r["description"], status.get(r["status"], r["status"]),
                channel.get(r["channel"], r["channel"]), urgency.get(r["urgency"] or "", ""), r["reported_on"],
                excel_time(r["created_at"]), amounts.get(r["id"])] for r in rows]


def inquiry_headers() -> list[str]:
    return [_("No."), _("Project"), _("Name"), _("Phone"), _("Channel of the inquiry"), _("Category"),
            _("Question"), _("Status"), _("Answer"), _("Recorded"), _("Answered at"), _("Closed at")]


async def inquiry_rows(where: Any) -> AsyncIterator[list[list[Any]]]:
    status, channel = _words(INQUIRY_STATUSES), _words(INQUIRY_CHANNELS)

    def query() -> Any:
        return Inquiry.select(
            Inquiry.id, Inquiry.project.name.as_alias("project"), Inquiry.asker_name, Inquiry.asker_phone,
            Inquiry.channel, Inquiry.category, Inquiry.question, Inquiry.status, Inquiry.answer, Inquiry.created_at,
            Inquiry.answered_at, Inquiry.closed_at).where(where)

    async for rows in chunks(query, Inquiry.id):
        yield [[r["id"], r["project"], r["asker_name"], r["asker_phone"], channel.get(r["channel"], r["channel"]),
                r["category"], r["question"], status.get(r["status"], r["status"]), r["answer"],
                excel_time(r["created_at"]), excel_time(r["answered_at"]), excel_time(r["closed_at"])]
               for r in rows]
