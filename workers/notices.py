"""Jobs that deliver rectification notices and hand-off notices, and chase overdue work.

Thin on purpose: the logic is in server/inspections/dispatch.py and
server/inspections/overdue.py and server/notifications/digests.py, where the tests call it directly too.
"""
from __future__ import annotations

from typing import Any

from server.inspections.dispatch import deliver, deliveries_due, notice_deliver_all
from server.notifications import digests


async def notice_dispatch(ctx: dict[str, Any], notice_id: int) -> list[str]:
    return await notice_deliver_all(notice_id)


async def sweep_deliveries(ctx: dict[str, Any]) -> int:
    """Every minute: send what Redis lost and retry failures whose backoff has passed."""
    sent = 0
    for row in await deliveries_due():
        sent += await deliver(row) == "sent"
    return sent


async def channel_flush(ctx: dict[str, Any], destination_id: int) -> str:
    """A hand-off for a party's webhook or email: sent now if its hour is up, else left for the sweep."""
    return await digests.flush(destination_id)


async def sweep_channels(ctx: dict[str, Any]) -> list[str]:
    """Every minute: the hourly digests that are due, and retries whose backoff has passed."""
    return await digests.sweep()


async def refresh_statistics(ctx: dict[str, Any]) -> None:
    """Hourly: keep SQLite's planner statistics current as the data grows."""
    from server.db import refresh_statistics as refresh

    await refresh()
