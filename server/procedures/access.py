"""Who may see a procedure and who may act on its steps. Every fetch for a caller goes through here.

Procedures are the developer's internal work: every staff role sees them
(through the project, as `server.org.access` decides); contractors and
owners never do, and get a 404 exactly as for a missing record. What a user
may *do* to a step follows the step's own data (its responsible role and
party, its approver role), so a new template needs no new code here.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.org.access import is_staff, project_for
from server.procedures.tables import Procedure, ProcedureStep, StepDocument, StepStatus

VIEW_ROLES = tuple(sorted(roles.STAFF))
START_ROLES = (roles.CS_STAFF, roles.ADMIN)
"""Start a procedure, change due dates, reopen a finished step: the CS center coordinates."""
COORDINATORS = frozenset(START_ROLES)


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


async def procedure_for_user(user: Any, procedure_id: int) -> Procedure:
    procedure = await Procedure.objects().get(Procedure.id == procedure_id).run() if is_staff(user) else None
    if procedure is None:
        raise _not_found()
    await project_for(user, procedure.project)
    return procedure


async def step_for_user(user: Any, step_id: int) -> tuple[ProcedureStep, Procedure]:
    step = await ProcedureStep.objects().get(ProcedureStep.id == step_id).run() if is_staff(user) else None
    if step is None:
        raise _not_found()
    return step, await procedure_for_user(user, step.procedure)


async def document_for_user(user: Any, document_id: int) -> StepDocument:
    document = await StepDocument.objects().get(StepDocument.id == document_id).run() if is_staff(user) else None
    if document is None:
        raise _not_found()
    await step_for_user(user, document.step)
    return document


def is_responsible(user: Any, step: Any) -> bool:
    """The step's own department: its role, and its party when one is set."""
    role, party = _get(step, "responsible_role"), _get(step, "responsible_party")
    return bool(role) and user.role == role and (party is None or user.party == party)


def may_work_on(user: Any, step: Any) -> bool:
    """Upload documents to and complete the step: its department, or the CS center coordinating."""
    return user is not None and (user.role in COORDINATORS or is_responsible(user, step))


def may_decide(user: Any, step: Any) -> bool:
    """Approve or reject: the step's approver role (an administrator may stand in)."""
    return user is not None and bool(_get(step, "needs_approval")) and (
        user.role == _get(step, "approver_role") or user.role == roles.ADMIN)


def may_coordinate(user: Any) -> bool:
    return user is not None and user.role in COORDINATORS


def actions_for(user: Any, step: Any) -> dict[str, bool]:
    """What the page offers this user on this step (the services check again)."""
    status = _get(step, "status")
    return {
        "upload": status == StepStatus.OPEN and may_work_on(user, step),
        "complete": status == StepStatus.OPEN and may_work_on(user, step),
        "decide": status == StepStatus.AWAITING_APPROVAL and may_decide(user, step),
        "due_date": status != StepStatus.DONE and may_coordinate(user),
        "reopen": status == StepStatus.DONE and may_coordinate(user),
        "own": user is not None and is_responsible(user, step),  # its department's work (else coordinating)
    }


def _get(step: Any, name: str) -> Any:
    return step[name] if isinstance(step, dict) else getattr(step, name)
