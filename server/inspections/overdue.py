"""Overdue rectification: mark it, tell the contractor, escalate to the project department.

Run every few minutes by an arq cron job. Marking is a compare-and-set on
`overdue_since`, so a defect is escalated once per deadline however often the
job runs (a reopened defect gets a new deadline and may go overdue again).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.db import write_transaction
from server.i18n import _
from server.inspections.tables import Defect, NoticeDelivery, RectificationNotice
from server.notifications.tables import InboxMessage
from server.org.tables import Party


async def overdue_mark(now: dt.datetime | None = None) -> list[int]:
    """Mark newly overdue defects; returns the ids of deliveries to send."""
    now = now or clock.now()
    delivery_ids: list[int] = []
    async with write_transaction():
        newly = await Defect.update({Defect.overdue_since: now}).where(
            (Defect.status == "open") & (Defect.deadline < now) & Defect.overdue_since.is_null()
        ).returning(Defect.id, Defect.notice).run()
        if not newly:
            return []
        notice_ids = sorted({row["notice"] for row in newly if row["notice"]})
        for row in newly:
            await audit_record(actor=None, object_type="defect", object_id=row["id"], action="overdue")
        notices = await RectificationNotice.select(RectificationNotice.id, RectificationNotice.number,
                                                   RectificationNotice.party).where(
            RectificationNotice.id.is_in(notice_ids or [-1])).run()
        parties = {p["id"]: p for p in await Party.select(Party.id, Party.webhook_url).where(
            Party.id.is_in([n["party"] for n in notices] or [-1])).run()}
        staff = await User.select(User.id).where((User.role == roles.PROJECT_STAFF) & (User.is_active == True)).run()  # noqa: E712
        stamp = now.strftime("%Y%m%d%H%M")
        for notice in notices:
            channels = ["inbox"] + (["webhook"] if parties[notice["party"]]["webhook_url"] else [])
            created = await NoticeDelivery.insert(*[
                NoticeDelivery(notice=notice["id"], channel=c, purpose="overdue") for c in channels
            ]).returning(NoticeDelivery.id).run()
            delivery_ids += [c["id"] for c in created]
            # Escalation: every project-department user sees it in their inbox.
            for user in staff:
                key = f"escalation:{notice['id']}:{user['id']}:{stamp}"
                await InboxMessage.insert(InboxMessage(
                    user=user["id"], dedupe_key=key, link=f"/tasks/notices/{notice['id']}",
                    title=_("Overdue rectification: %(number)s", number=notice["number"]),
                    body=_("The construction unit has not rectified every defect by the deadline."))).run()
            await audit_record(actor=None, object_type="rectification_notice", object_id=notice["id"],
                               action="overdue_escalated", details={"project_staff": len(staff)})
    return delivery_ids


async def overdue_job(ctx: Any = None) -> int:
    from server.inspections.dispatch import deliver
    from server.procedures.overdue import steps_overdue_notify

    await steps_overdue_notify()  # overdue procedure steps: their departments are told, once per breach
    ids = await overdue_mark()
    rows = await NoticeDelivery.select().where(NoticeDelivery.id.is_in(ids or [-1])).run()
    for row in rows:
        await deliver(row)
    return len(ids)
