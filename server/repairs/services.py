"""Repairs (regulation 1): recording a delivery day, taking a repair request,
moving it through its states. Knows nothing of HTTP.

A request with photos follows the photo pipeline's pattern (server/photos/
services.py): the files are checked first, then the request, its photos and
their audit lines commit in one transaction, then processing is queued. A
repeat `client_id` answers the request already taken (even when the two tries
race: server/once.py) and stores nothing.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Sequence

from server import clock
from server.accounts import roles
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.once import create_once, is_unique_violation
from server.photos.services import PhotoIntake, photo_fields
from server.photos.staged import StagedFile
from server.repairs import selectors, states, warranty
from server.repairs.tables import RecordedDelivery, RepairRequest, RepairSettings

MAX_DESCRIPTION = 2000
MAX_LOCATION = 50
MAX_PREFERRED = 500


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def _discard(files: Sequence[StagedFile]) -> None:
    for staged in files:
        staged.path.unlink(missing_ok=True)


def parse_day(value: Any, field: str, errors: dict[str, str], *, required: bool) -> dt.date | None:
    """A YYYY-MM-DD day, never after today in China; problems go into `errors`."""
    text = str(value or "").strip()
    if not text:
        if required:
            errors[field] = _("Enter a date such as 2025-03-01.")
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = _("Enter a date such as 2025-03-01.")
        return None
    if day > clock.today():
        errors[field] = _("This day is in the future.")
        return None
    return day


def _parse_uuid(value: Any, field: str = "client_id") -> uuid.UUID | None:
    text = str(value or "").strip()
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        raise _invalid({field: _("This is not a valid identifier.")}) from None


# ---------------------------------------------------------------- delivery day

async def delivery_record(*, actor: Any, unit_id: int, delivered_on: Any) -> RecordedDelivery:
    """Record the delivery day of a home delivered before this software (a legal record, written once).
    409 when the home already has a delivery day (from the app's own confirmation or an earlier record)."""
    errors: dict[str, str] = {}
    day = parse_day(delivered_on, "delivered_on", errors, required=True)
    if errors:
        raise _invalid(errors)
    if await selectors.delivery_day(unit_id) is not None:
        raise Conflict(_("This home already has a delivery day."))
    record = RecordedDelivery(unit=unit_id, delivered_on=day, created_by=getattr(actor, "id", None))
    try:
        async with write_transaction():
            await record.save().run()
            await audit_record(actor=actor, object_type="unit", object_id=unit_id, action="delivered_record",
                               details={"delivered_on": day.isoformat(), "recorded_delivery_id": record.id})
    except Exception as exc:
        if is_unique_violation(exc):  # another try recorded it first
            raise Conflict(_("This home already has a delivery day.")) from None
        raise
    return record


# ---------------------------------------------------------------- reporting

async def repair_report(*, actor: Any, unit_id: int, fields: dict[str, Any],
                        files: Sequence[StagedFile] = ()) -> tuple[RepairRequest, bool]:
    """Take a repair request for a home (the caller has checked the home is theirs to report for);
    (request, created). `fields`: client_id, component, location, description, reported_on
    (staff only), channel (staff only), preferred_times, photo_client_ids, photo_captured_ats."""
    try:
        client_id = _parse_uuid(fields.get("client_id"))
    except Invalid:
        _discard(files)
        raise
    repair, created = await create_once(
        client_id, find=lambda known: RepairRequest.objects().get(RepairRequest.client_id == known).run(),
        create=lambda: _report(actor=actor, unit_id=unit_id, fields=fields, files=files, client_id=client_id))
    if not created:
        _discard(files)
    return repair, created


def _checked(actor: Any, fields: dict[str, Any], files: Sequence[StagedFile]) -> tuple[dict[str, Any], dict]:
    errors: dict[str, str] = {}
    component = str(fields.get("component") or "").strip()
    if component not in warranty.COMPONENTS:
        errors["component"] = _("Choose what needs repairing.")
    description = str(fields.get("description") or "").strip()
    if not description:
        errors["description"] = _("Describe the problem.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)s characters.", n=MAX_DESCRIPTION)
    location = str(fields.get("location") or "").strip()
    if len(location) > MAX_LOCATION:
        errors["location"] = _("At most %(n)s characters.", n=MAX_LOCATION)
    preferred = str(fields.get("preferred_times") or "").strip()
    if len(preferred) > MAX_PREFERRED:
        errors["preferred_times"] = _("At most %(n)s characters.", n=MAX_PREFERRED)
    staff = actor.role == roles.CS_STAFF
    reported_on = clock.today()
    if fields.get("reported_on") not in (None, ""):
        if not staff:
            errors["reported_on"] = _("Only the CS center enters the day a request was reported.")
        else:
            reported_on = parse_day(fields.get("reported_on"), "reported_on", errors, required=True)
    channel = str(fields.get("channel") or "").strip() if staff else "owner_app"
    if staff and not channel:
        channel = "phone"
    if staff and channel not in states.STAFF_CHANNELS:
        errors["channel"] = _("Choose how the request came in.")
    photo_client_ids, photo_times = photo_fields(fields.get("photo_client_ids"), fields.get("photo_captured_ats"),
                                                 errors)
    clean = {"component": component, "description": description, "location": location,
             "preferred_times": preferred, "reported_on": reported_on, "channel": channel,
             "photo_client_ids": photo_client_ids, "photo_times": photo_times}
    return clean, errors


async def _report(*, actor: Any, unit_id: int, fields: dict[str, Any], files: Sequence[StagedFile],
                  client_id: uuid.UUID | None) -> tuple[RepairRequest, bool]:
    clean, errors = _checked(actor, fields, files)
    if errors:
        _discard(files)
        raise _invalid(errors)
    async with PhotoIntake(files) as intake:
        async with write_transaction():
            repair = RepairRequest(
                client_id=client_id, unit=unit_id, component=clean["component"], location=clean["location"],
                description=clean["description"], reported_on=clean["reported_on"],
                reported_by=getattr(actor, "id", None), channel=clean["channel"],
                preferred_times=clean["preferred_times"], status=states.REPORTED)
            await repair.save().run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="report",
                               to_state=states.REPORTED,
                               details={"unit_id": unit_id, "component": clean["component"],
                                        "channel": clean["channel"], "reported_on": clean["reported_on"].isoformat()})
            await intake.record(subject_type="repair", subject_id=repair.id, actor=actor, stage="reported",
                                client_ids=clean["photo_client_ids"], captured_ats=clean["photo_times"])
    return repair, True


