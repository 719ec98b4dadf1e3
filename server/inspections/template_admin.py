"""Checklist template administration: which template each unit type gets, and
editing a template's rooms and items. Services for the API and the admin pages
(what they read is in `template_reads.py`).

Targets. A template is for one target: the global default (project and unit
type null), a project (unit type null) or a unit type (its project set too).
Each target has at most one template: `template_for_unit()` takes "the"
template of a unit type or project with an unordered `.first()`, so a second
one would make the choice arbitrary. A unit type without its own template gets
its project's, else the global default (`template_in_effect` mirrors that rule
for the admin screens).

Edit policy: refuse, not copy-on-write. An inspection keeps the template it was
created with (`Inspection.template`) and its item results point at that
template's items. Once any inspection references a template, its rooms and
items are frozen: adding, changing, moving or deleting one answers Conflict
(409) saying to copy the template and edit the copy; the template cannot be
deleted either. Renaming stays allowed: the name is not part of what was
checked. Copy-on-write was not chosen because the schema cannot retire a
template: the old version would keep its target, and two templates for one
target is exactly the arbitrary choice above. Deleting an item (or a room)
that has `ItemResult`s is refused on its own check as well, never cascaded.

Every write is audited as object_type "checklist_template", object_id the
template's id, with the room or item in `details`.
"""
from __future__ import annotations

from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Invalid
from server.i18n import _, ngettext
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate, ItemResult
from server.inspections.template_reads import (
    inspections_using,
    is_default,
    item_get,
    room_get,
    template_get,
    template_in_effect,
)
from server.org.tables import Project, UnitType

OBJECT_TYPE = "checklist_template"
NAME_MAX, ROOM_MAX, TITLE_MAX, CRITERIA_MAX = 100, 50, 100, 2000


# ---------------------------------------------------------------- small helpers

def _text(value: Any, field: str, errors: dict[str, str], max_length: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)s characters.", n=max_length)
    return text


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)


