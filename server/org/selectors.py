"""Reads of the organisation for the hot pages: a building's units as a page and a JSON list.

Their queries are built by Piccolo once and then run as SQL with each request's values
(server.db.built_once): a building's 50-unit page and list are issue 15's measured requests
(bench/serving.py), where building a select cost more than running it.
"""
from __future__ import annotations

from typing import Any

from server.db import Row, built_once, rows
from server.pagination import Page, total_or_count
from server.org.tables import Party, Unit, UnitType
from server.reference_cache import remembered

UNIT_COLUMNS = (Unit.id, Unit.building, Unit.number, Unit.floor, Unit.unit_type, Unit.status)
"""What the API shows of a unit in a list (schemas.unit_item)."""
TILE_COLUMNS = (Unit.id, Unit.number, Unit.floor, Unit.unit_type, Unit.status)
"""What a unit's tile on the building page shows."""


@built_once(read_only=True)  # read by schemas.unit_item alone
def _units_listed(building: Any, *, limit: int, offset: int) -> Any:
    # The where-clause is the API's general one with a staff member's filter, so SQLite plans
    # (and orders units on one floor) as before.
    return Unit.select(*UNIT_COLUMNS).where((Unit.building == building) & Unit.id.is_not_null()) \
        .order_by(Unit.floor).limit(limit).offset(offset)


@built_once(read_only=True)  # read by pages_unit_tiles.floors_of_tiles alone
def _tiles(building: Any, *, limit: int, offset: int) -> Any:
    return Unit.select(*TILE_COLUMNS).where(Unit.building == building).order_by(Unit.floor, Unit.number) \
        .limit(limit).offset(offset)


@built_once
def _count(building: Any) -> Any:
    return Unit.count().where(Unit.building == building)


@built_once
def _unit_types(project: Any, *, limit: int) -> Any:
    return UnitType.select().where(UnitType.project == project).order_by(UnitType.name).limit(limit)


@built_once
def _parties_of_kind(kind: Any, *, limit: int) -> Any:
    return Party.select(Party.id, Party.name).where(Party.kind == kind).order_by(Party.name).limit(limit)


@remembered
async def parties_of_kind(kind: str, *, limit: int) -> tuple[tuple[int, str], ...]:
    """(id, name) of the parties of `kind` by name, for a select (the building page's construction units)."""
    return tuple((row["id"], row["name"]) for row in await _parties_of_kind(kind, limit=limit))


async def units_listed_for_staff(building_id: int, *, limit: int, offset: int) -> list[Any]:
    """A page of a building's units in the API's order (by floor), as every staff member sees them:
    read-only mappings of UNIT_COLUMNS (server.db.raw_rows' `read_only`)."""
    return await _units_listed(building_id, limit=limit, offset=offset)


async def unit_tiles_page(building_id: int, page: Page) -> dict[str, Any]:
    """A page of a building's units by floor and number, for the building page: {rows, total, limit, offset};
    counted only when the page does not show the total (pagination.total_shown_by). The rows are
    read-only mappings of TILE_COLUMNS (server.db.raw_rows' `read_only`)."""
    tiles = await _tiles(building_id, limit=page.limit + 1, offset=page.offset)
    return {"rows": tiles[:page.limit], "limit": page.limit, "offset": page.offset,
            "total": await total_or_count(len(tiles), page, lambda: unit_count(building_id))}


async def unit_count(building_id: int) -> int:
    return (await _count(building_id))[0]["count"]


@remembered
async def unit_types_of(project_id: int, *, limit: int) -> tuple[Row, ...]:
    return tuple(rows(await _unit_types(project_id, limit=limit)))