# ---------------------------------------------------------------- moving

async def repair_transition(*, actor: Any, repair: RepairRequest, action: str, **changes: Any) -> RepairRequest:
    """Move a repair by `action` of states.TRANSITIONS: 403 for a role the move is not for, 409 for a
    move the table does not allow from its status (or when another change came first); audited."""
    move = states.TRANSITIONS.get(action)
    if move is None or actor.role not in move.roles:
        raise Forbidden(_("You do not have permission to do this."))
    target = states.target_of(action, repair.status)
    if target is None:
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    if action == "start":  # a paid repair waits for the owner's accepted quote (quotes.py)
        from server.repairs.quotes import start_allowed

        await start_allowed(repair)
    async with write_transaction():
        await compare_and_set(repair, target, actor=actor, object_type="repair", action=action,
                              conflict_message=_("This repair was changed by someone else. Please reload."),
                              updated_at=dt.datetime.now(dt.timezone.utc), **changes)
    return repair


async def repair_triage(*, actor: Any, repair: RepairRequest, component: Any, urgency: Any,
                        survey_needed: Any) -> RepairRequest:
    """CS triage: the component (may correct the owner's), the urgency, whether a site survey is needed."""
    errors: dict[str, str] = {}
    component = str(component or "").strip()
    if component not in warranty.COMPONENTS:
        errors["component"] = _("Choose what needs repairing.")
    urgency = str(urgency or "").strip()
    if urgency not in states.URGENCIES:
        errors["urgency"] = _("Choose how urgent it is.")
    if isinstance(survey_needed, str):
        survey_needed = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False,
                         "no": False, "": False}.get(survey_needed.strip().lower())
    if survey_needed not in (True, False):
        errors["survey_needed"] = _("Say whether a site survey is needed.")
    if errors:
        raise _invalid(errors)
    return await repair_transition(actor=actor, repair=repair, action="triage", component=component,
                                   urgency=urgency, survey_needed=survey_needed)