def _position(value: Any, errors: dict[str, str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors["position"] = _("Enter a position of 0 or more.")
        return None
    return value


async def _editable(template_id: int) -> ChecklistTemplate:
    """The template, if its rooms and items may still change (see the module docstring)."""
    template = await template_get(template_id)
    used = await inspections_using(template_id)
    if used:
        raise Conflict(ngettext(
            "This checklist is used by %(num)s inspection, which must keep the checklist it was done with. "
            "Copy it to a new checklist and edit the copy.",
            "This checklist is used by %(num)s inspections, which must keep the checklist they were done with. "
            "Copy it to a new checklist and edit the copy.", used))
    return template


async def _reorder(table: Any, parent: Any, parent_id: int, row_id: int | None = None,
                   position: int | None = None, move: str | None = None) -> list[int] | None:
    """Number the siblings 0..n-1 in order, having moved `row_id` to index
    `position` (clamped) or one place `move` "up"/"down". Only changed rows are
    written. Returns [old index, new index] when the row moved."""
    rows = await table.select(table.id, table.position).where(parent == parent_id) \
        .order_by(table.position, table.id).run()
    ids = [row["id"] for row in rows]
    moved = None
    if row_id is not None and (position is not None or move in ("up", "down")):
        old = ids.index(row_id)
        new = position if position is not None else old + (-1 if move == "up" else 1)
        new = max(0, min(new, len(ids) - 1))
        if new != old:
            ids.insert(new, ids.pop(old))
            moved = [old, new]
    positions = {row["id"]: row["position"] for row in rows}
    for index, sibling in enumerate(ids):
        if positions[sibling] != index:
            await table.update({table.position: index}).where(table.id == sibling).run()
    return moved


async def _audit(actor: Any, template_id: int, action: str, **details: Any) -> None:
    await audit_record(actor=actor, object_type=OBJECT_TYPE, object_id=template_id, action=action,
                       details=details)


# ---------------------------------------------------------------- templates

async def template_create(*, actor: Any, name: Any, project_id: int | None = None, unit_type_id: int | None = None,
                          copy_from_id: int | None = None) -> ChecklistTemplate:
    """A template for a project or a unit type, with the rooms and items of
    `copy_from_id`, by default of the template that target gets now."""
    errors: dict[str, str] = {}
    name = _text(name, "name", errors, NAME_MAX)
    if unit_type_id is not None:
        unit_type = await UnitType.objects().get(UnitType.id == unit_type_id).run()
        if unit_type is None:
            errors["unit_type_id"] = _("Choose a unit type.")
        elif project_id is not None and project_id != unit_type.project:
            errors["project_id"] = _("This unit type belongs to another project.")
        else:
            project_id = unit_type.project
    elif project_id is not None:
        if not await Project.exists().where(Project.id == project_id).run():
            errors["project_id"] = _("Choose a project.")
    else:
        errors["project_id"] = _("Choose the project or unit type this checklist is for.")
    if copy_from_id is not None and not await ChecklistTemplate.exists().where(
            ChecklistTemplate.id == copy_from_id).run():
        errors["copy_from_id"] = _("Choose a checklist to copy.")
    _raise_if(errors)
    async with write_transaction():
        if unit_type_id is not None:
            if await ChecklistTemplate.exists().where(ChecklistTemplate.unit_type == unit_type_id).run():
                _raise_if({"unit_type_id": _("This unit type already has its own checklist: edit that one.")})
        elif await ChecklistTemplate.exists().where(
                (ChecklistTemplate.project == project_id) & ChecklistTemplate.unit_type.is_null()).run():
            _raise_if({"project_id": _("This project already has its own checklist: edit that one.")})
        source = await (template_get(copy_from_id) if copy_from_id is not None
                        else template_in_effect(project_id, unit_type_id))
        template = ChecklistTemplate(name=name, project=project_id, unit_type=unit_type_id)
        await template.save().run()
        await _copy_contents(source.id, template.id)
        await _audit(actor, template.id, "create", copied_from=source.id, project_id=project_id,
                     unit_type_id=unit_type_id, name=name)
    return template


async def _copy_contents(source_id: int, target_id: int) -> None:
    rooms = await ChecklistRoom.select().where(ChecklistRoom.template == source_id) \
        .order_by(ChecklistRoom.position, ChecklistRoom.id).run()
    items = await ChecklistItem.select().where(ChecklistItem.room.is_in([r["id"] for r in rooms] or [-1])) \
        .order_by(ChecklistItem.position, ChecklistItem.id).run()
    copies = []
    for room_position, room in enumerate(rooms):
        new_room = ChecklistRoom(template=target_id, name=room["name"], position=room_position)
        await new_room.save().run()
        own = [item for item in items if item["room"] == room["id"]]
        copies += [ChecklistItem(room=new_room.id, title=item["title"], category=item["category"],
                                 criteria=item["criteria"], position=position)
                   for position, item in enumerate(own)]
    if copies:
        await ChecklistItem.insert(*copies).run()


async def template_rename(*, actor: Any, template_id: int, name: Any) -> ChecklistTemplate:
    """Allowed on a template in use: the name is not part of what was checked."""
    errors: dict[str, str] = {}
    name = _text(name, "name", errors, NAME_MAX)
    _raise_if(errors)
    async with write_transaction():
        template = await template_get(template_id)
        old, template.name = template.name, name
        await template.save().run()
        await _audit(actor, template.id, "rename", name_from=old, name_to=name)
    return template


async def template_delete(*, actor: Any, template_id: int) -> None:
    """An unused project or unit type template; its units fall back to the next one."""
    async with write_transaction():
        template = await template_get(template_id)
        if is_default(template):
            raise Conflict(_("The global default checklist cannot be deleted."))
        used = await inspections_using(template_id)
        if used:
            raise Conflict(ngettext(
                "This checklist is used by %(num)s inspection and cannot be deleted.",
                "This checklist is used by %(num)s inspections and cannot be deleted.", used))
        await ChecklistTemplate.delete().where(ChecklistTemplate.id == template_id).run()
        await _audit(actor, template_id, "delete", name=template.name, project_id=template.project,
                     unit_type_id=template.unit_type)


# ---------------------------------------------------------------- rooms

async def _room_name_free(template_id: int, name: str, room_id: int | None = None) -> None:
    where = (ChecklistRoom.template == template_id) & (ChecklistRoom.name == name)
    if room_id is not None:
        where &= ChecklistRoom.id != room_id
    if await ChecklistRoom.exists().where(where).run():
        _raise_if({"name": _("This checklist already has a room with this name.")})


async def room_add(*, actor: Any, template_id: int, name: Any) -> ChecklistRoom:
    """A room at the end of the template."""
    errors: dict[str, str] = {}
    name = _text(name, "name", errors, ROOM_MAX)
    _raise_if(errors)
    async with write_transaction():
        await _editable(template_id)
        await _room_name_free(template_id, name)
        count = await ChecklistRoom.count().where(ChecklistRoom.template == template_id).run()
        room = ChecklistRoom(template=template_id, name=name, position=count)
        await room.save().run()
        await _reorder(ChecklistRoom, ChecklistRoom.template, template_id)
        await _audit(actor, template_id, "room_add", room_id=room.id, name=name)
    return room


async def room_update(*, actor: Any, template_id: int, room_id: int, name: Any = None,
                      position: Any = None, move: str | None = None) -> ChecklistRoom:
    """Rename a room and/or move it: to index `position` (0 = first), or one
    place with `move` "up" or "down" (nothing happens at either end)."""
    errors: dict[str, str] = {}
    new_name = _text(name, "name", errors, ROOM_MAX) if name is not None else None
    position = _position(position, errors)
    _raise_if(errors)
    async with write_transaction():
        await _editable(template_id)
        room = await room_get(template_id, room_id)
        changes: dict[str, Any] = {}
        if new_name is not None and new_name != room.name:
            await _room_name_free(template_id, new_name, room_id)
            changes["name"] = [room.name, new_name]
            await ChecklistRoom.update({ChecklistRoom.name: new_name}).where(ChecklistRoom.id == room_id).run()
        moved = await _reorder(ChecklistRoom, ChecklistRoom.template, template_id, room_id, position, move)
        if moved:
            changes["position"] = moved
        if changes:
            await _audit(actor, template_id, "room_update", room_id=room_id, **changes)
        return await room_get(template_id, room_id)


async def room_delete(*, actor: Any, template_id: int, room_id: int) -> None:
    """A room and its items; refused if any of its items has inspection results."""
    async with write_transaction():
        await _editable(template_id)
        room = await room_get(template_id, room_id)
        item_ids = ChecklistItem.select(ChecklistItem.id).where(ChecklistItem.room == room_id)
        if await ItemResult.exists().where(ItemResult.item.is_in(item_ids)).run():
            raise Conflict(_("Inspections have recorded results for items of this room, so it cannot be deleted."))
        items = await ChecklistItem.count().where(ChecklistItem.room == room_id).run()
        await ChecklistRoom.delete().where(ChecklistRoom.id == room_id).run()
        await _reorder(ChecklistRoom, ChecklistRoom.template, template_id)
        await _audit(actor, template_id, "room_delete", room_id=room_id, name=room.name, items=items)


# ---------------------------------------------------------------- items

def _item_fields(fields: dict[str, Any], errors: dict[str, str], partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if not partial or fields.get("title") is not None:
        clean["title"] = _text(fields.get("title"), "title", errors, TITLE_MAX)
    if not partial or fields.get("category") is not None:
        clean["category"] = str(fields.get("category") or "").strip()
        if clean["category"] not in CATEGORIES:
            errors["category"] = _("Choose a category.")
    if not partial or fields.get("criteria") is not None:
        clean["criteria"] = _text(fields.get("criteria"), "criteria", errors, CRITERIA_MAX, required=False)
    return clean


async def _title_free(room_id: int, title: str, item_id: int | None = None) -> None:
    where = (ChecklistItem.room == room_id) & (ChecklistItem.title == title)
    if item_id is not None:
        where &= ChecklistItem.id != item_id
    if await ChecklistItem.exists().where(where).run():
        _raise_if({"title": _("This room already has an item with this title.")})


async def item_add(*, actor: Any, template_id: int, room_id: int, title: Any, category: Any,
                   criteria: Any = "") -> ChecklistItem:
    """An item at the end of the room."""
    errors: dict[str, str] = {}
    clean = _item_fields({"title": title, "category": category, "criteria": criteria}, errors, partial=False)
    _raise_if(errors)
    async with write_transaction():
        await _editable(template_id)
        await room_get(template_id, room_id)
        await _title_free(room_id, clean["title"])
        count = await ChecklistItem.count().where(ChecklistItem.room == room_id).run()
        item = ChecklistItem(room=room_id, position=count, **clean)
        await item.save().run()
        await _reorder(ChecklistItem, ChecklistItem.room, room_id)
        await _audit(actor, template_id, "item_add", room_id=room_id, item_id=item.id, **clean)
    return item


async def item_update(*, actor: Any, template_id: int, item_id: int, position: Any = None,
                      move: str | None = None, **fields: Any) -> ChecklistItem:
    """Change title, category or criteria (None leaves a field alone), and/or move
    the item within its room (`position` or `move`, as for rooms)."""
    errors: dict[str, str] = {}
    clean = _item_fields(fields, errors, partial=True)
    position = _position(position, errors)
    _raise_if(errors)
    async with write_transaction():
        await _editable(template_id)
        item = await item_get(template_id, item_id)
        if clean.get("title") not in (None, item.title):
            await _title_free(item.room, clean["title"], item_id)
        changes = {key: [getattr(item, key), value] for key, value in clean.items() if getattr(item, key) != value}
        if changes:
            await ChecklistItem.update({getattr(ChecklistItem, key): value for key, (_old, value) in changes.items()}) \
                .where(ChecklistItem.id == item_id).run()
        moved = await _reorder(ChecklistItem, ChecklistItem.room, item.room, item_id, position, move)
        if moved:
            changes["position"] = moved
        if changes:
            await _audit(actor, template_id, "item_update", room_id=item.room, item_id=item_id, **changes)
        return await item_get(template_id, item_id)


async def item_delete(*, actor: Any, template_id: int, item_id: int) -> None:
    """Refused when inspections have results for the item: never a silent cascade."""
    async with write_transaction():
        await _editable(template_id)
        item = await item_get(template_id, item_id)
        if await ItemResult.exists().where(ItemResult.item == item_id).run():
            raise Conflict(_("Inspections have recorded results for this item, so it cannot be deleted."))
        await ChecklistItem.delete().where(ChecklistItem.id == item_id).run()
        await _reorder(ChecklistItem, ChecklistItem.room, item.room)
        await _audit(actor, template_id, "item_delete", room_id=item.room, item_id=item_id, title=item.title)
