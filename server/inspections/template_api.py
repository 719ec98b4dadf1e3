"""JSON API for checklist templates: staff read, administrators write.

Rooms and items sit under their template's path, so a room or item id from
another template answers 404. A template used by an inspection refuses
changes to its rooms and items with 409 (see `template_admin`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter

from server.accounts import roles
from server.inspections import template_admin as services
from server.inspections import template_reads as reads
from server.inspections.tables import ChecklistTemplate
from server.pagination import Page
from server.web.guards import allow, current_user

admin_only = [allow(roles.ADMIN)]
staff_only = [allow(*roles.STAFF)]
Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


class TemplateIn(msgspec.Struct):
    name: str
    project_id: Optional[int] = None
    unit_type_id: Optional[int] = None
    copy_from_id: Optional[int] = None
    """Whose rooms and items to copy; by default the template the target gets now."""


class TemplatePatch(msgspec.Struct):
    name: str


class RoomIn(msgspec.Struct):
    name: str


class RoomPatch(msgspec.Struct):
    name: Optional[str] = None
    position: Optional[int] = None
    """The room's new index, 0 = first."""


class ItemIn(msgspec.Struct):
    title: str
    category: str
    criteria: str = ""


class ItemPatch(msgspec.Struct):
    title: Optional[str] = None
    category: Optional[str] = None
    criteria: Optional[str] = None
    position: Optional[int] = None
    """The item's new index in its room, 0 = first."""


class ItemOut(msgspec.Struct):
    id: int
    room_id: int
    title: str
    category: str
    criteria: str
    position: int


class RoomOut(msgspec.Struct):
    id: int
    template_id: int
    name: str
    position: int
    items: list[ItemOut] = []


class TemplateOut(msgspec.Struct):
    id: int
    name: str
    scope: str
    """default, project or unit_type."""
    project_id: Optional[int]
    project_name: Optional[str]
    unit_type_id: Optional[int]
    unit_type_name: Optional[str]
    created_at: datetime
    rooms_count: int
    items_count: int
    inspections: int
    """Inspections that use it: while above 0, rooms and items cannot change."""
    unit_type_ids: list[int]
    """Unit types whose units get this template."""


class TemplateDetailOut(TemplateOut, kw_only=True):
    rooms: list[RoomOut]


def item_out(row: dict) -> ItemOut:
    return ItemOut(id=row["id"], room_id=row["room"], title=row["title"], category=row["category"],
                   criteria=row["criteria"], position=row["position"])


def room_out(row: dict, items: list[dict] | None = None) -> RoomOut:
    return RoomOut(id=row["id"], template_id=row["template"], name=row["name"], position=row["position"],
                   items=[item_out(i) for i in items or []])


def _summary(row: dict, stats: dict, unit_type_ids: list[int]) -> dict:
    return dict(id=row["id"], name=row["name"], scope=reads.scope_of(row), project_id=row["project"],
                project_name=row["project_name"], unit_type_id=row["unit_type"],
                unit_type_name=row["unit_type_name"], created_at=row["created_at"], rooms_count=stats["rooms"],
                items_count=stats["items"], inspections=stats["inspections"], unit_type_ids=unit_type_ids)


async def template_detail_out(template_id: int) -> TemplateDetailOut:
    detail = await reads.template_detail(template_id)
    stats = {"rooms": detail["room_count"], "items": detail["item_count"], "inspections": detail["inspections"]}
    return TemplateDetailOut(**_summary(detail, stats, [t["id"] for t in detail["unit_types"]]),
                             rooms=[room_out(room, room["items"]) for room in detail["rooms"]])


class TemplateApi(Controller):
    path = "/api/v1/checklist-templates"
    tags = ["Checklist templates"]

    @get("", guards=staff_only)
    async def list_templates(self, limit: int | None = Limit, offset: int | None = Offset) -> dict:
        """The global default first, then by project: its own template, then its unit types'."""
        page = Page.of(limit, offset)
        rows = await ChecklistTemplate.select(*reads.TEMPLATE_COLUMNS).order_by(*reads.LIST_ORDER) \
            .limit(page.limit).offset(page.offset).run()
        total = await ChecklistTemplate.count().run()
        stats = await reads.template_stats([row["id"] for row in rows])
        targets = await reads.Targets.load()
        using: dict[int, list[int]] = {}
        for unit_type in await reads.unit_types_using(targets):
            using.setdefault(unit_type["template_id"], []).append(unit_type["id"])
        return {"items": [_summary(row, stats[row["id"]], using.get(row["id"], [])) for row in rows],
                "total": total}

    @post("", guards=admin_only, status_code=201)
    async def create_template(self, request: Request, data: TemplateIn) -> TemplateDetailOut:
        template = await services.template_create(actor=current_user(request), name=data.name,
                                                  project_id=data.project_id, unit_type_id=data.unit_type_id,
                                                  copy_from_id=data.copy_from_id)
        return await template_detail_out(template.id)

    @get("/{template_id:int}", guards=staff_only)
    async def get_template(self, template_id: int) -> TemplateDetailOut:
        return await template_detail_out(template_id)

    @patch("/{template_id:int}", guards=admin_only)
    async def rename_template(self, request: Request, template_id: int, data: TemplatePatch) -> TemplateDetailOut:
        await services.template_rename(actor=current_user(request), template_id=template_id, name=data.name)
        return await template_detail_out(template_id)

    @delete("/{template_id:int}", guards=admin_only, status_code=204)
    async def delete_template(self, request: Request, template_id: int) -> None:
        await services.template_delete(actor=current_user(request), template_id=template_id)

    # -------------------------------------------------------- rooms
    @post("/{template_id:int}/rooms", guards=admin_only, status_code=201)
    async def add_room(self, request: Request, template_id: int, data: RoomIn) -> RoomOut:
        room = await services.room_add(actor=current_user(request), template_id=template_id, name=data.name)
        return room_out(room.to_dict())

    @patch("/{template_id:int}/rooms/{room_id:int}", guards=admin_only)
    async def update_room(self, request: Request, template_id: int, room_id: int, data: RoomPatch) -> RoomOut:
        room = await services.room_update(actor=current_user(request), template_id=template_id, room_id=room_id,
                                          name=data.name, position=data.position)
        return room_out(room.to_dict())

    @delete("/{template_id:int}/rooms/{room_id:int}", guards=admin_only, status_code=204)
    async def delete_room(self, request: Request, template_id: int, room_id: int) -> None:
        await services.room_delete(actor=current_user(request), template_id=template_id, room_id=room_id)

    # -------------------------------------------------------- items
    @post("/{template_id:int}/rooms/{room_id:int}/items", guards=admin_only, status_code=201)
    async def add_item(self, request: Request, template_id: int, room_id: int, data: ItemIn) -> ItemOut:
        item = await services.item_add(actor=current_user(request), template_id=template_id, room_id=room_id,
                                       title=data.title, category=data.category, criteria=data.criteria)
        return item_out(item.to_dict())

    @patch("/{template_id:int}/items/{item_id:int}", guards=admin_only)
    async def update_item(self, request: Request, template_id: int, item_id: int, data: ItemPatch) -> ItemOut:
        item = await services.item_update(actor=current_user(request), template_id=template_id, item_id=item_id,
                                          title=data.title, category=data.category, criteria=data.criteria,
                                          position=data.position)
        return item_out(item.to_dict())

    @delete("/{template_id:int}/items/{item_id:int}", guards=admin_only, status_code=204)
    async def delete_item(self, request: Request, template_id: int, item_id: int) -> None:
        await services.item_delete(actor=current_user(request), template_id=template_id, item_id=item_id)
