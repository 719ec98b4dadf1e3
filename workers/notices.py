"""Jobs that deliver rectification notices and chase overdue work.

Thin on purpose: the logic is in server/inspections/dispatch.py and
server/inspections/overdue.py, where the tests call it directly too.
"""
from __future__ import annotations

from typing import Any

from server.inspections.dispatch import deliver, deliveries_due, notice_deliver_all


async def notice_dispatch(ctx: dict[str, Any], notice_id: int) -> list[str]:
    return await notice_deliver_all(notice_id)


async def sweep_deliveries(ctx: dict[str, Any]) -> int:
    """Every minute: send what Redis lost and retry failures whose backoff has passed."""
    sent = 0
    for row in await deliveries_due():
        sent += await deliver(row) == "sent"
    return sent


async def refresh_statistics(ctx: dict[str, Any]) -> None:
    """Hourly: keep SQLite's planner statistics current as the data grows."""
    from server.db import refresh_statistics as refresh

    await refresh()
