"""Delivering rectification notices through their channels (run by the worker).

Each NoticeDelivery row is claimed with a compare-and-set on its status, so
two workers never send the same message. A failure is recorded on the row
(shown on the notice) and retried with exponential backoff by the sweep; it
never blocks the workflow. The inbox message carries a dedupe key, so a job
that runs twice posts one message.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from server.clock import local_time
from server.i18n import _
from server.inspections.notices import notice_link_token
from server.inspections.tables import Defect, Inspection, NoticeDelivery, RectificationNotice
from server.notifications.channels import MAX_ATTEMPTS, DeliveryFailed, backoff, send_email, send_webhook
from server.notifications.tables import InboxMessage
from server.org.tables import Party, Unit
from server.settings import get_settings

log = logging.getLogger("server.dispatch")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def notice_message(notice: RectificationNotice, purpose: str = "notice") -> dict[str, str]:
    """Title, text and password-free link of a notice, in the default language."""
    inspection = await Inspection.objects().get(Inspection.id == notice.inspection).run()
    unit = await Unit.objects(Unit.building, Unit.building.project).get(Unit.id == inspection.unit).run()
    count = await Defect.count().where(Defect.notice == notice.id).run()
    place = f"{unit.building.project.name} {unit.building.name} {unit.number}"
    if purpose == "overdue":
        title = _("Overdue: rectification notice %(number)s", number=notice.number)
    else:
        title = _("Rectification notice %(number)s", number=notice.number)
    text = _("%(place)s: %(count)s defects to rectify by %(deadline)s.", place=place, count=count,
             deadline=local_time(notice.deadline))
    link = f"{get_settings().base_url}/n/{notice_link_token(notice.id, notice.party)}"
    return {"title": title, "text": text, "link": link}


async def _claim(delivery_id: int, status: str) -> bool:
    # next_attempt_at doubles as "claimed at" while sending (see deliveries_due).
    claimed = await NoticeDelivery.update({NoticeDelivery.status: "sending", NoticeDelivery.next_attempt_at: _now()}).where(
        (NoticeDelivery.id == delivery_id) & (NoticeDelivery.status == status)
    ).returning(NoticeDelivery.id).run()
    return bool(claimed)


async def deliver(delivery: dict[str, Any]) -> str:
    """Send one delivery; returns its new status (sent, retrying or failed)."""
    if not await _claim(delivery["id"], delivery["status"]):
        return "skipped"
    notice = await RectificationNotice.objects().get(RectificationNotice.id == delivery["notice"]).run()
    party = await Party.objects().get(Party.id == notice.party).run()
    message = await notice_message(notice, delivery["purpose"])
    attempts = delivery["attempts"] + 1
    try:
        if delivery["channel"] == "inbox":
            key = f"notice:{notice.id}:{delivery['purpose']}"
            if not await InboxMessage.exists().where(InboxMessage.dedupe_key == key).run():
                await InboxMessage.insert(InboxMessage(party=party.id, title=message["title"], body=message["text"],
                                                       link=f"/tasks/notices/{notice.id}", dedupe_key=key)).run()
        elif delivery["channel"] == "webhook":
            await send_webhook(party.webhook_url, message["title"], message["text"], message["link"])
        elif delivery["channel"] == "email":
            await send_email(party.email, message["title"], f"{message['text']}\n\n{message['link']}")
    except DeliveryFailed as exc:
        status = "failed" if attempts >= MAX_ATTEMPTS else "retrying"
        await NoticeDelivery.update({
            NoticeDelivery.status: status, NoticeDelivery.attempts: attempts, NoticeDelivery.last_error: str(exc),
            NoticeDelivery.next_attempt_at: _now() + backoff(attempts),
        }).where(NoticeDelivery.id == delivery["id"]).run()
        log.warning("Notice %s via %s failed (attempt %s): %s", notice.number, delivery["channel"], attempts, exc)
        return status
    await NoticeDelivery.update({NoticeDelivery.status: "sent", NoticeDelivery.attempts: attempts,
                                 NoticeDelivery.sent_at: _now(), NoticeDelivery.last_error: ""}).where(
        NoticeDelivery.id == delivery["id"]).run()
    return "sent"


async def notice_deliver_all(notice_id: int) -> list[str]:
    rows = await NoticeDelivery.select().where(
        (NoticeDelivery.notice == notice_id) & NoticeDelivery.status.is_in(["pending", "retrying"])).run()
    return [await deliver(row) for row in rows]


async def deliveries_due(limit: int = 100) -> list[dict]:
    """Pending ones the queue may have lost, and retries whose backoff has passed.
    A delivery stuck in `sending` (its worker died) is retried after 10 minutes."""
    now = _now()
    stale = now - dt.timedelta(minutes=10)
    await NoticeDelivery.update({NoticeDelivery.status: "retrying", NoticeDelivery.next_attempt_at: now}).where(
        (NoticeDelivery.status == "sending") & (NoticeDelivery.next_attempt_at < stale)).run()
    return await NoticeDelivery.select().where(
        (NoticeDelivery.status == "pending")
        | ((NoticeDelivery.status == "retrying") & (NoticeDelivery.next_attempt_at <= now))
    ).limit(limit).run()
