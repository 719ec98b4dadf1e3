"""Who may see and do what in delivery. The one place to look.

Developer-side staff see every batch. An owner sees only the units linked to
them (their settlement, appointment, confirmation and handover records);
anything else answers 404, as a missing record does.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.accounts.tables import UnitOwner
from server.delivery.tables import Appointment, DeliveryBatch, DeliveryConfirmation
from server.errors import NotFound
from server.i18n import _

# Set up batches, owners and slots; draft the announcement.
ORGANISERS = (roles.ADMIN, roles.CS_STAFF)
# Run delivery day on site: check-in, walkthrough, confirmation, keys.
DAY_STAFF = (roles.ADMIN, roles.CS_STAFF, roles.INSPECTOR)
READERS = tuple(roles.STAFF)


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


def is_staff(user: Any) -> bool:
    return user is not None and user.role in roles.STAFF


async def batch_for(user: Any, batch_id: int) -> DeliveryBatch:
    batch = await DeliveryBatch.objects().get(DeliveryBatch.id == batch_id).run() if is_staff(user) else None
    if batch is None:
        raise _not_found()
    return batch


async def owns(user: Any, unit_id: int) -> bool:
    return (user is not None and user.role == roles.OWNER and await UnitOwner.exists().where(
        (UnitOwner.unit == unit_id) & (UnitOwner.user == user.id)).run())


async def appointment_for(user: Any, appointment_id: int) -> Appointment:
    appointment = await Appointment.objects().get(Appointment.id == appointment_id).run()
    if appointment is None or not (is_staff(user) or await owns(user, appointment.unit)):
        raise _not_found()
    return appointment


async def confirmation_for(user: Any, confirmation_id: int) -> DeliveryConfirmation:
    record = await DeliveryConfirmation.objects().get(DeliveryConfirmation.id == confirmation_id).run()
    if record is None or not (is_staff(user) or await owns(user, record.unit)):
        raise _not_found()
    return record
