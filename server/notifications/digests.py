"""Sending the channel items (run by the worker): at most one message per
destination per hour, listing every item that waited.

`flush` claims the destination's hour with a compare-and-set on
`last_sent_at` (so two workers never both send within the hour), then claims
the waiting items by setting their message in one UPDATE (an item committed a
moment later simply waits for the next message). A failed send is recorded on
the message and retried with backoff by the sweep; the items stay with it.
"""
from __future__ import annotations

import datetime as dt
import logging

from piccolo.columns.combination import WhereRaw

from server.db import write_transaction
from server.i18n import _, ngettext
from server.notifications.channels import MAX_ATTEMPTS, DeliveryFailed, backoff, send_email, send_webhook
from server.notifications.services import default_language
from server.notifications.tables import ChannelDestination, ChannelItem, ChannelMessage
from server.settings import get_settings

log = logging.getLogger("server.digests")

HOUR = dt.timedelta(hours=1)
MAX_LINES = 20
"""Items listed in one message (a group robot refuses messages over 4 KB); the rest are counted."""
STALE_SENDING = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class _Nothing(Exception):
    """Raised inside the claim to roll it back: another worker took the items."""


async def flush(destination_id: int, now: dt.datetime | None = None) -> str:
    """Send what waits for this destination if its hour is up: sent, retrying,
    failed, later (not yet an hour since the last message) or nothing."""
    now = now or _now()
    if not await ChannelItem.exists().where(
            (ChannelItem.destination == destination_id) & ChannelItem.message.is_null()).run():
        return "nothing"
    try:
        async with write_transaction():
            claimed = await ChannelDestination.update({ChannelDestination.last_sent_at: now}).where(
                (ChannelDestination.id == destination_id)
                & (ChannelDestination.last_sent_at.is_null() | (ChannelDestination.last_sent_at <= now - HOUR))
            ).returning(ChannelDestination.id).run()
            if not claimed:
                return "later"
            message = ChannelMessage(destination=destination_id, status="sending", next_attempt_at=now)
            await message.save().run()
            items = await ChannelItem.update({ChannelItem.message: message.id}).where(
                (ChannelItem.destination == destination_id) & ChannelItem.message.is_null()
            ).returning(ChannelItem.id).run()
            if not items:
                raise _Nothing
    except _Nothing:
        return "nothing"
    return await send(message.id, "sending")


def compose(items: list[dict]) -> tuple[str, str, str]:
    """(title, text, link) of one message: the item itself, or a digest listing them."""
    if len(items) == 1:
        return items[0]["title"], items[0]["body"], items[0]["link"]
    title = ngettext("%(num)s new notice", "%(num)s new notices", len(items))
    lines = [f"- {item['title']}：{item['body']} {item['link']}".rstrip() for item in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        lines.append(ngettext("… and %(num)s more", "… and %(num)s more", len(items) - MAX_LINES))
    return title, "\n".join(lines), f"{get_settings().base_url}/inbox"


async def send(message_id: int, status: str) -> str:
    """Send one message (claimed from `status`); answers its new status, or skipped."""
    if status != "sending":
        claimed = await ChannelMessage.update({ChannelMessage.status: "sending",
                                               ChannelMessage.next_attempt_at: _now()}).where(
            (ChannelMessage.id == message_id) & (ChannelMessage.status == status)).returning(
            ChannelMessage.id).run()
        if not claimed:
            return "skipped"
    message = await ChannelMessage.objects(ChannelMessage.destination).get(ChannelMessage.id == message_id).run()
    items = await ChannelItem.select(ChannelItem.title, ChannelItem.body, ChannelItem.link).where(
        ChannelItem.message == message_id).order_by(ChannelItem.id).run()
    with default_language():
        title, text, link = compose(items)
    destination = message.destination
    attempts = message.attempts + 1
    try:
        if destination.channel == "webhook":
            await send_webhook(destination.address, title, text, link)
        else:
            await send_email(destination.address, title, f"{text}\n\n{link}")
    except DeliveryFailed as exc:
        new_status = "failed" if attempts >= MAX_ATTEMPTS else "retrying"
        await ChannelMessage.update({
            ChannelMessage.status: new_status, ChannelMessage.attempts: attempts,
            ChannelMessage.last_error: str(exc), ChannelMessage.next_attempt_at: _now() + backoff(attempts),
        }).where(ChannelMessage.id == message_id).run()
        log.warning("Channel message %s via %s failed (attempt %s): %s", message_id, destination.channel,
                    attempts, exc)
        return new_status
    await ChannelMessage.update({ChannelMessage.status: "sent", ChannelMessage.attempts: attempts,
                                 ChannelMessage.sent_at: _now(), ChannelMessage.last_error: ""}).where(
        ChannelMessage.id == message_id).run()
    return "sent"


async def sweep(now: dt.datetime | None = None, limit: int = 100) -> list[str]:
    """Every minute: send the digests whose hour is up, retry failures whose
    backoff has passed, and take back messages whose worker died mid-send."""
    now = now or _now()
    await ChannelMessage.update({ChannelMessage.status: "retrying", ChannelMessage.next_attempt_at: now}).where(
        (ChannelMessage.status == "sending") & (ChannelMessage.next_attempt_at < now - STALE_SENDING)).run()
    retries = await ChannelMessage.select(ChannelMessage.id).where(
        (ChannelMessage.status == "retrying") & (ChannelMessage.next_attempt_at <= now)).limit(limit).run()
    results = [await send(row["id"], "retrying") for row in retries]
    due = await ChannelDestination.select(ChannelDestination.id).where(
        (ChannelDestination.last_sent_at.is_null() | (ChannelDestination.last_sent_at <= now - HOUR))
        & WhereRaw('EXISTS (SELECT 1 FROM channel_item WHERE channel_item.destination = channel_destination.id '
                   'AND channel_item.message IS NULL)')).limit(limit).run()
    results += [await flush(row["id"], now) for row in due]
    return results
