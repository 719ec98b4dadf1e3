"""Completing a repair (issue 11): the repairer's note and after-photos.

Who is the repairer is decided in one place, `repairer_repair`: today CS staff
(and admins) record the completion; a repair unit's contractor may once its
assigned jobs are visible to it (access.visible_repairs), since the
`complete` move of states.py is already open to contractors. At least one
after-photo is required; the photos go through the photo pipeline (stage
"after"), and the completion, its photos and the move commit together.
"""
from __future__ import annotations

from typing import Any, Sequence

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.photos.services import PhotoIntake, photo_fields
from server.photos.staged import StagedFile
from server.repairs import access, states
from server.repairs.closing_tables import RepairCompletion
from server.repairs.tables import RepairRequest

MAX_NOTE = 2000
AFTER = "after"


def may_repair(user: Any) -> bool:
    """Whether this user's role does the repair work (completes it, has the owner sign on their phone)."""
    return user is not None and user.role in states.TRANSITIONS["complete"].roles


async def repairer_repair(user: Any, repair_id: int) -> RepairRequest:
    """The repair this user completes: 404 when they may not see it, 403 when their role does not repair."""
    repair = await access.repair_for(user, repair_id)
    if not may_repair(user):
        raise Forbidden(_("You do not have permission to do this."))
    return repair


def _discard(files: Sequence[StagedFile]) -> None:
    for staged in files:
        staged.path.unlink(missing_ok=True)


async def repair_complete(*, actor: Any, repair: RepairRequest, note: Any, files: Sequence[StagedFile],
                          photo_client_ids: Sequence[Any] = (), photo_captured_ats: Sequence[Any] = ()
                          ) -> RepairCompletion:
    """Record the work done: 403 for a role that does not repair, 409 unless the repair is being
    repaired, 400 without an after-photo or with a file that is not a photo; nothing is stored then."""
    from server.repairs.services import repair_transition

    if not may_repair(actor):
        _discard(files)
        raise Forbidden(_("You do not have permission to do this."))
    if states.target_of("complete", repair.status) is None:
        _discard(files)
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    errors: dict[str, str] = {}
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)s characters.", n=MAX_NOTE)
    if not files:
        errors["photos"] = _("Add at least one photo of the finished repair.")
    client_ids, times = photo_fields(photo_client_ids, photo_captured_ats, errors)
    if errors:
        _discard(files)
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    async with PhotoIntake(files) as intake:  # a file that is not a photo: 400, nothing stored
        async with write_transaction():
            await repair_transition(actor=actor, repair=repair, action="complete")
            completion = RepairCompletion(repair=repair.id, note=note, created_by=getattr(actor, "id", None))
            await completion.save().run()
            photos = await intake.record(subject_type="repair", subject_id=repair.id, actor=actor, stage=AFTER,
                                         client_ids=client_ids, captured_ats=times)
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="completion",
                               details={"completion_id": completion.id, "photos": [p.photo.id for p in photos]})
    return completion


async def latest_completion(repair_id: int) -> RepairCompletion | None:
    return await RepairCompletion.objects().where(RepairCompletion.repair == repair_id).order_by(
        RepairCompletion.id, ascending=False).first().run()
