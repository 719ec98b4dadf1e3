"""Telling people of a hand-off: an inbox message each, and the outside
channels (webhook, email) of their party, batched per destination per hour.

Call `notify` inside the transaction that makes the change, so the change and
its notices commit together (or not at all); then, after the commit, call
`send_soon` with what it answered. The first item for a destination that has
heard nothing for an hour goes at once; whatever comes within the hour after
a message waits and goes as one digest when the hour is up (see digests.py).
The inbox lists every item on its own.

Who is told of what is decided by the callers (handoffs.py); this module only
writes. Texts are written in the site's default language, like the
contractor's notices, since the reader's language is not known here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.accounts.tables import User
from server.i18n import current_locale
from server.jobs import enqueue
from server.notifications.channels import email_enabled
from server.notifications.tables import ChannelDestination, ChannelItem, InboxMessage
from server.org.tables import Party
from server.settings import get_settings


@dataclass(frozen=True)
class Notice:
    """One hand-off: `key` names the event (unique per occurrence); `link` is a path in this app."""

    key: str
    title: str
    body: str
    link: str


class default_language:  # noqa: N801 - used as a context manager, like a function
    """`with default_language():` writes texts in the site's default language."""

    def __enter__(self) -> None:
        self._token = current_locale.set(get_settings().default_language)

    def __exit__(self, *exc: Any) -> None:
        current_locale.reset(self._token)


def addressed_to(user: Any) -> Any:
    """A where-clause: the inbox messages this user may read (their own, and their party's)."""
    where = InboxMessage.user == user.id
    if user.party:
        where |= InboxMessage.party == user.party
    return where


def destination_key(channel: str, address: str) -> str:
    return f"{channel}:{hashlib.sha256(address.strip().lower().encode()).hexdigest()[:64]}"


async def active_users(where: Any, *, exclude: Any = None) -> list[int]:
    """Ids of active users matching `where`, less the one who acted (nobody is told of their own work)."""
    rows = await User.select(User.id).where(where & (User.is_active == True)).run()  # noqa: E712
    skip = getattr(exclude, "id", None)
    return sorted({r["id"] for r in rows} - {skip})


async def _destinations(user_ids: list[int]) -> list[int]:
    """The webhook and email destinations of these users' parties (one row each, made when first needed)."""
    rows = await User.select(User.party.webhook_url, User.party.email).where(
        User.id.is_in(user_ids) & User.party.is_not_null()).run()
    return await _destinations_of([{"webhook_url": r["party.webhook_url"], "email": r["party.email"]} for r in rows])


async def _destinations_of(parties: list[dict[str, Any]]) -> list[int]:
    """The destination rows for these parties' webhook URLs and email addresses."""
    wanted: dict[str, tuple[str, str]] = {}
    for row in parties:
        if row["webhook_url"]:
            wanted[destination_key("webhook", row["webhook_url"])] = ("webhook", row["webhook_url"])
        if row["email"] and email_enabled():
            wanted[destination_key("email", row["email"])] = ("email", row["email"])
    if not wanted:
        return []
    # Two transactions may meet a new address at once: the second one's insert does nothing.
    await ChannelDestination.insert(*[ChannelDestination(key=k, channel=c, address=a)
                                      for k, (c, a) in wanted.items()]).on_conflict(action="DO NOTHING").run()
    rows = await ChannelDestination.select(ChannelDestination.id).where(
        ChannelDestination.key.is_in(list(wanted))).run()
    return sorted(r["id"] for r in rows)


async def notify(user_ids: Iterable[int], notice: Notice) -> list[int]:
    """Inside the caller's transaction: an inbox message per user and a channel
    item per destination. Idempotent per notice key. Answers the destinations
    to pass to `send_soon` after the commit."""
    users = sorted(set(user_ids))
    if not users:
        return []
    await InboxMessage.insert(*[
        InboxMessage(user=u, title=notice.title[:200], body=notice.body, link=notice.link[:300],
                     dedupe_key=f"{notice.key}:u{u}"[:100]) for u in users
    ]).on_conflict(action="DO NOTHING").run()
    return await _to_channels(await _destinations(users), notice)


async def notify_party(party_id: int, notice: Notice) -> list[int]:
    """Like `notify`, for a party (a construction unit): one inbox message that
    every user of the party sees, and the party's own webhook or email."""
    await InboxMessage.insert(InboxMessage(party=party_id, title=notice.title[:200], body=notice.body,
                                           link=notice.link[:300], dedupe_key=f"{notice.key}:p{party_id}"[:100])
                              ).on_conflict(action="DO NOTHING").run()
    party = await Party.select(Party.webhook_url, Party.email).where(Party.id == party_id).first().run()
    return await _to_channels(await _destinations_of([party] if party else []), notice)


async def _to_channels(destinations: list[int], notice: Notice) -> list[int]:
    if destinations:
        link = f"{get_settings().base_url}{notice.link}" if notice.link.startswith("/") else notice.link
        await ChannelItem.insert(*[
            ChannelItem(destination=d, title=notice.title[:200], body=notice.body, link=link[:300],
                        dedupe_key=f"{notice.key}:d{d}"[:120]) for d in destinations
        ]).on_conflict(action="DO NOTHING").run()
    return destinations


async def send_soon(destination_ids: Iterable[int]) -> None:
    """After the commit: ask the worker to send what is due. One queued job per
    destination and hour (its id names the last send), however many notices
    came; the worker's minute sweep sends what Redis lost or what had to wait."""
    ids = sorted(set(destination_ids))
    if not ids:
        return
    rows = await ChannelDestination.select(ChannelDestination.id, ChannelDestination.last_sent_at).where(
        ChannelDestination.id.is_in(ids)).run()
    for row in rows:
        since = int(row["last_sent_at"].timestamp()) if row["last_sent_at"] else 0
        await enqueue("channel_flush", row["id"], job_id=f"channel:{row['id']}:{since}")
