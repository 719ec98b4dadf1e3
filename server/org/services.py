"""Writes to the organisation: projects, buildings, units (one or a floor grid), unit types, parties."""
from __future__ import annotations

from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Invalid, NotFound
from server.i18n import _
from server.org.tables import PARTY_KINDS, Building, Party, Project, Unit, UnitType

MAX_FLOORS = 200
MAX_UNITS_PER_FLOOR = 50


def _required(value: Any, field: str, errors: dict[str, str], max_length: int = 200) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)s characters.", n=max_length)
    return text


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)


async def _get(table: Any, object_id: Any) -> Any:
    row = await table.objects().get(table.id == object_id).run()
    if row is None:
        raise NotFound(_("The page or record was not found."))
    return row


# ---------------------------------------------------------------- projects

async def project_create(*, actor: Any, name: str, code: str = "", city: str = "", address: str = "") -> Project:
    errors: dict[str, str] = {}
    name = _required(name, "name", errors)
    _raise_if(errors)
    project = Project(name=name, code=(code or "").strip()[:50], city=(city or "").strip()[:100],
                      address=(address or "").strip()[:300])
    async with write_transaction():
        await project.save().run()
        await audit_record(actor=actor, object_type="project", object_id=project.id, action="create")
    return project


async def project_update(*, actor: Any, project_id: int, **fields: Any) -> Project:
    project = await _get(Project, project_id)
    errors: dict[str, str] = {}
    if "name" in fields and fields["name"] is not None:
        project.name = _required(fields["name"], "name", errors)
    for key, limit in (("code", 50), ("city", 100), ("address", 300)):
        if fields.get(key) is not None:
            setattr(project, key, str(fields[key]).strip()[:limit])
    _raise_if(errors)
    async with write_transaction():
        await project.save().run()
        await audit_record(actor=actor, object_type="project", object_id=project.id, action="update")
    return project


# ---------------------------------------------------------------- buildings

async def building_create(*, actor: Any, project_id: int, name: str) -> Building:
    await _get(Project, project_id)
    errors: dict[str, str] = {}
    name = _required(name, "name", errors, 100)
    _raise_if(errors)
    async with write_transaction():
        if await Building.exists().where((Building.project == project_id) & (Building.name == name)).run():
            _raise_if({"name": _("A building with this name already exists in the project.")})
        building = Building(project=project_id, name=name)
        await building.save().run()
        await audit_record(actor=actor, object_type="building", object_id=building.id, action="create")
    return building


async def building_update(*, actor: Any, building_id: int, name: str) -> Building:
    building = await _get(Building, building_id)
    errors: dict[str, str] = {}
    name = _required(name, "name", errors, 100)
    _raise_if(errors)
    async with write_transaction():
        clash = await Building.exists().where(
            (Building.project == building.project) & (Building.name == name) & (Building.id != building.id)
        ).run()
        if clash:
            _raise_if({"name": _("A building with this name already exists in the project.")})
        building.name = name
        await building.save().run()
        await audit_record(actor=actor, object_type="building", object_id=building.id, action="update")
    return building


# ---------------------------------------------------------------- unit types

async def unit_type_create(*, actor: Any, project_id: int, name: str, description: str = "") -> UnitType:
    await _get(Project, project_id)
    errors: dict[str, str] = {}
    name = _required(name, "name", errors, 100)
    _raise_if(errors)
    async with write_transaction():
        if await UnitType.exists().where((UnitType.project == project_id) & (UnitType.name == name)).run():
            _raise_if({"name": _("A unit type with this name already exists in the project.")})
        unit_type = UnitType(project=project_id, name=name, description=(description or "").strip())
        await unit_type.save().run()
        await audit_record(actor=actor, object_type="unit_type", object_id=unit_type.id, action="create")
    return unit_type


# ---------------------------------------------------------------- units

def _parse_floor(value: Any, field: str, errors: dict[str, str]) -> int:
    try:
        floor = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = _("Enter a whole number.")
        return 0
    if not -10 <= floor <= MAX_FLOORS:
        errors[field] = _("Enter a floor between %(low)s and %(high)s.", low=-10, high=MAX_FLOORS)
    return floor


async def _check_unit_type(unit_type_id: int | None, building: Building, errors: dict[str, str]) -> None:
    if unit_type_id is None:
        return
    unit_type = await UnitType.objects().get(UnitType.id == unit_type_id).run()
    if unit_type is None or unit_type.project != building.project:
        errors["unit_type_id"] = _("Choose a unit type of this project.")


async def unit_create(*, actor: Any, building_id: int, number: str, floor: Any, unit_type_id: int | None = None) -> Unit:
    building = await _get(Building, building_id)
    errors: dict[str, str] = {}
    number = _required(number, "number", errors, 20)
    floor_number = _parse_floor(floor, "floor", errors)
    await _check_unit_type(unit_type_id, building, errors)
    _raise_if(errors)
    async with write_transaction():
        if await Unit.exists().where((Unit.building == building_id) & (Unit.number == number)).run():
            _raise_if({"number": _("This unit number already exists in the building.")})
        unit = Unit(building=building_id, number=number, floor=floor_number, unit_type=unit_type_id)
        await unit.save().run()
        await audit_record(actor=actor, object_type="unit", object_id=unit.id, action="create", to_state=unit.status)
    return unit


