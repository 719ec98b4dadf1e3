"""Photos of a unit itself (meter readings at key handover)."""
from __future__ import annotations

import uuid
from typing import Any, Sequence

from server.db import write_transaction
from server.errors import Invalid
from server.i18n import _
from server.org.access import unit_for
from server.photos.access import register_subject
from server.photos.services import PhotoIntake
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
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            return await intake.record(subject_type="unit", subject_id=unit_id, actor=actor, stage=stage,
                                       client_ids=[uuid_])


@register_subject("unit")
async def _unit_photo_visible(user: Any, unit_id: int) -> bool:
    try:
        await unit_for(user, unit_id)
    except Exception:  # noqa: BLE001 - NotFound: not visible
        return False
    return True
