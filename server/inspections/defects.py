"""Defects: record (with photos), rectify, check during rectification, recheck."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Invalid
from server.i18n import LOCALES, _, current_locale
from server.inspections.default_checklist import CATEGORIES, CATEGORY_NAMES_ZH
from server.inspections.notices import deadline_for
from server.inspections.services import _parse_uuid, inspection_pass_if_all_closed, now
from server.inspections.states import DEFECT_TRANSITIONS, SEVERITIES, next_state
from server.inspections.tables import Defect, DefectCheck, Inspection, Recheck, TradeAssignment
from server.inspections.trades import trade_remember
from server.notifications import handoffs
from server.notifications.services import send_soon
from server.org.tables import Party, Unit
from server.once import create_once
from server.photos.services import (PhotoIntake, RecordedPhoto, client_ids_for, parse_captured_at, photo_fields,
                                   photos_by_client_ids)
from server.photos.tables import Photo
from server.photos.staged import StagedFile

SUBJECT = "defect"
CHECK_SUBJECT = "defect_check"
PHOTO_STAGES = ("found", "rectified", "recheck")
DESCRIPTION_MAX = 2000  # the capture form's limit too (shown, never cut)


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def _discard(files: Sequence[StagedFile]) -> None:
    for staged in files:
        staged.path.unlink(missing_ok=True)


def _pin(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[field] = _("Enter a number between 0 and 1.")
        return None
    if not (Decimal(0) <= number <= Decimal(1)):
        errors[field] = _("Enter a number between 0 and 1.")
        return None
    return number.quantize(Decimal("0.0001"))


def category_code(value: Any) -> str | None:
    """The category a client means: its code (`wall`), its Chinese name from
    rules.md (墙面), as an integrator's export carries it, or its label as
    this app shows it in either language; None when it is none of these."""
    text = str(value or "").strip()
    if text in CATEGORIES:
        return text
    by_name = {name: code for code, name in CATEGORY_NAMES_ZH.items()}
    if text in by_name:
        return by_name[text]
    for locale in LOCALES:
        token = current_locale.set(locale)
        try:
            labels = {str(label).casefold(): code for code, label in CATEGORIES.items()}
        finally:
            current_locale.reset(token)
        if text.casefold() in labels:
            return labels[text.casefold()]
    return None


async def default_construction_unit(unit_id: int, category: str) -> int | None:
    """The party assigned to this category's trade in the unit's building."""
    unit = await Unit.select(Unit.building).where(Unit.id == unit_id).first().run()
    row = await TradeAssignment.select(TradeAssignment.party).where(
        (TradeAssignment.building == unit["building"]) & (TradeAssignment.category == category)
    ).first().run() if unit else None
    return row["party"] if row else None


def _description(value: Any, errors: dict[str, str]) -> str:
    """The description as typed; longer than DESCRIPTION_MAX is refused, never cut."""
    text = str(value or "").strip()
    if "__" in text:  # a quick phrase's blank ("墙面裂缝长 __ cm") left unfilled
        errors["description"] = _("Fill in the blank (__) of the quick phrase.")
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = _("At most %(n)s characters (this has %(count)s).", n=DESCRIPTION_MAX,
                                  count=len(text))
    return text


async def _transition(actor: Any, defect: Defect, action: str, **changes: Any) -> Defect:
    target = next_state(DEFECT_TRANSITIONS, action, defect.status)
    values = {Defect.status: target, **{getattr(Defect, k): v for k, v in changes.items()}}
    updated = await Defect.update(values).where(
        (Defect.id == defect.id) & (Defect.status == defect.status)).returning(Defect.id).run()
    if not updated:  # someone else moved it first
        raise Conflict(_("This cannot be done in the record's current state."))
    await audit_record(actor=actor, object_type="defect", object_id=defect.id, action=action,
                       from_state=defect.status, to_state=target,
                       details={k: str(v) for k, v in changes.items() if k in ("rectify_note", "reopen_count")})
    for key, value in changes.items():
        setattr(defect, key, value)
    defect.status = target
    return defect


async def defect_record(*, actor: Any, inspection: Inspection, fields: dict[str, Any],
                        files: Sequence[StagedFile] = ()) -> tuple[Defect, bool]:
    """Record a defect found during an inspection, with its photos; (defect, created).

    A repeat `client_id` answers the defect already recorded and stores nothing.
    `photo_client_ids` and `photo_captured_ats` (lists, in the order of the
    files) give each photo its own client_id and device capture time; a photo
    without a time of its own takes the defect's `captured_at`.
    """
    client_id = _parse_uuid(fields.get("client_id"))
    defect, created = await create_once(
        client_id, find=lambda known: Defect.objects().get(Defect.client_id == known).run(),
        create=lambda: _defect_create(actor=actor, inspection=inspection, fields=fields, files=files,
                                      client_id=client_id))
    if not created:
        _discard(files)
    return defect, created


async def _defect_create(*, actor: Any, inspection: Inspection, fields: dict[str, Any],
                         files: Sequence[StagedFile], client_id: Any) -> tuple[Defect, bool]:
    errors: dict[str, str] = {}
    room = str(fields.get("room") or "").strip()
    if not room:
        errors["room"] = _("Choose a room.")
    category = category_code(fields.get("category"))
    if category is None:
        errors["category"] = _("Choose a category.")
    severity = fields.get("severity")
    if severity not in SEVERITIES:
        errors["severity"] = _("Choose how serious it is.")
    description = _description(fields.get("description"), errors)
    if not description and not files:
        errors["description"] = _("Describe the defect or add a photo.")
    pin_x, pin_y = _pin(fields.get("pin_x"), "pin_x", errors), _pin(fields.get("pin_y"), "pin_y", errors)
    party_id = fields.get("construction_unit_id")
    try:
        party_id = int(party_id) if party_id not in (None, "") else None
    except (TypeError, ValueError):
        party_id = -1
    remember = str(fields.get("remember_party") or "").lower() in ("1", "on", "true", "yes") and party_id is not None
    if party_id is None and category in CATEGORIES:
        party_id = await default_construction_unit(inspection.unit, category)
    party = await Party.objects().get(Party.id == party_id).run() if party_id else None
    if party is None or party.kind != "construction_unit":
        errors["construction_unit_id"] = _("Choose the construction unit responsible.")
    captured_at = fields.get("captured_at")
    try:
        captured_at = parse_captured_at(captured_at)
    except Invalid as exc:
        errors.update(exc.field_errors)
    photo_client_ids, photo_times = photo_fields(fields.get("photo_client_ids"), fields.get("photo_captured_ats"),
                                                 errors)
    photo_times = [photo_times[i] if i < len(photo_times) and photo_times[i] else captured_at
                   for i in range(len(files))]
    if errors:
        _discard(files)
        raise _invalid(errors)
    if inspection.status != "in_progress":
        _discard(files)
        raise Conflict(_("Defects can only be recorded while the inspection is in progress."))
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            defect = Defect(
                inspection=inspection.id, unit=inspection.unit, client_id=client_id, room=room[:50],
                category=category, severity=severity, description=description, construction_unit=party.id,
                pin_x=pin_x, pin_y=pin_y, captured_at=captured_at or None, created_by=getattr(actor, "id", None),
                checklist_item=fields.get("checklist_item_id") or None,
            )
            await defect.save().run()
            await audit_record(actor=actor, object_type="defect", object_id=defect.id, action="create",
                               to_state="open", details={"inspection_id": inspection.id, "severity": severity})
            if remember:  # "remember for this building and category", where nothing is assigned yet
                unit = await Unit.select(Unit.building).where(Unit.id == inspection.unit).first().run()
                await trade_remember(actor=actor, building_id=unit["building"], category=category, party_id=party.id)
            await intake.record(subject_type=SUBJECT, subject_id=defect.id, actor=actor, stage="found",
                                client_ids=photo_client_ids, captured_ats=photo_times)
    return defect, True


async def defect_photos_add(*, actor: Any, defect: Defect, stage: str, files: Sequence[StagedFile],
                            client_id: Any = None, captured_at: Any = None) -> list[Any]:
    if stage not in PHOTO_STAGES:
        _discard(files)
        raise _invalid({"stage": _("This value is not valid.")})
    if not files:
        raise _invalid({"photos": _("Add at least one photo.")})
    try:
        uuid_ = _parse_uuid(client_id)
        moment = parse_captured_at(captured_at)
    except Invalid:
        _discard(files)
        raise
    client_ids = client_ids_for(uuid_, len(files))

    async def create() -> tuple[list[RecordedPhoto], bool]:
        async with PhotoIntake(files) as intake:
            async with write_transaction():
                return await intake.record(subject_type=SUBJECT, subject_id=defect.id, actor=actor, stage=stage,
                                           client_ids=client_ids, captured_ats=[moment] * len(files)), True

    recorded, created = await create_once(uuid_, find=lambda _: photos_by_client_ids(client_ids, SUBJECT, defect.id),
                                          create=create)
    if not created:
        _discard(files)
    return recorded


async def _last_reopened_at(defect: Defect) -> dt.datetime:
    row = await Recheck.select(Recheck.created_at).where(
        (Recheck.defect == defect.id) & (Recheck.result == "fail")
    ).order_by(Recheck.id, ascending=False).first().run()
    return row["created_at"] if row else defect.created_at


async def defect_rectify(*, actor: Any, defect: Defect, note: str, files: Sequence[StagedFile] = ()) -> Defect:
    """The contractor says it is fixed. At least one after-photo (stage
    `rectified`, taken since the defect was last opened) is required."""
    if defect.status != "open" or defect.notice is None:
        # No notice yet: the inspection is still going on, nothing to rectify.
        _discard(files)
        raise Conflict(_("This cannot be done in the record's current state."))
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            if files:
                await intake.record(subject_type=SUBJECT, subject_id=defect.id, actor=actor, stage="rectified")
            since = await _last_reopened_at(defect)
            has_photo = await Photo.exists().where(
                (Photo.subject_type == SUBJECT) & (Photo.subject_id == defect.id) & (Photo.stage == "rectified")
                & (Photo.created_at >= since)).run()
            if not has_photo:
                raise Invalid(_("A photo of the rectified work is required before it can be marked rectified."),
                              field_errors={"photos": _("Add at least one photo of the rectified work.")})
            await _transition(actor, defect, "rectify", rectified_at=now(), rectify_note=(note or "").strip(),
                              overdue_since=None)
            told = await handoffs.defect_rectified(actor=actor, defect=defect)
    await send_soon(told)
    return defect


async def defect_check_add(*, actor: Any, defect: Defect, result: str, note: str,
                           files: Sequence[StagedFile] = (), client_id: Any = None) -> tuple[DefectCheck, bool]:
    """A check by the project department or the supervisor during rectification."""
    uuid_ = _parse_uuid(client_id)
    check, created = await create_once(
        uuid_, find=lambda known: DefectCheck.objects().get(DefectCheck.client_id == known).run(),
        create=lambda: _check_create(actor=actor, defect=defect, result=result, note=note, files=files,
                                     client_id=uuid_))
    if not created:
        _discard(files)
    return check, created


async def _check_create(*, actor: Any, defect: Defect, result: str, note: str, files: Sequence[StagedFile],
                        client_id: Any) -> tuple[DefectCheck, bool]:
    if result not in ("ok", "not_ok"):
        _discard(files)
        raise _invalid({"result": _("Choose OK or not OK.")})
    if defect.status == "closed":
        _discard(files)
        raise Conflict(_("This cannot be done in the record's current state."))
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            check = DefectCheck(defect=defect.id, by=getattr(actor, "id", None), result=result,
                                note=(note or "").strip(), client_id=client_id)
            await check.save().run()
            await intake.record(subject_type=CHECK_SUBJECT, subject_id=check.id, actor=actor, stage="check")
            await audit_record(actor=actor, object_type="defect", object_id=defect.id, action="check",
                               details={"result": result, "note": check.note})
    return check, True


async def defect_recheck(*, actor: Any, defect: Defect, result: str, note: str) -> Defect:
    """复验: pass closes the defect (and, if it was the last, passes the inspection
    and the unit); fail reopens it with a reason and a new deadline."""
    if result not in ("pass", "fail"):
        raise _invalid({"result": _("Choose pass or fail.")})
    note = (note or "").strip()
    if result == "fail" and not note:
        raise _invalid({"note": _("Give the reason it failed.")})
    async with write_transaction():
        if result == "pass":
            await _transition(actor, defect, "recheck_pass", closed_at=now())
        else:
            await _transition(actor, defect, "recheck_fail", reopen_count=defect.reopen_count + 1,
                              deadline=deadline_for(defect.severity), overdue_since=None)
        await Recheck.insert(Recheck(defect=defect.id, by=getattr(actor, "id", None), result=result,
                                     note=note)).run()
        told = []
        if result == "pass":
            await inspection_pass_if_all_closed(actor=actor, inspection_id=defect.inspection)
        else:
            told = await handoffs.defect_reopened(actor=actor, defect=defect, reason=note)
    await send_soon(told)
    return defect
