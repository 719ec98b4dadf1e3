"""Who may see which organisation objects. Every fetch for a caller goes through here.

Staff roles see every project. A contractor sees its own party. An owner
sees only the units linked to them. Anything else answers 404, exactly as a
missing object does.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.accounts.tables import UnitOwner
from server.errors import NotFound
from server.i18n import _
from server.org.tables import Building, Party, Project, Unit
from server.reference_cache import reference_by_id


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


def is_staff(user: Any) -> bool:
    return user is not None and user.role in roles.STAFF


async def project_for(user: Any, project_id: int) -> Project:
    project = await reference_by_id(Project, project_id) if is_staff(user) else None
    if project is None:
        raise _not_found()
    return project


async def building_for(user: Any, building_id: int) -> Building:
    building = await reference_by_id(Building, building_id) if is_staff(user) else None
    if building is None:
        raise _not_found()
    return building


async def unit_for(user: Any, unit_id: int) -> Unit:
    unit = None
    if is_staff(user):
        unit = await Unit.objects().get(Unit.id == unit_id).run()
    elif user is not None and user.role == roles.OWNER:
        owns = await UnitOwner.exists().where((UnitOwner.unit == unit_id) & (UnitOwner.user == user.id)).run()
        unit = await Unit.objects().get(Unit.id == unit_id).run() if owns else None
    if unit is None:
        raise _not_found()
    return unit


async def party_for(user: Any, party_id: int) -> Party:
    party = None
    if is_staff(user) or (user is not None and user.party == party_id):
        party = await Party.objects().get(Party.id == party_id).run()
    if party is None:
        raise _not_found()
    return party


def visible_units_filter(user: Any) -> Any:
    """A where-clause limiting a Unit query to what this user may see."""
    if is_staff(user):
        return Unit.id.is_not_null()
    if user is not None and user.role == roles.OWNER:
        return Unit.id.is_in(UnitOwner.select(UnitOwner.unit).where(UnitOwner.user == user.id))
    return Unit.id.is_null()