def grid_unit_numbers(floor_from: int, floor_to: int, units_per_floor: int) -> list[tuple[int, str]]:
    """(floor, number) for a floors × units grid: floor 3, unit 2 -> "302";
    floor 12, unit 1 -> "1201". Basement floors are written B1-01."""
    numbers = []
    for floor in range(floor_from, floor_to + 1):
        if floor == 0:
            continue
        for position in range(1, units_per_floor + 1):
            number = f"B{-floor}-{position:02d}" if floor < 0 else f"{floor}{position:02d}"
            numbers.append((floor, number))
    return numbers


async def units_bulk_create(
    *, actor: Any, building_id: int, floor_from: Any, floor_to: Any, units_per_floor: Any,
    unit_type_id: int | None = None,
) -> list[Unit]:
    """Create a building's units from floors × units per floor. Numbers that
    already exist are skipped, so running it twice creates nothing new."""
    building = await _get(Building, building_id)
    errors: dict[str, str] = {}
    low = _parse_floor(floor_from, "floor_from", errors)
    high = _parse_floor(floor_to, "floor_to", errors)
    try:
        per_floor = int(str(units_per_floor).strip())
        if not 1 <= per_floor <= MAX_UNITS_PER_FLOOR:
            raise ValueError
    except (TypeError, ValueError):
        errors["units_per_floor"] = _("Enter a number between %(low)s and %(high)s.", low=1, high=MAX_UNITS_PER_FLOOR)
        per_floor = 0
    if not errors and high < low:
        errors["floor_to"] = _("The top floor must not be below the bottom floor.")
    await _check_unit_type(unit_type_id, building, errors)
    _raise_if(errors)
    wanted = grid_unit_numbers(low, high, per_floor)
    async with write_transaction():
        existing = {
            row["number"]
            for row in await Unit.select(Unit.number).where(Unit.building == building_id).run()
        }
        new_units = [
            Unit(building=building_id, number=number, floor=floor, unit_type=unit_type_id)
            for floor, number in wanted
            if number not in existing
        ]
        if new_units:
            await Unit.insert(*new_units).run()
        await audit_record(actor=actor, object_type="building", object_id=building_id, action="units_bulk_create",
                           details={"created": len(new_units), "floors": [low, high], "per_floor": per_floor})
    return new_units


async def unit_update(*, actor: Any, unit_id: int, number: str | None = None, floor: Any = None,
                      unit_type_id: int | None = None) -> Unit:
    unit = await _get(Unit, unit_id)
    building = await _get(Building, unit.building)
    errors: dict[str, str] = {}
    if number is not None:
        unit.number = _required(number, "number", errors, 20)
    if floor is not None:
        unit.floor = _parse_floor(floor, "floor", errors)
    if unit_type_id is not None:
        await _check_unit_type(unit_type_id, building, errors)
        unit.unit_type = unit_type_id
    _raise_if(errors)
    async with write_transaction():
        clash = await Unit.exists().where(
            (Unit.building == unit.building) & (Unit.number == unit.number) & (Unit.id != unit.id)
        ).run()
        if clash:
            _raise_if({"number": _("This unit number already exists in the building.")})
        await unit.save().run()
        await audit_record(actor=actor, object_type="unit", object_id=unit.id, action="update")
    return unit


# ---------------------------------------------------------------- parties

def _party_fields(fields: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "kind" in fields and fields["kind"] is not None:
        if fields["kind"] not in PARTY_KINDS:
            errors["kind"] = _("Choose a kind of party.")
        clean["kind"] = fields["kind"]
    for key, limit in (("contact_name", 100), ("phone", 30), ("email", 200)):
        if fields.get(key) is not None:
            clean[key] = str(fields[key]).strip()[:limit]
    url = fields.get("webhook_url")
    if url is not None:
        url = str(url).strip()
        if url and not url.startswith(("http://", "https://")):
            errors["webhook_url"] = _("Enter a web address starting with http:// or https://.")
        clean["webhook_url"] = url[:500]
    return clean


async def party_create(*, actor: Any, name: str, kind: str, **fields: Any) -> Party:
    errors: dict[str, str] = {}
    name = _required(name, "name", errors)
    clean = _party_fields({"kind": kind, **fields}, errors)
    if kind is None:
        errors["kind"] = _("Choose a kind of party.")
    _raise_if(errors)
    async with write_transaction():
        if await Party.exists().where(Party.name == name).run():
            _raise_if({"name": _("A party with this name already exists.")})
        party = Party(name=name, **clean)
        await party.save().run()
        await audit_record(actor=actor, object_type="party", object_id=party.id, action="create", to_state=party.kind)
    return party


async def party_update(*, actor: Any, party_id: int, **fields: Any) -> Party:
    party = await _get(Party, party_id)
    errors: dict[str, str] = {}
    if fields.get("name") is not None:
        party.name = _required(fields["name"], "name", errors)
    for key, value in _party_fields(fields, errors).items():
        setattr(party, key, value)
    _raise_if(errors)
    async with write_transaction():
        if await Party.exists().where((Party.name == party.name) & (Party.id != party.id)).run():
            _raise_if({"name": _("A party with this name already exists.")})
        await party.save().run()
        await audit_record(actor=actor, object_type="party", object_id=party.id, action="update")
    return party
