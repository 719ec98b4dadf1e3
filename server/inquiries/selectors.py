"""Reading inquiries: the API shape and the paged list, newest first."""
from __future__ import annotations

from typing import Any

from server.inquiries.services import CHANNELS, STATUSES
from server.inquiries.tables import Inquiry
from server.pagination import Page


def inquiry_out(row: dict | Inquiry) -> dict[str, Any]:
    d = row if isinstance(row, dict) else row.to_dict()
    return {"id": d["id"], "owner_id": d["owner"], "asker_name": d["asker_name"], "asker_phone": d["asker_phone"],
            "unit_id": d["unit"], "channel": d["channel"], "channel_label": str(CHANNELS.get(d["channel"], "")),
            "category": d["category"], "question": d["question"], "status": d["status"],
            "status_label": str(STATUSES.get(d["status"], "")), "answer": d["answer"],
            "knowledge_entry_id": d["knowledge_entry"], "created_at": d["created_at"].isoformat(),
            "answered_at": d["answered_at"].isoformat() if d["answered_at"] else None}


async def list_inquiries(page: Page, *, status: str | None = None) -> dict[str, Any]:
    condition = Inquiry.status == status if status in STATUSES else Inquiry.id.is_not_null()
    rows = await Inquiry.select().where(condition).order_by(Inquiry.id, ascending=False).limit(page.limit).offset(
        page.offset).run()
    total = await Inquiry.count().where(condition).run()
    return {"items": [inquiry_out(r) for r in rows], "total": total, "limit": page.limit, "offset": page.offset}
