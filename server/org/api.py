"""JSON API for the organisation (API.md "Set-up"). Thin: parse, call a service, shape the answer."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter

from server.accounts import roles
from server.org import access, selectors, services
from server.org import schemas as s
from server.org.tables import Building, Party, Project, Unit, UnitType
from server.db import Row
from server.pagination import Page, total_or_count
from server.web.guards import allow, signed_in

admin_only = [allow(roles.ADMIN)]
Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)

UnitHandovers = Callable[[int], Awaitable[list[Any]]]
_unit_handovers: UnitHandovers | None = None


def use_unit_handovers(selector: UnitHandovers) -> None:
    """How `GET /units/{id}` lists the unit's key handovers. Org knows no workflow: the
    handover context's selector is plugged in where the app is assembled (server.app)."""
    global _unit_handovers
    _unit_handovers = selector


async def _list(table: Any, where: Any, shape: Any, limit: Any, offset: Any, order: Any = None,
                columns: tuple = ()) -> dict:
    """A page of `shape`d rows and the total. Rows are selected as dicts (server.db.Row), only
    `columns` when given (a timestamp nobody shows costs its conversion on every row)."""
    page = Page.of(limit, offset)
    selected = await table.select(*columns).where(where).order_by(order or table.id).limit(page.limit) \
        .offset(page.offset).run()
    total = await table.count().where(where).run()
    return {"items": [shape(Row(r)) for r in selected], "total": total}


