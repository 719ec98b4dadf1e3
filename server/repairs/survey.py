"""Site survey and repair plan (regulation 1.2-1.3): the quality center
records what it found on site (findings, photos: `repair` photos of stage
`survey`) and issues a repair plan (维修方案) with attachments (`plan` moves
the request to `planned`); the CS center approves it, or sends it back with
a reason (`return_plan`, back to `surveying`, where a new plan follows).
Dispatch from `planned` needs the approval (dispatch.py). Knows nothing of HTTP.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Sequence

from server.accounts import roles
from server.audit.services import audit_record
from server.db import lock_row, write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.once import create_once
from server.photos.services import PhotoIntake, photo_fields
from server.photos.staged import StagedFile
from server.photos.storage import get_storage
from server.procedures import documents
from server.repairs import states
from server.repairs.job_tables import RepairPlan, RepairPlanDocument, RepairSurvey
from server.repairs.services import _discard, _invalid, _parse_uuid, repair_transition
from server.repairs.tables import RepairRequest

SURVEYORS = frozenset({roles.QUALITY_CENTER, roles.ADMIN})
"""Who records a site survey (the quality center, 安全质量监督中心)."""
PLANNERS = states.TRANSITIONS["plan"].roles
DECIDERS = states.TRANSITIONS["return_plan"].roles
MAX_TEXT = 4000
MAX_DOCUMENTS = 5


def _text(value: Any, field: str, errors: dict[str, str], missing: str) -> str:
    text = str(value or "").strip()
    if not text:
        errors[field] = missing
    elif len(text) > MAX_TEXT:
        errors[field] = _("At most %(n)s characters.", n=MAX_TEXT)
    return text


async def _fresh_status(repair: RepairRequest) -> str:
    """The status as it is now, inside the write transaction (the row held until commit)."""
    await lock_row(RepairRequest, repair.id)
    row = await RepairRequest.select(RepairRequest.status).where(RepairRequest.id == repair.id).first().run()
    return row["status"] if row else ""


def _not_now() -> Conflict:
    return Conflict(_("This repair cannot be changed this way in its current state."))


# ---------------------------------------------------------------- the survey

async def _tell(role: str, actor: Any, repair: RepairRequest, key: str, title: Any) -> list[int]:
    """Inside the transaction: an inbox message for each active user of `role` (not the actor)."""
    from server.accounts.tables import User
    from server.notifications.handoffs import _unit_place
    from server.notifications.services import Notice, active_users, default_language, notify

    users = await active_users(User.role == role, exclude=actor)
    place = await _unit_place(repair.unit)
    with default_language():
        notice = Notice(key, title(place), repair.description, f"/repairs/{repair.id}")
    return await notify(users, notice)


async def send_to_survey(*, actor: Any, repair: RepairRequest) -> RepairRequest:
    """CS sends a triaged request to the quality center (`survey`); its users are told."""
    from server.notifications.services import send_soon

    async with write_transaction():
        await repair_transition(actor=actor, repair=repair, action="survey")
        sent = await _tell(roles.QUALITY_CENTER, actor, repair, f"repair:{repair.id}:survey:{_stamp()}",
                           lambda place: _("Site survey needed: %(place)s", place=place))
    await send_soon(sent)
    return repair


def _stamp() -> int:
    return int(dt.datetime.now(dt.timezone.utc).timestamp())


async def survey_record(*, actor: Any, repair: RepairRequest, fields: dict[str, Any],
                        files: Sequence[StagedFile] = ()) -> tuple[RepairSurvey, bool]:
    """Record a site survey: `findings`, photos; only while the request is `surveying`.
    (survey, created); a repeat `client_id` answers the first one and stores nothing."""
    if actor.role not in SURVEYORS:
        _discard(files)
        raise Forbidden(_("You do not have permission to do this."))
    try:
        client_id = _parse_uuid(fields.get("client_id"))
    except Invalid:
        _discard(files)
        raise
    survey, created = await create_once(
        client_id, find=lambda known: RepairSurvey.objects().get(RepairSurvey.client_id == known).run(),
        create=lambda: _survey(actor, repair, fields, files, client_id))
    if not created:
        _discard(files)
    return survey, created


async def _survey(actor: Any, repair: RepairRequest, fields: dict[str, Any], files: Sequence[StagedFile],
                  client_id: Any) -> tuple[RepairSurvey, bool]:
    errors: dict[str, str] = {}
    findings = _text(fields.get("findings"), "findings", errors, _("Describe what was found on site."))
    photo_ids, photo_times = photo_fields(fields.get("photo_client_ids") or [], fields.get("photo_captured_ats") or [],
                                          errors)
    if repair.status != states.SURVEYING:
        _discard(files)
        raise _not_now()
    if errors:
        _discard(files)
        raise _invalid(errors)
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            if await _fresh_status(repair) != states.SURVEYING:
                raise _not_now()
            survey = RepairSurvey(client_id=client_id, repair=repair.id, findings=findings,
                                  created_by=getattr(actor, "id", None))
            await survey.save().run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="survey_record",
                               details={"survey_id": survey.id, "photos": len(files)})
            await intake.record(subject_type="repair", subject_id=repair.id, actor=actor, stage="survey",
                                client_ids=photo_ids, captured_ats=photo_times)
    return survey, True


# ---------------------------------------------------------------- the plan

async def plan_issue(*, actor: Any, repair: RepairRequest, fields: dict[str, Any],
                     files: Sequence[StagedFile] = ()) -> tuple[RepairPlan, bool]:
    """Issue a repair plan: `text` and up to MAX_DOCUMENTS attachments (PDF, Office files, photos, found by
    their bytes); needs a recorded survey; moves the request to `planned`. (plan, created)."""
    if actor.role not in PLANNERS:
        _discard(files)
        raise Forbidden(_("You do not have permission to do this."))
    try:
        client_id = _parse_uuid(fields.get("client_id"))
    except Invalid:
        _discard(files)
        raise
    plan, created = await create_once(
        client_id, find=lambda known: RepairPlan.objects().get(RepairPlan.client_id == known).run(),
        create=lambda: _plan(actor, repair, fields, files, client_id))
    _discard(files)
    return plan, created


async def _plan(actor: Any, repair: RepairRequest, fields: dict[str, Any], files: Sequence[StagedFile],
                client_id: Any) -> tuple[RepairPlan, bool]:
    if states.target_of("plan", repair.status) is None:
        raise _not_now()
    if not await RepairSurvey.exists().where(RepairSurvey.repair == repair.id).run():
        raise Conflict(_("Record the site survey before issuing the repair plan."))
    errors: dict[str, str] = {}
    text = _text(fields.get("text"), "text", errors, _("Write the repair plan."))
    if len(files) > MAX_DOCUMENTS:
        errors["documents"] = _("At most %(n)s files.", n=MAX_DOCUMENTS)
    if errors:
        raise _invalid(errors)
    stored: list[documents.Stored] = []
    try:
        for staged in files:
            try:
                stored.append(await documents.store(Path(staged.path), staged.size, staged.filename or ""))
            except Invalid as exc:  # name the field the form shows
                raise _invalid({"documents": exc.field_errors.get("file") or exc.message}) from None
        async with write_transaction():
            await repair_transition(actor=actor, repair=repair, action="plan")
            plan = RepairPlan(client_id=client_id, repair=repair.id, text=text, created_by=getattr(actor, "id", None))
            await plan.save().run()
            if stored:
                await RepairPlanDocument.insert(*[RepairPlanDocument(
                    plan=plan.id, filename=s.filename, media_type=s.kind.media_type, byte_size=s.size,
                    sha256=s.sha256, storage_key=s.key) for s in stored]).run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="plan_issue",
                               details={"plan_id": plan.id, "documents": [s.sha256 for s in stored]})
            sent = await _tell(roles.CS_STAFF, actor, repair, f"repair:{repair.id}:plan:{plan.id}",
                               lambda place: _("Repair plan to approve: %(place)s", place=place))
    except BaseException:
        for s in stored:  # not recorded: do not keep the files either
            await get_storage().delete(s.key)
        raise
    from server.notifications.services import send_soon

    await send_soon(sent)
    return plan, True


async def current_plan(repair_id: int) -> RepairPlan | None:
    return await RepairPlan.objects().where(RepairPlan.repair == repair_id).order_by(
        RepairPlan.id, ascending=False).first().run()


async def plan_decide(*, actor: Any, repair: RepairRequest, decision: Any, reason: Any = "") -> RepairPlan:
    """The CS center approves the plan (`approve`: the request stays `planned`, ready to dispatch) or sends
    it back (`return`, with a reason: the request goes back to `surveying`). A plan is decided once."""
    if actor.role not in DECIDERS:
        raise Forbidden(_("You do not have permission to do this."))
    decision = str(decision or "").strip()
    reason = str(reason or "").strip()
    errors: dict[str, str] = {}
    if decision not in ("approve", "return"):
        errors["decision"] = _("Approve the plan or send it back.")
    elif decision == "return" and not reason:
        errors["reason"] = _("Say why the plan is sent back.")
    elif len(reason) > MAX_TEXT:
        errors["reason"] = _("At most %(n)s characters.", n=MAX_TEXT)
    if repair.status != states.PLANNED:
        raise _not_now()
    if errors:
        raise _invalid(errors)
    plan = await current_plan(repair.id)
    if plan is None or plan.decision:
        raise _not_now()
    now = dt.datetime.now(dt.timezone.utc)
    async with write_transaction():
        if decision == "return":
            await repair_transition(actor=actor, repair=repair, action="return_plan")
        elif await _fresh_status(repair) != states.PLANNED:
            raise _not_now()
        outcome = "approved" if decision == "approve" else "returned"
        updated = await RepairPlan.update({RepairPlan.decision: outcome, RepairPlan.reason: reason,
                                           RepairPlan.decided_by: getattr(actor, "id", None),
                                           RepairPlan.decided_at: now}).where(
            (RepairPlan.id == plan.id) & (RepairPlan.decision == "")).returning(RepairPlan.id).run()
        if not updated:
            raise Conflict(_("This repair was changed by someone else. Please reload."))
        await audit_record(actor=actor, object_type="repair", object_id=repair.id, action=f"plan_{outcome}",
                           details={"plan_id": plan.id, "reason": reason})
    plan.decision, plan.reason, plan.decided_at = outcome, reason, now
    return plan
