"""Who must act next after each hand-off, and what they are told.

Each function is called inside the transaction that made the change and
answers the destinations to pass to `services.send_soon` after the commit.

How people are tied to the work: developer-side staff are not tied to
projects (every staff role sees every project, server/org/access.py), so the
people told are the active users of the role that acts next; where the work
names a person or a party, only they are told: the inspector who recorded
the defect (not every inspector), a procedure step's responsible party.
Contractors only ever hear of their own party's work (their notices, in
server/inspections/notices.py). Nobody is told of their own action.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.accounts.tables import User
from server.clock import local_time
from server.i18n import _
from server.notifications.services import Notice, active_users, default_language, notify, notify_party


def _name(actor: Any) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else ""


async def _unit_place(unit_id: int) -> str:
    from server.org.tables import Unit

    unit = await Unit.select(Unit.number, Unit.building.name, Unit.building.project.name).where(
        Unit.id == unit_id).first().run()
    return f"{unit['building.project.name']} {unit['building.name']} {unit['number']}" if unit else ""


# ---------------------------------------------------------------- rectification

async def defect_rectified(*, actor: Any, defect: Any) -> list[int]:
    """The contractor says it is fixed: the supervisor and the project department
    check it; the CS staff and the inspector who recorded it recheck it."""
    from server.inspections.access import CHECKERS
    from server.inspections.default_checklist import CATEGORIES
    from server.inspections.tables import Inspection
    from server.org.tables import Party

    inspection = await Inspection.select(Inspection.inspector).where(Inspection.id == defect.inspection).first().run()
    party = await Party.select(Party.name).where(Party.id == defect.construction_unit).first().run()
    place = await _unit_place(defect.unit)
    stamp = int(defect.rectified_at.timestamp()) if defect.rectified_at else 0
    checkers = await active_users(User.role.is_in(list(CHECKERS)), exclude=actor)
    recheck_where = User.role == roles.CS_STAFF
    if inspection and inspection["inspector"]:
        recheck_where |= (User.id == inspection["inspector"]) & (User.role == roles.INSPECTOR)
    recheckers = await active_users(recheck_where, exclude=actor)
    with default_language():
        what = f"{defect.room} · {CATEGORIES.get(defect.category, defect.category)}"
        body = _("%(party)s rectified %(what)s: %(description)s", party=party["name"] if party else "",
                 what=what, description=defect.description or "")
        to_check = Notice(f"rectified:{defect.id}:{stamp}:check", _("To check: %(place)s", place=place), body,
                          f"/checks/defects/{defect.id}")
        to_recheck = Notice(f"rectified:{defect.id}:{stamp}:recheck", _("To recheck: %(place)s", place=place),
                            body, f"/rechecks#recheck-{defect.id}")
    return await notify(checkers, to_check) + await notify(recheckers, to_recheck)


async def defect_reopened(*, actor: Any, defect: Any, reason: str) -> list[int]:
    """The CS center's recheck failed: the construction unit must rectify again,
    by the new deadline. Told as its notices are: to the party, not a person."""
    from server.inspections.default_checklist import CATEGORIES

    place = await _unit_place(defect.unit)
    with default_language():
        what = f"{defect.room} · {CATEGORIES.get(defect.category, defect.category)}"
        notice = Notice(f"reopened:{defect.id}:{defect.reopen_count}", _("Recheck failed: %(place)s", place=place),
                        _("%(what)s failed the recheck by %(name)s: %(reason)s. Rectify again by %(deadline)s.",
                          what=what, name=_name(actor), reason=reason, deadline=local_time(defect.deadline)),
                        f"/tasks/defects/{defect.id}")
    return await notify_party(defect.construction_unit, notice)


# ---------------------------------------------------------------- delivery

async def announcement_approved(*, actor: Any, announcement: Any) -> list[int]:
    """Approved by the CS center: Brand & PR publish it."""
    users = await active_users(User.role == roles.PR, exclude=actor)
    with default_language():
        notice = Notice(f"announcement:{announcement.id}:approved",
                        _("To publish: %(title)s", title=announcement.title),
                        _("Approved by %(name)s; ready to publish.", name=_name(actor)),
                        f"/delivery/announcements/{announcement.id}")
    return await notify(users, notice)


async def appointment_changed(*, actor: Any, appointment: Any, action: str) -> list[int]:
    """An owner booked, moved or cancelled a delivery time: the CS staff plan the day by it."""
    from server.delivery.tables import DeliverySlot

    slot = await DeliverySlot.select(DeliverySlot.starts_at).where(DeliverySlot.id == appointment.slot).first().run()
    users = await active_users(User.role == roles.CS_STAFF, exclude=actor)
    place = await _unit_place(appointment.unit)
    when = local_time(slot["starts_at"]) if slot else ""
    with default_language():
        titles = {"book": _("Booked: %(place)s", place=place), "cancel": _("Booking cancelled: %(place)s", place=place)}
        body = _("Delivery time %(when)s, by %(name)s.", when=when, name=_name(actor))
        notice = Notice(f"appointment:{appointment.id}:{action}", titles[action], body,
                        f"/delivery/batches/{appointment.batch}/day")
    return await notify(users, notice)


# ---------------------------------------------------------------- procedures

def _department(step: Any) -> Any:
    """The users who carry a step: its role (and party when one is named); the CS center when none is."""
    if not step["responsible_role"]:
        return User.role == roles.CS_STAFF
    where = User.role == step["responsible_role"]
    if step["responsible_party"]:
        where &= User.party == step["responsible_party"]
    return where


department = _department  # who is told of a procedure step's work (also its overdue notice)


async def step_completed(*, actor: Any, step: Any) -> list[int]:
    """A step completed or decided: its approver decides; approved (done), the next
    step's department starts; rejected (open again), its own department redoes it."""
    from server.procedures.tables import Procedure, ProcedureStep, StepApproval, StepCompletion, StepStatus

    procedure = await Procedure.select(Procedure.name).where(Procedure.id == step.procedure).first().run()
    link = f"/procedures/{step.procedure}"
    if step.status == StepStatus.AWAITING_APPROVAL:
        completion = await StepCompletion.select(StepCompletion.id).where(StepCompletion.step == step.id).order_by(
            StepCompletion.id, ascending=False).first().run()
        users = await active_users(User.role == step.approver_role, exclude=actor)
        with default_language():
            notice = Notice(f"step:{step.id}:completion:{completion['id'] if completion else 0}",
                            _("To approve: %(step)s", step=step.title),
                            _("%(procedure)s: step %(position)s done by %(name)s, waiting for your approval.",
                              procedure=procedure["name"], position=step.position, name=_name(actor)),
                            f"{link}#step-{step.id}")
        return await notify(users, notice)
    if step.status == StepStatus.OPEN:
        return await _step_rejected(actor, step, procedure["name"], link)
    if step.status != StepStatus.DONE:
        return []
    following = await ProcedureStep.select().where(
        (ProcedureStep.procedure == step.procedure) & (ProcedureStep.position > step.position)
        & (ProcedureStep.status == StepStatus.OPEN)).order_by(ProcedureStep.position).first().run()
    if following is None:
        return []
    approval = await StepApproval.select(StepApproval.id).where(StepApproval.step == step.id).order_by(
        StepApproval.id, ascending=False).first().run()
    users = await active_users(_department(following), exclude=actor)
    with default_language():
        notice = Notice(f"step:{following['id']}:after:{step.id}:{int(step.done_at.timestamp())}"
                        f":{approval['id'] if approval else 0}",
                        _("Your turn: %(step)s", step=following["title"]),
                        _("%(procedure)s: step %(done)s is done; step %(position)s is next.",
                          procedure=procedure["name"], done=step.position, position=following["position"]),
                        f"{link}#step-{following['id']}")
    return await notify(users, notice)


async def _step_rejected(actor: Any, step: Any, procedure: str, link: str) -> list[int]:
    from server.procedures.tables import StepApproval

    approval = await StepApproval.select(StepApproval.id, StepApproval.decision, StepApproval.reason).where(
        StepApproval.step == step.id).order_by(StepApproval.id, ascending=False).first().run()
    if approval is None or approval["decision"] != "rejected":
        return []
    department = {"responsible_role": step.responsible_role, "responsible_party": step.responsible_party}
    users = await active_users(_department(department), exclude=actor)
    with default_language():
        notice = Notice(f"step:{step.id}:rejected:{approval['id']}", _("Sent back: %(step)s", step=step.title),
                        _("%(procedure)s: step %(position)s was not approved by %(name)s: %(reason)s",
                          procedure=procedure, position=step.position, name=_name(actor), reason=approval["reason"]),
                        f"{link}#step-{step.id}")
    return await notify(users, notice)
