"""Checklists: the default template, which template a unit uses, and an
inspection's marks on it (OK, not applicable with a reason, defect; "whole
room OK" and its undo). An item with a defect recorded against it counts
as checked."""
from __future__ import annotations

import uuid
from typing import Any, Sequence

from piccolo.query.functions.aggregate import Count

from server.audit.services import audit_record
from server.db import lock_row, write_transaction
from server.errors import Conflict, Invalid, NotFound
from server.i18n import _
from server.inspections.default_checklist import DEFAULT_ROOMS
from server.inspections.tables import (
    ChecklistItem,
    ChecklistRoom,
    ChecklistTemplate,
    Defect,
    Inspection,
    ItemResult,
)

DEFAULT_TEMPLATE_NAME = "标准住宅分户验收"


async def checklist_default_ensure() -> ChecklistTemplate:
    """The global default template (project null), created from default_checklist.py once."""
    async with write_transaction():
        template = await ChecklistTemplate.objects().where(
            ChecklistTemplate.project.is_null() & ChecklistTemplate.unit_type.is_null()
        ).order_by(ChecklistTemplate.id).first().run()
        if template is not None:
            return template
        template = ChecklistTemplate(name=DEFAULT_TEMPLATE_NAME)
        await template.save().run()
        for room_position, (room_name, items) in enumerate(DEFAULT_ROOMS):
            room = ChecklistRoom(template=template.id, name=room_name, position=room_position)
            await room.save().run()
            await ChecklistItem.insert(*[
                ChecklistItem(room=room.id, title=title, category=category, criteria=criteria, position=position)
                for position, (title, category, criteria) in enumerate(items)
            ]).run()
    return template


async def template_for_unit(unit: Any) -> ChecklistTemplate:
    """The unit type's template, else the project's default, else the global default."""
    return (await templates_for_units([unit]))[unit.id]


async def templates_for_units(units: Sequence[Any]) -> dict[int, ChecklistTemplate]:
    """`template_for_unit` for each of these units (by id), in at most four queries however many."""
    from server.org.tables import Building

    unit_types = {unit.unit_type for unit in units if unit.unit_type is not None}
    by_type: dict[int, ChecklistTemplate] = {}
    if unit_types:
        for template in await ChecklistTemplate.objects().where(
                ChecklistTemplate.unit_type.is_in(list(unit_types))).order_by(ChecklistTemplate.id).run():
            by_type.setdefault(template.unit_type, template)
    rest = [unit for unit in units if unit.unit_type not in by_type]
    project_of: dict[int, int] = {}
    by_project: dict[int, ChecklistTemplate] = {}
    if rest:
        project_of = {row["id"]: row["project"] for row in await Building.select(Building.id, Building.project).where(
            Building.id.is_in(list({unit.building for unit in rest}))).run()}
        for template in await ChecklistTemplate.objects().where(
                ChecklistTemplate.project.is_in(list(set(project_of.values())))
                & ChecklistTemplate.unit_type.is_null()).order_by(ChecklistTemplate.id).run():
            by_project.setdefault(template.project, template)
    chosen = {unit.id: by_type.get(unit.unit_type) or by_project.get(project_of.get(unit.building))
              for unit in units}
    if any(template is None for template in chosen.values()):
        default = await checklist_default_ensure()
        chosen = {unit_id: template or default for unit_id, template in chosen.items()}
    return chosen


# ---------------------------------------------------------------- an inspection's checklist

ITEM_RESULTS = ("ok", "na")
"""The marks. A defect is not one: it is recorded (`defects.defect_record`,
naming the item) and then counts; a bare "defect" mark of old counts for nothing."""
NOTE_MAX = 200


def _mark(result: str | None) -> str | None:
    return result if result in ITEM_RESULTS else None


async def checklist_of(inspection: Any) -> list[dict]:
    """Rooms with their items, this inspection's results and each item's
    defect count, in order (four queries). An item's `result` is what counts:
    "defect" when a defect was recorded against it, else its mark (ok, na)
    or None; `checked` per room and item says the same in numbers."""
    if inspection.template is None:
        return []
    rooms = await ChecklistRoom.select().where(ChecklistRoom.template == inspection.template).order_by(
        ChecklistRoom.position).run()
    items = await ChecklistItem.select().where(ChecklistItem.room.is_in([r["id"] for r in rooms] or [-1])).order_by(
        ChecklistItem.position).run()
    marks = {r["item"]: r for r in await ItemResult.select(
        ItemResult.item, ItemResult.result, ItemResult.note, ItemResult.batch).where(
        ItemResult.inspection == inspection.id).run()}
    defects = {r["checklist_item"]: r["n"] for r in await Defect.select(Defect.checklist_item, Count(alias="n")).where(
        (Defect.inspection == inspection.id) & Defect.checklist_item.is_not_null()).group_by(
        Defect.checklist_item).run()}
    by_room: dict[int, list] = {r["id"]: [] for r in rooms}
    for item in items:
        mark = marks.get(item["id"]) or {}
        count = defects.get(item["id"], 0)
        by_room[item["room"]].append({
            **item, "result": "defect" if count else _mark(mark.get("result")), "note": mark.get("note", ""),
            "batch": mark.get("batch"), "defects": count})
    return [{**room, "items": by_room[room["id"]], "checked": sum(1 for i in by_room[room["id"]] if i["result"]),
             "total": len(by_room[room["id"]])} for room in rooms]