class OrgApi(Controller):
    path = "/api/v1"
    tags = ["Set-up"]

    # -------------------------------------------------------- projects
    @post("/projects", guards=admin_only, status_code=201)
    async def create_project(self, request: Request, data: s.ProjectIn) -> s.ProjectOut:
        project = await services.project_create(actor=request.scope["user"], name=data.name, code=data.code,
                                                city=data.city, address=data.address)
        return s.project_out(project)

    @get("/projects", guards=[signed_in])
    async def list_projects(self, request: Request, limit: int | None = Limit, offset: int | None = Offset) -> dict:
        where = Project.id.is_not_null() if access.is_staff(request.scope["user"]) else Project.id.is_null()
        return await _list(Project, where, s.project_out, limit, offset)

    @get("/projects/{project_id:int}", guards=[signed_in])
    async def get_project(self, request: Request, project_id: int) -> s.ProjectOut:
        return s.project_out(await access.project_for(request.scope["user"], project_id))

    @patch("/projects/{project_id:int}", guards=admin_only)
    async def update_project(self, request: Request, project_id: int, data: s.ProjectPatch) -> s.ProjectOut:
        project = await services.project_update(actor=request.scope["user"], project_id=project_id,
                                                **{k: getattr(data, k) for k in data.__struct_fields__})
        return s.project_out(project)

    # -------------------------------------------------------- buildings
    @post("/projects/{project_id:int}/buildings", guards=admin_only, status_code=201)
    async def create_building(self, request: Request, project_id: int, data: s.BuildingIn) -> s.BuildingOut:
        building = await services.building_create(actor=request.scope["user"], project_id=project_id, name=data.name)
        return s.building_out(building)

    @get("/projects/{project_id:int}/buildings", guards=[signed_in])
    async def list_buildings(self, request: Request, project_id: int, limit: int | None = Limit,
                             offset: int | None = Offset) -> dict:
        await access.project_for(request.scope["user"], project_id)
        return await _list(Building, Building.project == project_id, s.building_out, limit, offset, Building.name)

    @get("/buildings/{building_id:int}", guards=[signed_in])
    async def get_building(self, request: Request, building_id: int) -> s.BuildingOut:
        return s.building_out(await access.building_for(request.scope["user"], building_id))

    @patch("/buildings/{building_id:int}", guards=admin_only)
    async def update_building(self, request: Request, building_id: int, data: s.BuildingIn) -> s.BuildingOut:
        building = await services.building_update(actor=request.scope["user"], building_id=building_id, name=data.name)
        return s.building_out(building)

    # -------------------------------------------------------- unit types
    @post("/projects/{project_id:int}/unit-types", guards=admin_only, status_code=201)
    async def create_unit_type(self, request: Request, project_id: int, data: s.UnitTypeIn) -> s.UnitTypeOut:
        unit_type = await services.unit_type_create(actor=request.scope["user"], project_id=project_id,
                                                    name=data.name, description=data.description)
        return s.unit_type_out(unit_type)

    @get("/projects/{project_id:int}/unit-types", guards=[signed_in])
    async def list_unit_types(self, request: Request, project_id: int, limit: int | None = Limit,
                              offset: int | None = Offset) -> dict:
        await access.project_for(request.scope["user"], project_id)
        return await _list(UnitType, UnitType.project == project_id, s.unit_type_out, limit, offset, UnitType.name)

    # -------------------------------------------------------- units
    @post("/buildings/{building_id:int}/units", guards=admin_only, status_code=201)
    async def create_unit(self, request: Request, building_id: int, data: s.UnitIn) -> s.UnitOut:
        unit = await services.unit_create(actor=request.scope["user"], building_id=building_id, number=data.number,
                                          floor=data.floor, unit_type_id=data.unit_type_id)
        return s.unit_out(unit)

    @post("/buildings/{building_id:int}/units/bulk", guards=admin_only, status_code=201)
    async def create_units_bulk(self, request: Request, building_id: int, data: s.UnitsBulkIn) -> dict:
        created = await services.units_bulk_create(
            actor=request.scope["user"], building_id=building_id, floor_from=data.floor_from,
            floor_to=data.floor_to, units_per_floor=data.units_per_floor, unit_type_id=data.unit_type_id)
        return {"created": len(created)}

    @get("/buildings/{building_id:int}/units", guards=[signed_in])
    async def list_units(self, request: Request, building_id: int, limit: int | None = Limit,
                         offset: int | None = Offset) -> dict:
        user = request.scope["user"]
        if access.is_staff(user):  # the common case, with its SQL written once
            page = Page.of(limit, offset)
            selected = await selectors.units_listed_for_staff(building_id, limit=page.limit + 1, offset=page.offset)
            if not selected:  # units name their building: only an empty page must ask whether it exists
                await access.building_for(user, building_id)
            total = await total_or_count(len(selected), page, lambda: selectors.unit_count(building_id))
            return {"items": [s.unit_item(r) for r in selected[:page.limit]], "total": total}
        await access.building_for(user, building_id)
        where = (Unit.building == building_id) & access.visible_units_filter(user)
        return await _list(Unit, where, s.unit_item, limit, offset, Unit.floor, selectors.UNIT_COLUMNS)

    @get("/units/{unit_id:int}", guards=[signed_in])
    async def get_unit(self, request: Request, unit_id: int) -> s.UnitOut:
        unit = await access.unit_for(request.scope["user"], unit_id)
        return s.unit_out(unit, await _unit_handovers(unit.id) if _unit_handovers else [])

    @patch("/units/{unit_id:int}", guards=admin_only)
    async def update_unit(self, request: Request, unit_id: int, data: s.UnitPatch) -> s.UnitOut:
        unit = await services.unit_update(actor=request.scope["user"], unit_id=unit_id, number=data.number,
                                          floor=data.floor, unit_type_id=data.unit_type_id)
        return s.unit_out(unit)

    # -------------------------------------------------------- parties
    @post("/parties", guards=admin_only, status_code=201)
    async def create_party(self, request: Request, data: s.PartyIn) -> s.PartyOut:
        party = await services.party_create(actor=request.scope["user"],
                                            **{k: getattr(data, k) for k in data.__struct_fields__})
        return s.party_out(party)

    @get("/parties", guards=[signed_in])
    async def list_parties(self, request: Request, kind: str | None = None, limit: int | None = Limit,
                           offset: int | None = Offset) -> dict:
        user = request.scope["user"]
        where = Party.id.is_not_null() if access.is_staff(user) else (Party.id == (user.party or -1))
        if kind:
            where = where & (Party.kind == kind)
        return await _list(Party, where, s.party_out, limit, offset, Party.name)

    @get("/parties/{party_id:int}", guards=[signed_in])
    async def get_party(self, request: Request, party_id: int) -> s.PartyOut:
        return s.party_out(await access.party_for(request.scope["user"], party_id))

    @patch("/parties/{party_id:int}", guards=admin_only)
    async def update_party(self, request: Request, party_id: int, data: s.PartyPatch) -> s.PartyOut:
        party = await services.party_update(actor=request.scope["user"], party_id=party_id,
                                            **{k: getattr(data, k) for k in data.__struct_fields__})
        return s.party_out(party)
