"""Checklist templates: the default one, and which template a unit uses."""
from __future__ import annotations

from typing import Any

from server.db import write_transaction
from server.inspections.default_checklist import DEFAULT_ROOMS
from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate

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
    from server.org.tables import Building

    if unit.unit_type is not None:
        template = await ChecklistTemplate.objects().where(ChecklistTemplate.unit_type == unit.unit_type).first().run()
        if template is not None:
            return template
    building = await Building.select(Building.project).where(Building.id == unit.building).first().run()
    template = await ChecklistTemplate.objects().where(
        (ChecklistTemplate.project == building["project"]) & ChecklistTemplate.unit_type.is_null()
    ).first().run()
    return template or await checklist_default_ensure()
