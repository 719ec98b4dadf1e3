"""A unit type's floor plan: the first feature built on `PhotoIntake`.

Inspectors pin defects on this plan, so it is an ordinary photo (processed
into display size and thumbnail like any other) whose subject is the unit
type. Replacing the plan keeps the previous photo: defects pinned on it
still refer to it.
"""
from __future__ import annotations

import uuid
from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Invalid, NotFound
from server.i18n import _
from server.org.tables import UnitType
from server.once import create_once
from server.photos.services import PhotoIntake, RecordedPhoto, parse_client_id, photos_by_client_ids
from server.photos.staged import StagedFile

SUBJECT_TYPE = "unit_type"


async def unit_type_get(unit_type_id: int) -> UnitType:
    unit_type = await UnitType.objects().get(UnitType.id == unit_type_id).run()
    if unit_type is None:
        raise NotFound(_("The page or record was not found."))
    return unit_type


async def floor_plan_set(*, actor: Any, unit_type_id: int, files: list[StagedFile],
                         client_id: str | None = None) -> tuple[UnitType, RecordedPhoto]:
    """Record `files[0]` as the unit type's floor plan (one photo, required)."""
    await unit_type_get(unit_type_id)
    if len(files) != 1:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"photo": _("Choose one photo of the floor plan.")})
    uuid_ = parse_client_id(client_id)

    async def create() -> tuple[RecordedPhoto, bool]:
        async with PhotoIntake(files) as intake:
            async with write_transaction():
                [recorded] = await intake.record(subject_type=SUBJECT_TYPE, subject_id=unit_type_id,
                                                 actor=actor, client_ids=[uuid_])
                if recorded.created:
                    await _point_to(actor, unit_type_id, recorded.photo.id)
        return recorded, recorded.created

    async def find(known: uuid.UUID) -> RecordedPhoto | None:
        found = await photos_by_client_ids([known], SUBJECT_TYPE, unit_type_id)
        return found[0] if found else None

    recorded, created = await create_once(uuid_, find=find, create=create)
    if not created:
        for staged in files:
            staged.path.unlink(missing_ok=True)
    return await unit_type_get(unit_type_id), recorded


async def _point_to(actor: Any, unit_type_id: int, photo_id: int) -> None:
    # Read the current plan inside the write transaction, so the audit line
    # names the plan actually replaced even when two admins upload at once.
    row = await UnitType.select(UnitType.floor_plan).where(UnitType.id == unit_type_id).first().run()
    if row is None:
        raise NotFound(_("The page or record was not found."))  # deleted meanwhile: roll back
    await UnitType.update({UnitType.floor_plan: photo_id}).where(UnitType.id == unit_type_id).run()
    await audit_record(actor=actor, object_type="unit_type", object_id=unit_type_id, action="floor_plan_set",
                       details={"photo_id": photo_id, "previous_photo_id": row["floor_plan"]})