def unchecked_in(rooms: list[dict]) -> list[dict]:
    """The rooms that still have unchecked items, each with only those items:
    [{"room_id", "room", "items": [{"id", "title"}]}] in checklist order."""
    left = []
    for room in rooms:
        items = [{"id": i["id"], "title": i["title"]} for i in room["items"] if not i["result"]]
        if items:
            left.append({"room_id": room["id"], "room": room["name"], "items": items})
    return left


async def _item_of(inspection: Any, item_id: int) -> Any:
    item = await ChecklistItem.objects(ChecklistItem.room).get(ChecklistItem.id == item_id).run()
    if item is None or item.room.template != inspection.template:
        raise NotFound(_("The page or record was not found."))
    return item


async def item_id_of(inspection: Any, value: Any) -> int | None:
    """A defect's `checklist_item_id` as sent (text or number, may be empty):
    the id of an item of this inspection's checklist, or a field error."""
    if value in (None, ""):
        return None
    try:
        return (await _item_of(inspection, int(value))).id
    except (TypeError, ValueError, NotFound):
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"checklist_item_id": _("No such item on this checklist.")}) from None


async def _room_of(inspection: Any, room_id: int) -> Any:
    room = await ChecklistRoom.objects().get(ChecklistRoom.id == room_id).run()
    if room is None or room.template != inspection.template:
        raise NotFound(_("The page or record was not found."))
    return room


def _require_in_progress(inspection: Any) -> None:
    if inspection.status != "in_progress":
        raise Conflict(_("This cannot be done in the record's current state."))


async def _hold(inspection: Any) -> None:
    """Inside the write: marks of one inspection go one at a time (none lost
    or doubled), and not after someone finished it meanwhile."""
    await lock_row(Inspection, inspection.id)
    if not await Inspection.exists().where((Inspection.id == inspection.id)
                                           & (Inspection.status == "in_progress")).run():
        raise Conflict(_("This cannot be done in the record's current state."))


async def item_mark(*, actor: Any, inspection: Any, item_id: int, result: str, note: str = "") -> Any:
    """Mark a checklist item OK or not applicable (with the reason in `note`);
    a defect is recorded with `defects.defect_record`, naming the item.
    A mark replaces the item's earlier one; N/A is written to the audit trail."""
    note = (note or "").strip()
    if result == "defect":
        raise Invalid(_("Please correct the marked fields."), field_errors={"result": _(
            "Record the defect itself, naming the item (checklist_item_id): the item then counts as checked.")})
    if result not in ITEM_RESULTS:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"result": _("Choose OK or not applicable.")})
    if result == "na" and not note:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"note": _("Say why this item does not apply.")})
    if len(note) > NOTE_MAX:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"note": _("At most %(max)s characters.", max=NOTE_MAX)})
    _require_in_progress(inspection)
    await _item_of(inspection, item_id)
    async with write_transaction():
        await _hold(inspection)
        await ItemResult.delete().where((ItemResult.inspection == inspection.id) & (ItemResult.item == item_id)).run()
        row = ItemResult(inspection=inspection.id, item=item_id, result=result, note=note if result == "na" else "",
                         by=getattr(actor, "id", None))
        await row.save().run()
        if result == "na":
            await audit_record(actor=actor, object_type="inspection", object_id=inspection.id, action="item_na",
                               details={"item_id": item_id, "reason": note})
    return row


async def room_ok(*, actor: Any, inspection: Any, room_id: int) -> tuple[str, list[int]]:
    """整间合格: every item of the room not yet checked is marked OK in one go,
    under one batch id; (batch id, item ids marked). Audited."""
    _require_in_progress(inspection)
    room = await _room_of(inspection, room_id)
    batch = uuid.uuid4()
    async with write_transaction():
        await _hold(inspection)
        rooms = await checklist_of(inspection)
        item_ids = [i["id"] for r in rooms if r["id"] == room_id for i in r["items"] if not i["result"]]
        if item_ids:
            # An item can be unchecked and still have a row: a bare "defect" mark from
            # before the rule counts for nothing. Replace it, as item_mark does, so one
            # item never has two marks.
            await ItemResult.delete().where(
                (ItemResult.inspection == inspection.id) & ItemResult.item.is_in(item_ids)).run()
            await ItemResult.insert(*[ItemResult(inspection=inspection.id, item=i, result="ok", batch=batch,
                                                 by=getattr(actor, "id", None)) for i in item_ids]).run()
            await audit_record(actor=actor, object_type="inspection", object_id=inspection.id, action="room_ok",
                               details={"room": room.name, "room_id": room_id, "batch": str(batch),
                                        "item_ids": item_ids})
    return str(batch), item_ids


async def room_ok_undo(*, actor: Any, inspection: Any, room_id: int, batch: Any) -> list[int]:
    """Undo one "whole room OK": the items that action marked, and that no one
    has marked again since, go back to unchecked; their ids. Audited."""
    _require_in_progress(inspection)
    try:
        batch_id = uuid.UUID(str(batch))
    except ValueError:
        raise NotFound(_("The page or record was not found.")) from None
    room = await _room_of(inspection, room_id)
    room_items = ChecklistItem.select(ChecklistItem.id).where(ChecklistItem.room == room_id)
    async with write_transaction():
        await _hold(inspection)
        undone = [r["item"] for r in await ItemResult.delete().where(
            (ItemResult.inspection == inspection.id) & (ItemResult.batch == batch_id)
            & ItemResult.item.is_in(room_items)).returning(ItemResult.item).run()]
        if undone:
            await audit_record(actor=actor, object_type="inspection", object_id=inspection.id,
                               action="room_ok_undo", details={"room": room.name, "room_id": room_id,
                                                               "batch": str(batch_id), "item_ids": sorted(undone)})
    return sorted(undone)
