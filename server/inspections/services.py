"""Inspections: plan, start, attendees, checklist results, complete (-> notices)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import lock_row, write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _, ngettext
from server.inspections.access import COMPLETION_OVERRIDERS
from server.inspections.checklists import checklist_of, template_for_unit, unchecked_in
from server.inspections.states import INSPECTION_TRANSITIONS, next_state
from server.inspections.tables import (
    Defect,
    Inspection,
    InspectionAttendee,
    InspectionPlan,
)
from server.once import create_once
from server.org.tables import Building, Party, Unit, UnitStatus

ATTENDEE_KINDS = ("project_department", "supervision_unit", "construction_unit")


def _conflict() -> Conflict:
    return Conflict(_("This cannot be done in the record's current state."))


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _parse_uuid(value: Any, field: str = "client_id") -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={field: _("This is not a valid identifier.")}) from None


async def _set_unit_status(actor: Any, unit_id: int, status: str) -> None:
    row = await Unit.select(Unit.status).where(Unit.id == unit_id).first().run()
    if row and row["status"] != status:
        await Unit.update({Unit.status: status}).where(Unit.id == unit_id).run()
        await audit_record(actor=actor, object_type="unit", object_id=unit_id, action="status",
                           from_state=row["status"], to_state=status)


async def _transition(actor: Any, inspection: Inspection, action: str, **changes: Any) -> Inspection:
    target = next_state(INSPECTION_TRANSITIONS, action, inspection.status)
    await compare_and_set(inspection, target, actor=actor, object_type="inspection", action=action,
                          conflict_message=_conflict().message, **changes)
    return inspection


# ---------------------------------------------------------------- plans

async def plan_create(*, actor: Any, project_id: int, name: str, starts_on: dt.date, ends_on: dt.date) -> InspectionPlan:
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The end date must not be before the start date.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    plan = InspectionPlan(project=project_id, name=name.strip()[:100], starts_on=starts_on, ends_on=ends_on,
                          created_by=getattr(actor, "id", None))
    async with write_transaction():
        await plan.save().run()
        await audit_record(actor=actor, object_type="inspection_plan", object_id=plan.id, action="create")
    return plan


# ---------------------------------------------------------------- inspections

async def inspection_create(*, actor: Any, unit_id: int, inspector_id: int | None = None,
                            scheduled_for: dt.date | None = None, plan_id: int | None = None,
                            client_id: Any = None, kind: str = "acceptance") -> tuple[Inspection, bool]:
    """A planned inspection of a unit; (inspection, created). A repeat client_id answers the first."""
    uuid_ = _parse_uuid(client_id)
    return await create_once(
        uuid_, find=lambda known: Inspection.objects().get(Inspection.client_id == known).run(),
        create=lambda: _inspection_create(actor=actor, unit_id=unit_id, inspector_id=inspector_id,
                                          scheduled_for=scheduled_for, plan_id=plan_id, client_id=uuid_, kind=kind))


async def _inspection_create(*, actor: Any, unit_id: int, inspector_id: int | None, scheduled_for: dt.date | None,
                             plan_id: int | None, client_id: uuid.UUID | None, kind: str) -> tuple[Inspection, bool]:
    async with write_transaction():
        unit = await Unit.objects().get(Unit.id == unit_id).run()
        if unit is None:
            raise Invalid(_("Please correct the marked fields."), field_errors={"unit_id": _("No such unit.")})
        if plan_id is not None and not await InspectionPlan.exists().where(
                (InspectionPlan.id == plan_id) & InspectionPlan.project.is_in(
                    Building.select(Building.project).where(Building.id == unit.building))).run():
            # A plan's schedule counts its units by its project's buildings (plans.plan_schedule).
            raise Invalid(_("Please correct the marked fields."),
                          field_errors={"plan_id": _("Choose a plan of this unit's project.")})
        await inspector_check(inspector_id)
        earlier = await Inspection.exists().where(counts_as_earlier(unit_id)).run()
        template = await template_for_unit(unit)
        inspection = Inspection(unit=unit_id, inspector=inspector_id, scheduled_for=scheduled_for, plan=plan_id,
                                client_id=client_id, is_first=not earlier and kind == "acceptance", kind=kind,
                                template=template.id if template else None)
        await inspection.save().run()
        await audit_record(actor=actor, object_type="inspection", object_id=inspection.id, action="create",
                           to_state="planned", details={"unit_id": unit_id})
    return inspection, True


async def inspector_check(inspector_id: int | None) -> None:
    """An inspection is assigned to an inspector or a CS staff member (or to nobody yet)."""
    if inspector_id is None:
        return
    from server.accounts.tables import User

    inspector = await User.objects().get(User.id == inspector_id).run()
    if inspector is None or inspector.role not in ("inspector", "cs_staff"):
        raise Invalid(_("Please correct the marked fields."), field_errors={"inspector_id": _("Choose an inspector.")})


def counts_as_earlier(unit_id: int) -> Any:
    """Acceptance inspections of the unit that make a new one a repeat: any not cancelled
    (a planned inspection called off never took place; the owner's walkthrough is no acceptance)."""
    return ((Inspection.unit == unit_id) & (Inspection.kind == "acceptance")
            & (Inspection.status != "cancelled"))


async def inspection_start(*, actor: Any, inspection: Inspection) -> Inspection:
    """Starts it; `is_first` is settled now, when it takes place: the first performed acceptance
    inspection of the unit is the first, whatever was planned (and cancelled) before it."""
    async with write_transaction():
        first = inspection.kind == "acceptance" and not await Inspection.exists().where(
            (Inspection.unit == inspection.unit) & (Inspection.kind == "acceptance")
            & (Inspection.id != inspection.id) & Inspection.started_at.is_not_null()).run()
        await _transition(actor, inspection, "start", started_at=now(), is_first=first)
        if inspection.kind == "acceptance":
            await _set_unit_status(actor, inspection.unit, UnitStatus.INSPECTING)
    return inspection


async def attendee_add(*, actor: Any, inspection: Inspection, kind: str, party_id: int | None,
                       person: str) -> InspectionAttendee:
    errors = {}
    if kind not in ATTENDEE_KINDS:
        errors["kind"] = _("Choose who attended.")
    if party_id is not None and not await Party.exists().where(Party.id == party_id).run():
        errors["party_id"] = _("No such party.")
    if not (person or "").strip():
        errors["person"] = _("This field is required.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    if inspection.status not in ("planned", "in_progress"):
        raise _conflict()
    attendee = InspectionAttendee(inspection=inspection.id, kind=kind, party=party_id, person=person.strip()[:100])
    async with write_transaction():
        await attendee.save().run()
        await audit_record(actor=actor, object_type="inspection", object_id=inspection.id, action="attendee_add",
                           details={"kind": kind, "party_id": party_id, "person": attendee.person})
    return attendee


OVERRIDE_REASON_MAX = 500


async def _may_complete(actor: Any, inspection: Inspection, override_reason: str | None) -> dict | None:
    """None when every checklist item is checked (passed, not applicable or
    with a defect), or the override to audit when someone with the right to
    finish anyway gave a reason; otherwise refused with what is left. A
    delivery walkthrough is not held to the checklist: the unit passed its
    acceptance, and the walk records what the owner points out."""
    if inspection.kind != "acceptance":
        return None
    left = unchecked_in(await checklist_of(inspection))
    if not left:
        return None
    if override_reason is None:
        count = sum(len(room["items"]) for room in left)
        raise Conflict(ngettext("%(num)s checklist item is not checked yet: check it before finishing.",
                                "%(num)s checklist items are not checked yet: check them before finishing.",
                                count), extra={"unchecked": left})
    if getattr(actor, "role", None) not in COMPLETION_OVERRIDERS:
        raise Forbidden(_("Only CS staff or an administrator may finish an inspection that is not fully checked."))
    reason = override_reason.strip()
    problem = (_("Say why the inspection is finished unchecked.") if not reason else
               _("At most %(max)s characters.", max=OVERRIDE_REASON_MAX) if len(reason) > OVERRIDE_REASON_MAX else None)
    if problem:
        raise Invalid(_("Please correct the marked fields."), field_errors={"override_reason": problem},
                      extra={"unchecked": left})
    return {"reason": reason, "unchecked": [i["id"] for room in left for i in room["items"]]}


async def inspection_complete(*, actor: Any, inspection: Inspection,
                              override_reason: str | None = None) -> tuple[Inspection, list[int]]:
    """Finish: with open defects -> rectifying and one notice per construction
    unit (dispatched by a worker); with none -> passed (a first-time pass when first).
    An acceptance inspection finishes only when its checklist is fully
    checked, or overridden with a reason (`_may_complete`), which is audited."""
    from server.inspections.notices import notices_create, notices_dispatch

    if inspection.status != "in_progress":
        raise _conflict()
    async with write_transaction():
        await lock_row(Inspection, inspection.id)  # no mark or undo between the check and the finish
        override = await _may_complete(actor, inspection, override_reason)
        if override is not None:
            await audit_record(actor=actor, object_type="inspection", object_id=inspection.id,
                               action="complete_override", details={**override, "count": len(override["unchecked"])})
        open_count = await Defect.count().where(
            (Defect.inspection == inspection.id) & (Defect.status != "closed")).run()
        if open_count:
            await _transition(actor, inspection, "complete_with_defects", completed_at=now())
            notice_ids = await notices_create(actor=actor, inspection=inspection)
            if inspection.kind == "acceptance":  # a walkthrough leaves a delivered unit passed
                await _set_unit_status(actor, inspection.unit, UnitStatus.RECTIFYING)
        else:
            stamp = now()
            await _transition(actor, inspection, "complete_clean", completed_at=stamp, passed_at=stamp)
            notice_ids = []
            if inspection.kind == "acceptance":
                await _set_unit_status(actor, inspection.unit, UnitStatus.PASSED)
    await notices_dispatch(notice_ids)
    return inspection, notice_ids


async def inspection_pass_if_all_closed(*, actor: Any, inspection_id: int) -> bool:
    """Called inside the recheck's transaction: the last closed defect passes the inspection and unit."""
    inspection = await Inspection.objects().get(Inspection.id == inspection_id).run()
    if inspection is None or inspection.status != "rectifying":
        return False
    remaining = await Defect.count().where((Defect.inspection == inspection_id) & (Defect.status != "closed")).run()
    if remaining:
        return False
    await _transition(actor, inspection, "all_closed", passed_at=now())
    if inspection.kind == "acceptance":
        await _set_unit_status(actor, inspection.unit, UnitStatus.PASSED)
    return True
