"""Reads the handover context offers to others (the org API shows a unit's handovers)."""
from __future__ import annotations

from server.handover.schemas import HandoverOut, handover_out
from server.handover.tables import KeyHandover


async def handovers_of_unit(unit_id: int) -> list[HandoverOut]:
    rows = await KeyHandover.objects().where(KeyHandover.unit == unit_id).order_by(KeyHandover.id).run()
    return [handover_out(r) for r in rows]