# ---------------------------------------------------------------- a project's warranty terms

SETTING_YEARS = {"structure_years": warranty.STRUCTURE, "waterproofing_years": warranty.WATERPROOFING,
                 "pipes_electrical_years": warranty.PIPES_ELECTRICAL, "decoration_years": warranty.DECORATION}
SETTING_SEASONS = {"heating_seasons": warranty.HEATING, "cooling_seasons": warranty.COOLING}
SETTING_DAYS = ("heating_start", "heating_end", "cooling_start", "cooling_end")


def settings_of(row: RepairSettings | None) -> dict[str, Any]:
    """A project's settings as the API shows them (the defaults where it set none)."""
    from server.repairs.sla import FIELDS as SLA_FIELDS

    row = row or RepairSettings()
    values = {name: getattr(row, name) for name in (*SETTING_YEARS, *SETTING_SEASONS, *SETTING_DAYS, "return_visit_days")}
    return {**values, **{name: f"{getattr(row, name):.2f}" for name in SLA_FIELDS}}  # hours: "0.25", "72.00"


async def repair_settings_save(*, actor: Any, project_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Set a project's warranty periods (longer than the statutory ones, never shorter), its heating and
    cooling seasons (MM-DD) and the days before the return visit. Fields not given keep their value."""
    current = await RepairSettings.objects().get(RepairSettings.project == project_id).run()
    values = {**settings_of(current), **{k: v for k, v in fields.items() if k in settings_of(None)}}
    problems = warranty.terms_problems({SETTING_YEARS[k]: values[k] for k in SETTING_YEARS},
                                       {SETTING_SEASONS[k]: values[k] for k in SETTING_SEASONS})
    errors = {name: problems[code] for name, code in {**SETTING_YEARS, **SETTING_SEASONS}.items() if code in problems}
    for season in ("heating", "cooling"):
        try:
            warranty.Season.parse(values[f"{season}_start"], values[f"{season}_end"])
        except (TypeError, ValueError):
            errors[f"{season}_start"] = _("Enter the season's first and last day as MM-DD, such as 11-15 and 03-15.")
    try:
        visit_days = int(str(values["return_visit_days"]).strip())
    except (TypeError, ValueError):
        visit_days = 0
    if not 1 <= visit_days <= 60:
        errors["return_visit_days"] = _("Enter whole days from 1 to 60.")
    from server.repairs.sla import hours_problems

    sla_hours, sla_errors = hours_problems(values)  # SLA hours per urgency: more than 0
    errors.update(sla_errors)
    if errors:
        raise _invalid(errors)
    clean = {**{k: int(str(values[k]).strip()) for k in (*SETTING_YEARS, *SETTING_SEASONS)},
             **{k: str(values[k]).strip() for k in SETTING_DAYS}, "return_visit_days": visit_days, **sla_hours}
    before = settings_of(current) if current is not None else None
    async with write_transaction():
        if current is None:
            current = RepairSettings(project=project_id, updated_by=getattr(actor, "id", None), **clean)
            await current.save().run()
        else:
            await RepairSettings.update({**{getattr(RepairSettings, k): v for k, v in clean.items()},
                                         RepairSettings.updated_by: getattr(actor, "id", None),
                                         RepairSettings.updated_at: dt.datetime.now(dt.timezone.utc)}).where(
                RepairSettings.id == current.id).run()
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="repair_settings",
                           details={"before": before, "after": {k: str(v) for k, v in clean.items()}})
    return {**clean, **{k: f"{v:.2f}" for k, v in sla_hours.items()}}
