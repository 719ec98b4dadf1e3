"""Checks during the repair (regulation 1.5): the CS center checks the repair
materials, its quality and its safety (维修材料、维修质量、维修安全), each ok or
not, with a note (required when not ok) and optional photos (`repair_check`
photos of that check). A check is a record: written once, never changed.
Knows nothing of HTTP.
"""
from __future__ import annotations

from typing import Any, Sequence

from server.accounts import roles
from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _, lazy_gettext as _l
from server.once import create_once
from server.photos.services import PhotoIntake, photo_fields
from server.photos.staged import StagedFile
from server.repairs import states
from server.repairs.job_tables import RepairCheck
from server.repairs.services import _discard, _invalid, _parse_uuid
from server.repairs.survey import _fresh_status
from server.repairs.tables import RepairRequest

ASPECTS = {"materials": _l("Repair materials"), "quality": _l("Repair quality"), "safety": _l("Repair safety")}
RESULTS = {"ok": _l("OK"), "not_ok": _l("Not OK")}
CHECKERS = frozenset({roles.CS_STAFF, roles.ADMIN})
MAX_NOTE = 1000


async def repair_check_add(*, actor: Any, repair: RepairRequest, fields: dict[str, Any],
                           files: Sequence[StagedFile] = ()) -> tuple[RepairCheck, bool]:
    """Record a check (`aspect`, `result`, `note`, photos) while the repair is being done; (check, created)."""
    if actor.role not in CHECKERS:
        _discard(files)
        raise Forbidden(_("You do not have permission to do this."))
    try:
        client_id = _parse_uuid(fields.get("client_id"))
    except Invalid:
        _discard(files)
        raise
    check, created = await create_once(
        client_id, find=lambda known: RepairCheck.objects().get(RepairCheck.client_id == known).run(),
        create=lambda: _add(actor, repair, fields, files, client_id))
    if not created:
        _discard(files)
    return check, created


async def _add(actor: Any, repair: RepairRequest, fields: dict[str, Any], files: Sequence[StagedFile],
               client_id: Any) -> tuple[RepairCheck, bool]:
    if repair.status != states.IN_REPAIR:
        _discard(files)
        raise Conflict(_("Checks are recorded while the repair is being done."))
    errors: dict[str, str] = {}
    aspect = str(fields.get("aspect") or "").strip()
    if aspect not in ASPECTS:
        errors["aspect"] = _("Choose what was checked.")
    result = str(fields.get("result") or "").strip()
    if result not in RESULTS:
        errors["result"] = _("Choose OK or not OK.")
    note = str(fields.get("note") or "").strip()
    if result == "not_ok" and not note:
        errors["note"] = _("Say what is wrong.")
    elif len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)s characters.", n=MAX_NOTE)
    photo_ids, photo_times = photo_fields(fields.get("photo_client_ids") or [], fields.get("photo_captured_ats") or [],
                                          errors)
    if errors:
        _discard(files)
        raise _invalid(errors)
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            if await _fresh_status(repair) != states.IN_REPAIR:
                raise Conflict(_("Checks are recorded while the repair is being done."))
            check = RepairCheck(client_id=client_id, repair=repair.id, aspect=aspect, result=result, note=note,
                                created_by=getattr(actor, "id", None))
            await check.save().run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="check",
                               details={"check_id": check.id, "aspect": aspect, "result": result})
            await intake.record(subject_type="repair_check", subject_id=check.id, actor=actor, stage="check",
                                client_ids=photo_ids, captured_ats=photo_times)
    return check, True
