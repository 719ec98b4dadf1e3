"""API shapes for the organisation (requests validated by Litestar, responses in the OpenAPI schema)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import msgspec


class ProjectIn(msgspec.Struct):
    name: str
    code: str = ""
    city: str = ""
    address: str = ""


class ProjectPatch(msgspec.Struct):
    name: Optional[str] = None
    code: Optional[str] = None
    city: Optional[str] = None
    address: Optional[str] = None


class ProjectOut(msgspec.Struct):
    id: int
    name: str
    code: str
    city: str
    address: str
    created_at: datetime


class BuildingIn(msgspec.Struct):
    name: str


class BuildingOut(msgspec.Struct):
    id: int
    project_id: int
    name: str


class UnitTypeIn(msgspec.Struct):
    name: str
    description: str = ""


class UnitTypeOut(msgspec.Struct):
    id: int
    project_id: int
    name: str
    description: str
    floor_plan_photo_id: Optional[int]


class UnitIn(msgspec.Struct):
    number: str
    floor: int
    unit_type_id: Optional[int] = None


class UnitPatch(msgspec.Struct):
    number: Optional[str] = None
    floor: Optional[int] = None
    unit_type_id: Optional[int] = None


class UnitsBulkIn(msgspec.Struct):
    floor_from: int
    floor_to: int
    units_per_floor: int
    unit_type_id: Optional[int] = None


class UnitOut(msgspec.Struct):
    id: int
    building_id: int
    number: str
    floor: int
    unit_type_id: Optional[int]
    status: str
    handovers: list[Any] = []


class PartyIn(msgspec.Struct):
    name: str
    kind: str
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    webhook_url: str = ""


class PartyPatch(msgspec.Struct):
    name: Optional[str] = None
    kind: Optional[str] = None
    contact_name: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    webhook_url: Optional[str] = None


class PartyOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    contact_name: str
    phone: str
    email: str
    webhook_url: str


def project_out(row: Any) -> ProjectOut:
    return ProjectOut(id=row.id, name=row.name, code=row.code, city=row.city, address=row.address,
                      created_at=row.created_at)


def building_out(row: Any) -> BuildingOut:
    return BuildingOut(id=row.id, project_id=row.project, name=row.name)


def unit_type_out(row: Any) -> UnitTypeOut:
    return UnitTypeOut(id=row.id, project_id=row.project, name=row.name, description=row.description,
                       floor_plan_photo_id=row.floor_plan)


def unit_out(row: Any, handovers: list[Any] | None = None) -> UnitOut:
    return UnitOut(id=row.id, building_id=row.building, number=row.number, floor=row.floor,
                   unit_type_id=row.unit_type, status=row.status, handovers=handovers or [])


def unit_item(row: dict) -> dict:
    """unit_out's JSON from a selected row, for lists: a dict is encoded as fast and made
    faster than the Struct (50 rows: ~0.1 ms of a list)."""
    return {"id": row["id"], "building_id": row["building"], "number": row["number"], "floor": row["floor"],
            "unit_type_id": row["unit_type"], "status": row["status"], "handovers": []}


def party_out(row: Any) -> PartyOut:
    return PartyOut(id=row.id, name=row.name, kind=row.kind, contact_name=row.contact_name, phone=row.phone,
                    email=row.email, webhook_url=row.webhook_url)


class Paged(msgspec.Struct):
    items: list[Any]
    total: int
