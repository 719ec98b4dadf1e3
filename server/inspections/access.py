"""Who may see and do what in inspection and rectification. The one place to look.

Developer-side staff see every inspection and defect. A contractor sees only
defects (and notices) of its own party; anything else answers 404, like a
missing record. Role checks for actions are the ROLE sets below, used as
route guards.
"""
from __future__ import annotations

from typing import Any

from piccolo.columns.combination import WhereRaw

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.inspections.tables import Defect, Inspection, RectificationNotice

PLANNERS = (roles.ADMIN, roles.CS_STAFF)
INSPECTORS = (roles.ADMIN, roles.CS_STAFF, roles.INSPECTOR)
CHECKERS = (roles.PROJECT_STAFF, roles.SUPERVISOR)
RECHECKERS = (roles.CS_STAFF, roles.INSPECTOR)
RECTIFIERS = (roles.CONTRACTOR,)
COMPLETION_OVERRIDERS = (roles.ADMIN, roles.CS_STAFF)
"""May finish an acceptance inspection whose checklist is not fully checked, with an audited reason."""
INSPECTION_READERS = tuple(roles.STAFF)
DEFECT_READERS = tuple(roles.STAFF | {roles.CONTRACTOR})


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


def is_staff(user: Any) -> bool:
    return user is not None and user.role in roles.STAFF


async def inspection_for(user: Any, inspection_id: int) -> Inspection:
    inspection = await Inspection.objects().get(Inspection.id == inspection_id).run() if is_staff(user) else None
    if inspection is None:
        raise _not_found()
    return inspection


async def inspection_to_work(user: Any, inspection_id: int) -> Inspection:
    """An inspection this user may work on the phone (and so download for
    offline use): CS staff and admins any, an inspector only their own."""
    inspection = await inspection_for(user, inspection_id)
    if user.role not in (roles.ADMIN, roles.CS_STAFF) and inspection.inspector != user.id:
        raise _not_found()
    return inspection


def visible_defects(user: Any) -> Any:
    """A where-clause: the defects this user may see."""
    if is_staff(user):
        # Every defect: TRUE, which the database drops, so a list's count can be answered from an index
        # alone (`id IS NOT NULL` made PostgreSQL read each row: 3 ms of the check and recheck lists).
        return WhereRaw("TRUE")
    if user is not None and user.role == roles.CONTRACTOR and user.party:
        return Defect.construction_unit == user.party
    return Defect.id.is_null()


async def defect_for(user: Any, defect_id: int) -> Defect:
    defect = await Defect.objects().where((Defect.id == defect_id) & visible_defects(user)).first().run()
    if defect is None:
        raise _not_found()
    return defect


async def notice_for(user: Any, notice_id: int) -> RectificationNotice:
    notice = await RectificationNotice.objects().get(RectificationNotice.id == notice_id).run()
    if notice is None or not (is_staff(user) or (user is not None and user.party == notice.party)):
        raise _not_found()
    return notice


# Photos of defects and of checks are visible to whoever sees the defect.
from server.photos.access import register_subject  # noqa: E402


@register_subject("defect")
async def _defect_photo_visible(user: Any, defect_id: int) -> bool:
    return await Defect.exists().where((Defect.id == defect_id) & visible_defects(user)).run()


@register_subject("defect_check")
async def _check_photo_visible(user: Any, check_id: int) -> bool:
    from server.inspections.tables import DefectCheck

    return await Defect.exists().where(
        Defect.id.is_in(DefectCheck.select(DefectCheck.defect).where(DefectCheck.id == check_id))
        & visible_defects(user)).run()
