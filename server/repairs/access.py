"""Who may see which repair request. Every fetch for a caller goes through here.

Developer-side staff see every project's repairs (as for the rest of the
organisation data, server/org/access.py); an owner sees the repairs of the
homes linked to them; a contractor (of a repair unit or a construction unit)
sees the jobs assigned to its party, while the assignment stands (a job given
to another unit leaves the first one's list). Anything else answers 404, as a
missing request does. Photos of a repair, and of its checks, are visible
exactly to whoever sees it.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.accounts.tables import UnitOwner
from server.errors import NotFound
from server.i18n import _
from server.org.access import is_staff
from server.photos.access import register_subject
from server.repairs.job_tables import RepairAssignment, RepairCheck
from server.repairs.tables import RepairRequest

REPORTERS = (roles.OWNER, roles.CS_STAFF)
"""Who may report a repair: the owner of the home, or CS staff for a phone, walk-in or paper request."""
RECORD_DELIVERY = (roles.ADMIN, roles.CS_STAFF)


def visible_repairs(user: Any) -> Any:
    """A where-clause limiting a RepairRequest query to what this user may see."""
    if is_staff(user):
        # Every row; said on `status` (indexed, never null) so that PostgreSQL counts the list's total from
        # that index alone: `id IS NOT NULL` made it read the whole table (12 ms at 20,000 requests).
        return RepairRequest.status.is_not_null()
    if user is not None and user.role == roles.OWNER:
        return RepairRequest.unit.is_in(UnitOwner.select(UnitOwner.unit).where(UnitOwner.user == user.id))
    if user is not None and user.role == roles.CONTRACTOR and user.party:
        return RepairRequest.id.is_in(RepairAssignment.select(RepairAssignment.repair).where(standing_jobs(user.party)))
    return RepairRequest.id.is_null()


def standing_jobs(party_id: int) -> Any:
    """A where-clause on RepairAssignment: the jobs a repair unit holds now (one per repair, a unique index
    says so, so counting these counts the unit's repairs)."""
    return (RepairAssignment.party == party_id) & (RepairAssignment.superseded == False)  # noqa: E712


async def repair_for(user: Any, repair_id: int) -> RepairRequest:
    repair = await RepairRequest.objects().where((RepairRequest.id == repair_id) & visible_repairs(user)).first().run()
    if repair is None:
        raise NotFound(_("The page or record was not found."))
    return repair


@register_subject("repair")
async def _repair_photo_visible(user: Any, repair_id: int) -> bool:
    return await RepairRequest.exists().where((RepairRequest.id == repair_id) & visible_repairs(user)).run()


@register_subject("repair_check")
async def _repair_check_photo_visible(user: Any, check_id: int) -> bool:
    return await RepairRequest.exists().where(
        RepairRequest.id.is_in(RepairCheck.select(RepairCheck.repair).where(RepairCheck.id == check_id))
        & visible_repairs(user)).run()
