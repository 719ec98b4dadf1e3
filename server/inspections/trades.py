"""Trade assignments: which construction unit answers for a defect category in a building.

The capture form fills the responsible unit in from them. The administrator
sets them on the building page; an inspector who picks a unit by hand where
none is assigned may have it remembered for that building and category (with
the defect, in the same transaction). Every change is audited on the building.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from server.audit.services import audit_record
from server.db import built_once, write_transaction
from server.errors import Invalid
from server.i18n import _
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import TradeAssignment
from server.org.tables import Party
from server.reference_cache import remembered


@built_once
def _assignments(building: Any) -> Any:
    return TradeAssignment.select(TradeAssignment.category, TradeAssignment.party).where(
        TradeAssignment.building == building).order_by(TradeAssignment.id)


@remembered
async def trades_of(building_id: int) -> Mapping[str, int]:
    """{category: party id} for the building (one query, compiled once, and remembered while the
    reference rows are unchanged: the capture form and the building page ask on every visit)."""
    return MappingProxyType({row["category"]: row["party"] for row in await _assignments(building_id)})


async def _put(actor: Any, building_id: int, category: str, party_id: int | None, before: int | None,
               how: str) -> None:
    """Replace one category's assignment (inside the caller's write transaction)."""
    await TradeAssignment.delete().where(
        (TradeAssignment.building == building_id) & (TradeAssignment.category == category)).run()
    if party_id is not None:
        await TradeAssignment.insert(TradeAssignment(building=building_id, category=category, party=party_id)).run()
    await audit_record(actor=actor, object_type="building", object_id=building_id, action="trade_assign",
                       details={"category": category, "from": before, "to": party_id, "how": how})


async def trades_set(*, actor: Any, building_id: int, chosen: dict[str, Any]) -> int:
    """Set the building's assignments from {category: party id or blank}; the number changed.

    A blank removes the category's assignment; a party that is not a
    construction unit is refused beside its category.
    """
    wanted: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for category in CATEGORIES:
        value = str(chosen.get(category) or "").strip()
        try:
            wanted[category] = int(value) if value else None
        except ValueError:
            wanted[category] = -1
    ids = {v for v in wanted.values() if v is not None}
    builders = {row["id"] for row in await Party.select(Party.id).where(
        Party.id.is_in(list(ids)) & (Party.kind == "construction_unit")).run()} if ids else set()
    for category, party_id in wanted.items():
        if party_id is not None and party_id not in builders:
            errors[category] = _("Choose a construction unit.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    changed = 0
    async with write_transaction():
        current = await trades_of(building_id)
        for category, party_id in wanted.items():
            if current.get(category) != party_id:
                await _put(actor, building_id, category, party_id, current.get(category), "admin")
                changed += 1
    return changed


async def trade_remember(*, actor: Any, building_id: int, category: str, party_id: int) -> bool:
    """Keep an inspector's choice where the category has no assignment yet (inside the
    caller's write transaction); False if one exists already (it is never overwritten here)."""
    exists = await TradeAssignment.exists().where(
        (TradeAssignment.building == building_id) & (TradeAssignment.category == category)).run()
    if exists or category not in CATEGORIES:
        return False
    await _put(actor, building_id, category, party_id, None, "remembered")
    return True
