"""Reading checklist templates: the template, room or item asked for (NotFound
unless it is that template's), which template each target gets, and the lists
and detail the admin screens and the API show. The writes, and the rules that
freeze a template in use, are in `template_admin.py`.
"""
from __future__ import annotations

from typing import Any

from piccolo.query import OrderByRaw
from piccolo.query.functions.aggregate import Count

from server.errors import NotFound
from server.i18n import _
from server.inspections.checklists import checklist_default_ensure
from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate, Inspection
from server.org.tables import UnitType


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


def is_default(template: Any) -> bool:
    return template.project is None and template.unit_type is None


async def template_get(template_id: int) -> ChecklistTemplate:
    template = await ChecklistTemplate.objects().get(ChecklistTemplate.id == template_id).run()
    if template is None:
        raise _not_found()
    return template


async def room_get(template_id: int, room_id: int) -> ChecklistRoom:
    """The room, if it is one of this template's (else NotFound)."""
    room = await ChecklistRoom.objects().get(ChecklistRoom.id == room_id).run()
    if room is None or room.template != template_id:
        raise _not_found()
    return room


async def item_get(template_id: int, item_id: int) -> ChecklistItem:
    """The item, if it is in one of this template's rooms (else NotFound)."""
    item = await ChecklistItem.objects().get(ChecklistItem.id == item_id).run()
    if item is None:
        raise _not_found()
    await room_get(template_id, item.room)
    return item


async def inspections_using(template_id: int) -> int:
    return await Inspection.count().where(Inspection.template == template_id).run()


# ---------------------------------------------------------------- which template a target gets

class Targets:
    """Every template's target, to answer "which template does this unit type get?"
    without a query per unit type (one small query: templates are few)."""

    def __init__(self, rows: list[dict]) -> None:
        self.by_unit_type: dict[int, int] = {}
        self.by_project: dict[int, int] = {}
        self.default_id: int | None = None
        for row in rows:  # by id: with one template per target, the first is the only one
            if row["unit_type"] is not None:
                self.by_unit_type.setdefault(row["unit_type"], row["id"])
            elif row["project"] is not None:
                self.by_project.setdefault(row["project"], row["id"])
            elif self.default_id is None:
                self.default_id = row["id"]

    @classmethod
    async def load(cls) -> "Targets":
        return cls(await ChecklistTemplate.select(ChecklistTemplate.id, ChecklistTemplate.project,
                                                  ChecklistTemplate.unit_type)
                   .order_by(ChecklistTemplate.id).run())

    def in_effect(self, project_id: int | None, unit_type_id: int | None = None) -> int | None:
        """None when the global default does not exist yet (it is created on first use)."""
        return (self.by_unit_type.get(unit_type_id) if unit_type_id is not None else None) \
            or (self.by_project.get(project_id) if project_id is not None else None) \
            or self.default_id


async def template_in_effect(project_id: int | None, unit_type_id: int | None = None) -> ChecklistTemplate:
    """The template a unit of this project and unit type gets (creating the
    default if needed: call it from a write)."""
    template_id = (await Targets.load()).in_effect(project_id, unit_type_id)
    if template_id is None:
        return await checklist_default_ensure()
    return await template_get(template_id)


# ---------------------------------------------------------------- lists and detail

async def template_stats(template_ids: list[int]) -> dict[int, dict[str, int]]:
    """Rooms, items and referencing inspections per template (three grouped queries)."""
    ids = template_ids or [-1]
    stats = {tid: {"rooms": 0, "items": 0, "inspections": 0} for tid in template_ids}
    rooms = await ChecklistRoom.select(ChecklistRoom.template, Count(ChecklistRoom.id, alias="n")) \
        .where(ChecklistRoom.template.is_in(ids)).group_by(ChecklistRoom.template).run()
    items = await ChecklistItem.select(ChecklistItem.room.template.as_alias("template"),
                                       Count(ChecklistItem.id, alias="n")) \
        .where(ChecklistItem.room.template.is_in(ids)).group_by(ChecklistItem.room.template).run()
    used = await Inspection.select(Inspection.template.as_alias("template"), Count(Inspection.id, alias="n")) \
        .where(Inspection.template.is_in(ids)).group_by(Inspection.template).run()
    for key, rows in (("rooms", rooms), ("items", items), ("inspections", used)):
        for row in rows:
            stats[row["template"]][key] = row["n"]
    return stats


TEMPLATE_COLUMNS = (ChecklistTemplate.id, ChecklistTemplate.name, ChecklistTemplate.project,
                    ChecklistTemplate.unit_type, ChecklistTemplate.created_at,
                    ChecklistTemplate.project.name.as_alias("project_name"),
                    ChecklistTemplate.unit_type.name.as_alias("unit_type_name"))


# The global default first, then by project: its own template before its unit types'.
LIST_ORDER = (OrderByRaw('CASE WHEN "checklist_template"."project" IS NULL THEN 0 ELSE 1 END'),
              ChecklistTemplate.project.name, ChecklistTemplate.project,
              OrderByRaw('CASE WHEN "checklist_template"."unit_type" IS NULL THEN 0 ELSE 1 END'),
              ChecklistTemplate.unit_type.name, ChecklistTemplate.id)


def scope_of(row: dict) -> str:
    if row["unit_type"] is not None:
        return "unit_type"
    return "project" if row["project"] is not None else "default"


async def unit_types_using(targets: Targets, project_ids: list[int] | None = None) -> list[dict]:
    """Unit types (of these projects, else all) with the template each gets:
    {id, name, project, template_id, own}, by project then name."""
    query = UnitType.select(UnitType.id, UnitType.name, UnitType.project)
    if project_ids is not None:
        query = query.where(UnitType.project.is_in(project_ids or [-1]))
    rows = await query.order_by(UnitType.project, UnitType.name).run()
    return [{**row, "template_id": targets.in_effect(row["project"], row["id"]),
             "own": row["id"] in targets.by_unit_type} for row in rows]


async def template_detail(template_id: int) -> dict:
    """The template with its rooms and items in order, usage and counts."""
    row = await ChecklistTemplate.select(*TEMPLATE_COLUMNS).where(ChecklistTemplate.id == template_id).first().run()
    if row is None:
        raise _not_found()
    rooms = await ChecklistRoom.select().where(ChecklistRoom.template == template_id) \
        .order_by(ChecklistRoom.position, ChecklistRoom.id).run()
    items = await ChecklistItem.select().where(ChecklistItem.room.is_in([r["id"] for r in rooms] or [-1])) \
        .order_by(ChecklistItem.position, ChecklistItem.id).run()
    by_room: dict[int, list] = {room["id"]: [] for room in rooms}
    for item in items:
        by_room[item["room"]].append(item)
    targets = await Targets.load()
    scope = scope_of(row)
    unit_types = await unit_types_using(targets, None if scope == "default" else [row["project"]])
    inspections = await inspections_using(template_id)
    return {**row, "scope": scope, "is_default": targets.default_id == template_id,
            "rooms": [{**room, "items": by_room[room["id"]]} for room in rooms],
            "room_count": len(rooms), "item_count": len(items), "inspections": inspections,
            "in_use": inspections > 0,
            "unit_types": [t for t in unit_types if t["template_id"] == template_id]}
