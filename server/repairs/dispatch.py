"""Dispatch (regulation 1.4): the CS center gives the job to a repair unit (a
party of kind `repair_unit`, or the construction unit that answers for that
trade in that building, offered as the suggestion), agrees a visit time with
the owner, and the unit starts the repair.

The unit hears of the job as a contractor hears of a rectification notice:
one inbox message for the party and its webhook or email (notify_party),
carrying a signed, expiring, password-free link to that job only
(`/rj/{token}`). The link names the assignment: once the job goes to another
unit, the old link opens nothing. Knows nothing of HTTP.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server import signing
from server.accounts import roles
from server.audit.services import audit_record
from server.clock import CHINA, local_time
from server.db import write_transaction
from server.errors import Conflict, Forbidden
from server.i18n import _
from server.inspections.trades import trades_of
from server.notifications.handoffs import _unit_place
from server.notifications.services import Notice, default_language, notify_party, send_soon
from server.once import create_once
from server.org.tables import Party, Unit
from server.repairs import states, warranty
from server.repairs.job_tables import RepairAssignment
from server.repairs.services import _invalid, _parse_uuid, repair_transition
from server.repairs.survey import current_plan
from server.repairs.tables import RepairRequest

LINK_PURPOSE = "repair_job"
LINK_DAYS = 30
UNIT_KINDS = ("repair_unit", "construction_unit")
DISPATCHERS = states.TRANSITIONS["assign"].roles
TRADES = {
    warranty.WATERPROOFING: ("waterproofing",),
    warranty.PIPES_ELECTRICAL: ("plumbing", "electrical"),
    warranty.DECORATION: ("wall", "floor", "ceiling", "door_window"),
    warranty.HEATING: ("equipment", "plumbing"),
    warranty.COOLING: ("equipment",),
    warranty.STRUCTURE: ("wall",),
}
"""A repair component → the inspection trade categories (server/inspections) that answer for it, in order."""


@dataclass(frozen=True)
class LinkActor:
    """Who acts through a job link: the assigned party, without a user account."""

    party: int
    display_name: str
    role: str = roles.CONTRACTOR
    id: None = None


def job_link_token(assignment: RepairAssignment) -> str:
    return signing.sign(LINK_PURPOSE, {"a": assignment.id, "r": assignment.repair, "p": assignment.party},
                        LINK_DAYS * 86400)


async def assignment_from_token(token: str) -> RepairAssignment | None:
    """The standing assignment a link names; None when forged, altered, expired or superseded."""
    data = signing.unsign(LINK_PURPOSE, token)
    if not data or not all(isinstance(data.get(k), int) for k in ("a", "r", "p")):
        return None
    return await RepairAssignment.objects().where(
        (RepairAssignment.id == data["a"]) & (RepairAssignment.repair == data["r"])
        & (RepairAssignment.party == data["p"]) & (RepairAssignment.superseded == False)).first().run()  # noqa: E712


async def current_assignment(repair_id: int) -> RepairAssignment | None:
    return await RepairAssignment.objects().where(
        (RepairAssignment.repair == repair_id) & (RepairAssignment.superseded == False)).first().run()  # noqa: E712


async def suggested_party(repair: RepairRequest) -> int | None:
    """The construction unit assigned to the component's trade in the repair's building, if any."""
    unit = await Unit.select(Unit.building).where(Unit.id == repair.unit).first().run()
    if unit is None:
        return None
    trades = await trades_of(unit["building"])
    for category in TRADES.get(repair.component, ()):
        if category in trades:
            return trades[category]
    return None


async def unit_choices() -> list[dict]:
    """Every repair unit and construction unit, repair units first (one query)."""
    rows = await Party.select(Party.id, Party.name, Party.kind).where(Party.kind.is_in(list(UNIT_KINDS))).run()
    return sorted(rows, key=lambda r: (UNIT_KINDS.index(r["kind"]), r["name"]))


def parse_visit(value: Any, errors: dict[str, str]) -> dt.datetime | None:
    """An agreed visit time, China time `YYYY-MM-DDTHH:MM` (or with a space); blank is none."""
    text = str(value or "").strip().replace(" ", "T")
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        errors["visit_at"] = _("Enter a time such as 2025-03-01 09:30.")
        return None
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment


async def repair_assign(*, actor: Any, repair: RepairRequest, fields: dict[str, Any]) -> tuple[RepairAssignment, bool]:
    """Give the job to `party_id` (a repair or construction unit) with an optional agreed `visit_at` and
    `visit_note`; from `triaged`, or from `planned` once the plan is approved. The party is told."""
    client_id = _parse_uuid(fields.get("client_id"))
    assignment, created = await create_once(
        client_id, find=lambda known: RepairAssignment.objects().get(RepairAssignment.client_id == known).run(),
        create=lambda: _assign(actor, repair, fields, client_id))
    return assignment, created


async def _assign(actor: Any, repair: RepairRequest, fields: dict[str, Any],
                  client_id: Any) -> tuple[RepairAssignment, bool]:
    if actor.role not in DISPATCHERS:
        raise Forbidden(_("You do not have permission to do this."))
    if states.target_of("assign", repair.status) is None:
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    if repair.status == states.PLANNED:
        plan = await current_plan(repair.id)
        if plan is None or plan.decision != "approved":
            raise Conflict(_("Approve the repair plan before choosing the repair unit."))
    errors: dict[str, str] = {}
    party_text = str(fields.get("party_id") or "").strip()
    party = await Party.select(Party.id, Party.name).where(
        (Party.id == int(party_text)) & Party.kind.is_in(list(UNIT_KINDS))).first().run() \
        if party_text.isdigit() else None
    if party is None:
        errors["party_id"] = _("Choose a repair unit.")
    visit_at = parse_visit(fields.get("visit_at"), errors)
    note = str(fields.get("visit_note") or "").strip()
    if len(note) > 500:
        errors["visit_note"] = _("At most %(n)s characters.", n=500)
    if errors:
        raise _invalid(errors)
    suggested = await suggested_party(repair)
    async with write_transaction():
        await repair_transition(actor=actor, repair=repair, action="assign")
        await RepairAssignment.update({RepairAssignment.superseded: True}).where(
            RepairAssignment.repair == repair.id).run()
        assignment = RepairAssignment(client_id=client_id, repair=repair.id, party=party["id"],
                                      suggested=party["id"] == suggested, visit_at=visit_at, visit_note=note,
                                      created_by=getattr(actor, "id", None))
        await assignment.save().run()
        await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="dispatch",
                           details={"assignment_id": assignment.id, "party_id": party["id"],
                                    "suggested": assignment.suggested,
                                    "visit_at": visit_at.isoformat() if visit_at else None})
        destinations = await _tell(repair, assignment)
    await send_soon(destinations)
    return assignment, True


async def _tell(repair: RepairRequest, assignment: RepairAssignment) -> list[int]:
    place = await _unit_place(repair.unit)
    with default_language():
        component = warranty.COMPONENT_LABELS.get(repair.component, repair.component)
        body = _("Repair job: %(component)s at %(place)s: %(description)s", component=component, place=place,
                 description=repair.description)
        if assignment.visit_at:
            body += " " + _("Visit agreed with the owner: %(when)s.", when=local_time(assignment.visit_at))
        notice = Notice(f"repair_job:{assignment.id}", _("New repair job: %(place)s", place=place), body,
                        f"/rj/{job_link_token(assignment)}")
    return await notify_party(assignment.party, notice)


async def visit_set(*, actor: Any, repair: RepairRequest, visit_at: Any, visit_note: Any = "") -> RepairAssignment:
    """Record (or change) the visit time agreed with the owner, while the job is assigned or being repaired."""
    if actor.role not in DISPATCHERS:
        raise Forbidden(_("You do not have permission to do this."))
    errors: dict[str, str] = {}
    when = parse_visit(visit_at, errors)
    if when is None and "visit_at" not in errors:
        errors["visit_at"] = _("Enter a time such as 2025-03-01 09:30.")
    note = str(visit_note or "").strip()
    if len(note) > 500:
        errors["visit_note"] = _("At most %(n)s characters.", n=500)
    assignment = await current_assignment(repair.id)
    if repair.status not in (states.ASSIGNED, states.IN_REPAIR) or assignment is None:
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    if errors:
        raise _invalid(errors)
    async with write_transaction():
        await RepairAssignment.update({RepairAssignment.visit_at: when, RepairAssignment.visit_note: note}).where(
            RepairAssignment.id == assignment.id).run()
        await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="visit_time",
                           details={"assignment_id": assignment.id, "from": assignment.visit_at.isoformat()
                                    if assignment.visit_at else None, "to": when.isoformat()})
    assignment.visit_at, assignment.visit_note = when, note
    return assignment


async def repair_start(*, actor: Any, repair: RepairRequest) -> RepairRequest:
    """The assigned unit (or CS for it) starts the repair. The caller has checked the job is the actor's."""
    if actor.role == roles.CONTRACTOR:
        assignment = await current_assignment(repair.id)
        if assignment is None or assignment.party != getattr(actor, "party", None):
            raise Forbidden(_("You do not have permission to do this."))
    return await repair_transition(actor=actor, repair=repair, action="start")

