"""Reading inquiries and their contact sheets: the API shapes and the paged lists, newest first, the late ones
marked (sla.py)."""
from __future__ import annotations

from typing import Any

from server.inquiries import sla, states
from server.inquiries.services import CHANNELS, STATUSES
from server.inquiries.tables import ContactSheet, Inquiry
from server.pagination import Page, rows_and_total


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def inquiry_out(row: dict | Inquiry, overdue: dict | None = None) -> dict[str, Any]:
    d = row if isinstance(row, dict) else row.to_dict()
    return {"id": d["id"], "owner_id": d["owner"], "asker_name": d["asker_name"], "asker_phone": d["asker_phone"],
            "unit_id": d["unit"], "project_id": d.get("project"), "channel": d["channel"],
            "channel_label": str(CHANNELS.get(d["channel"], "")),
            "category": d["category"], "question": d["question"], "status": d["status"],
            "status_label": str(STATUSES.get(d["status"], "")), "answer": d["answer"],
            "knowledge_entry_id": d["knowledge_entry"], "created_at": d["created_at"].isoformat(),
            "answered_at": _iso(d["answered_at"]), "draft": d.get("draft", ""),
            "return_reason": d.get("return_reason", ""), "approved_at": _iso(d.get("approved_at")),
            "closed_at": _iso(d.get("closed_at")), "overdue": (overdue or {}).get("stage")}


INTERNAL = ("draft", "return_reason")
"""CS's own work on an answer (the draft, why the CS manager sent it back): not shown to the owner asking."""


def for_owner(out: dict[str, Any]) -> dict[str, Any]:
    """An inquiry as the owner who asked reads it: without CS's internal work, the states inside the CS center
    as one."""
    label = states.OWNER_LABELS.get(out["status"])
    return {**out, **{name: "" for name in INTERNAL}, "status_label": str(label) if label else out["status_label"]}


async def inquiry_one(inquiry: Inquiry) -> dict[str, Any]:
    row = inquiry.to_dict()
    return inquiry_out(row, (await sla.overdue_of([row])).get(inquiry.id))


def list_where(*, status: str | None = None, where: Any = None) -> Any:
    """The inquiry list's where-clause (also its Excel download's, server/reports/): an unknown status is all."""
    condition = Inquiry.status == status if status in STATUSES else Inquiry.id.is_not_null()
    if where is not None:
        condition &= where
    return condition


async def list_inquiries(page: Page, *, status: str | None = None, where: Any = None) -> dict[str, Any]:
    condition = list_where(status=status, where=where)
    rows, total, lower_bound = await rows_and_total(
        Inquiry.select().where(condition).order_by(Inquiry.id, ascending=False), Inquiry.count().where(condition), page)
    late = await sla.overdue_of(rows)
    return {"items": [inquiry_out(r, late.get(r["id"])) for r in rows], "total": total,
            "total_is_lower_bound": lower_bound, "limit": page.limit, "offset": page.offset}


SHEET_COLUMNS = (ContactSheet.party.name.as_alias("party_name"), ContactSheet.inquiry.question.as_alias("question"),
                 ContactSheet.inquiry.status.as_alias("inquiry_status"))


def sheet_out(d: dict) -> dict[str, Any]:
    return {"id": d["id"], "inquiry_id": d["inquiry"], "party_id": d["party"], "party_name": d["party_name"],
            "question": d["question"], "request": d["request"], "deadline": d["deadline"].isoformat(),
            "status": d["status"], "status_label": str(states.SHEET_LABELS.get(d["status"], "")),
            "reply": d["reply"], "replied_at": _iso(d["replied_at"]), "created_at": d["created_at"].isoformat(),
            "overdue": sla.sheet_late(d)}


def sheets_where(user: Any) -> Any:
    """The sheets this user sees: CS and administrators every one, a department's users their party's."""
    if user.role in states.CS:
        return ContactSheet.id.is_not_null()
    return ContactSheet.party == (user.party or -1)


async def sheets_of_inquiry(inquiry_id: int) -> list[dict[str, Any]]:
    rows = await ContactSheet.select(ContactSheet.all_columns(), *SHEET_COLUMNS).where(
        ContactSheet.inquiry == inquiry_id).order_by(ContactSheet.id).run()
    return [sheet_out(r) for r in rows]


async def sheet_one(sheet_id: int) -> dict[str, Any] | None:
    row = await ContactSheet.select(ContactSheet.all_columns(), *SHEET_COLUMNS).where(
        ContactSheet.id == sheet_id).first().run()
    return sheet_out(row) if row else None


async def list_sheets(user: Any, page: Page, *, status: str | None = None) -> dict[str, Any]:
    """The user's sheets, waiting ones first (the earliest due first), then the replied, newest first."""
    condition = sheets_where(user)
    if status in states.SHEET_LABELS:
        condition &= ContactSheet.status == status
    rows = await ContactSheet.select(ContactSheet.all_columns(), *SHEET_COLUMNS).where(condition).order_by(
        ContactSheet.status, ascending=False).order_by(ContactSheet.deadline).limit(page.limit).offset(
        page.offset).run()
    total = await ContactSheet.count().where(condition).run()
    return {"items": [sheet_out(r) for r in rows], "total": total, "limit": page.limit, "offset": page.offset}


def waiting_sheets(user: Any) -> Any:
    """The nav count's query: sheets waiting for this user's department (for CS: every sheet waiting)."""
    return ContactSheet.count().where(sheets_where(user) & (ContactSheet.status == states.WAITING))


async def callbacks_of(inquiry_id: int) -> list[dict[str, Any]]:
    from server.inquiries.tables import InquiryCallback

    return await InquiryCallback.select(InquiryCallback.all_columns(), InquiryCallback.by.display_name.as_alias(
        "by_name")).where(InquiryCallback.inquiry == inquiry_id).order_by(InquiryCallback.id).run()
