"""Reads for inspection pages and the API: a constant number of queries per list."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from server.db import ids_in
from server.inspections.access import visible_defects
from server.inspections.tables import Defect
from server.org.tables import Party, Unit, UnitType
from server.pagination import Page, rows_and_total
from server.reference_cache import remembered
from server.photos.schemas import PhotoOut, photo_out
from server.photos.tables import Photo, PhotoStatus


async def photos_by_subject(subject_type: str, ids: list[int]) -> dict[int, list[PhotoOut]]:
    """Every photo of these subjects, oldest first, in one query."""
    grouped: dict[int, list[PhotoOut]] = defaultdict(list)
    if not ids:
        return grouped
    # Plain rows, not Table objects: building Piccolo objects costs more than
    # the query itself on a 50-row list (measured by bench/inspections.py).
    rows = await Photo.select().where((Photo.subject_type == subject_type) & ids_in(Photo.subject_id, ids)).order_by(
        Photo.id).run()
    for row in rows:
        grouped[row["subject_id"]].append(photo_out(SimpleNamespace(**row)))
    return grouped


def defect_filters(user: Any, *, status: str | None = None, construction_unit_id: int | None = None,
                   unit_id: int | None = None, inspection_id: int | None = None,
                   overdue: bool | None = None) -> Any:
    """The where-clause of a defect list: always limited to what the user may see."""
    where = visible_defects(user)
    if status:
        where &= Defect.status == status
    if construction_unit_id is not None:
        where &= Defect.construction_unit == construction_unit_id
    if unit_id is not None:
        where &= Defect.unit == unit_id
    if inspection_id is not None:
        where &= Defect.inspection == inspection_id
    if overdue:
        where &= (Defect.status == "open") & (Defect.deadline < dt.datetime.now(dt.timezone.utc))
    return where


def as_rows(rows: list[dict]) -> list[SimpleNamespace]:
    """Attribute-style rows for lists: building Piccolo Table objects costs
    more than the query itself on a 50-row page (bench/inspections.py)."""
    return [SimpleNamespace(**row) for row in rows]


async def defect_page(where: Any, page: Page) -> tuple[list[Any], int, bool]:
    """A page of defects (attribute-style rows), the total and whether it is only a lower bound
    (pagination.rows_and_total)."""
    rows, total, lower_bound = await rows_and_total(
        Defect.select().where(where).order_by(Defect.deadline).order_by(Defect.id), Defect.count().where(where), page)
    return as_rows(rows), total, lower_bound


async def unit_timeline(unit_id: int, limit: int = 500) -> list[dict]:
    """Everything that happened to a unit, its inspections, defects and notices: newest first."""
    from server.audit.tables import AuditEntry
    from server.inspections.tables import Inspection, RectificationNotice

    inspections = [str(r["id"]) for r in await Inspection.select(Inspection.id).where(Inspection.unit == unit_id).run()]
    defects = [str(r["id"]) for r in await Defect.select(Defect.id).where(Defect.unit == unit_id).run()]
    notices = [str(r["id"]) for r in await RectificationNotice.select(RectificationNotice.id).where(
        RectificationNotice.inspection.is_in([int(i) for i in inspections] or [-1])).run()]
    where = (AuditEntry.object_type == "unit") & (AuditEntry.object_id == str(unit_id))
    for object_type, ids in (("inspection", inspections), ("defect", defects), ("rectification_notice", notices)):
        if ids:
            where |= (AuditEntry.object_type == object_type) & AuditEntry.object_id.is_in(ids)
    return await AuditEntry.select().where(where).order_by(AuditEntry.id, ascending=False).limit(limit).run()


async def unit_place(unit_id: int) -> dict:
    """The unit with its building and project names (one joined query)."""
    row = await Unit.select(Unit.id, Unit.number, Unit.floor, Unit.unit_type, Unit.building,
                            Unit.building.name.as_alias("building_name"),
                            Unit.building.project.as_alias("project_id"),
                            Unit.building.project.name.as_alias("project_name")).where(
        Unit.id == unit_id).first().run()
    return row or {}


async def parties_of_kinds(kinds: list[str], limit: int = 500) -> tuple[dict, ...]:
    """The parties of these kinds by name (the capture form's construction units, the attendees'
    choices), remembered while the reference rows are unchanged. The rows are shared: read only."""
    return await _parties_of_kinds(tuple(kinds), limit)


@remembered
async def _parties_of_kinds(kinds: tuple[str, ...], limit: int) -> tuple[dict, ...]:
    return tuple(await Party.select(Party.id, Party.name, Party.kind).where(Party.kind.is_in(list(kinds))).order_by(
        Party.name).limit(limit).run())


async def floor_plan_state(unit_type_id: int | None) -> dict:
    """The unit type's floor plan for pinning: {"state": none|pending|ready|failed, "url"}."""
    if unit_type_id is None:
        return {"state": "none"}
    row = await UnitType.select(UnitType.floor_plan).where(UnitType.id == unit_type_id).first().run()
    photo = await Photo.objects().get(Photo.id == row["floor_plan"]).run() if row and row["floor_plan"] else None
    if photo is None:
        return {"state": "none"}
    if photo.status == PhotoStatus.READY:
        return {"state": "ready", "url": f"/photos/{photo.id}/display"}
    return {"state": "failed" if photo.status == PhotoStatus.FAILED else "pending"}
