"""Photos of a unit itself (meter readings at key handover)."""
from __future__ import annotations

import uuid
from typing import Any, Sequence

from server.db import write_transaction
from server.errors import Invalid, NotFound
from server.i18n import _
from server.org.access import unit_for
from server.photos.access import register_subject
from server.once import create_once
from server.photos.services import PhotoIntake, client_ids_for, photos_by_client_ids
from server.photos.staged import StagedFile

STAGES = ("meter_water", "meter_electricity", "meter_gas")


async def unit_photos_add(*, actor: Any, unit_id: int, stage: str, files: Sequence[StagedFile],
                          client_id: Any = None) -> list:
    if stage not in STAGES or not files:
        for staged in files:
            staged.path.unlink(missing_ok=True)
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"stage" if stage not in STAGES else "photos": _("This value is not valid.")})
    try:
        uuid_ = uuid.UUID(str(client_id)) if client_id else None
    except ValueError:
        uuid_ = None
    client_ids = client_ids_for(uuid_, len(files))

    async def create() -> tuple[list, bool]:
        async with PhotoIntake(files) as intake:
            async with write_transaction():
                return await intake.record(subject_type="unit", subject_id=unit_id, actor=actor, stage=stage,
                                           client_ids=client_ids), True

    recorded, created = await create_once(uuid_, find=lambda _: photos_by_client_ids(client_ids, "unit", unit_id),
                                          create=create)
    if not created:
        for staged in files:
            staged.path.unlink(missing_ok=True)
    return recorded


@register_subject("unit")
async def _unit_photo_visible(user: Any, unit_id: int) -> bool:
    try:
        await unit_for(user, unit_id)
    except NotFound:  # only "not yours or not there"; a bug or a database error is not a hidden photo
        return False
    return True
