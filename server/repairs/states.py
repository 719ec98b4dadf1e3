"""The life of a repair request (issue 11), as one transition table.

    reported → triaged → (surveying → planned →) assigned → in_repair → completed
             → signed_off → visited → closed;  a refused sign-off goes back to
    in_repair; a dissatisfied return visit (or a closed repair that comes back)
    is reopened and triaged again.

Every move goes through `services.repair_transition` (compare-and-set on the
status read, audited in the same transaction); a move this table does not
allow is a 409 and changes nothing. From `planned`, `assign` also needs the
CS center's approval of the plan (survey.py); `return_plan` sends it back to
the quality center with a reason. Which of these moves have pages and API
endpoints today is in the README ("Repairs (regulation 1)").
"""
from __future__ import annotations

from dataclasses import dataclass

from server.accounts import roles
from server.i18n import lazy_gettext as _l

REPORTED = "reported"
TRIAGED = "triaged"
SURVEYING = "surveying"
PLANNED = "planned"
ASSIGNED = "assigned"
IN_REPAIR = "in_repair"
COMPLETED = "completed"
SIGNED_OFF = "signed_off"
VISITED = "visited"
CLOSED = "closed"
REOPENED = "reopened"

STATUS_LABELS = {
    REPORTED: _l("Reported"),
    TRIAGED: _l("Triaged"),
    SURVEYING: _l("Site survey under way"),
    PLANNED: _l("Repair plan issued"),
    ASSIGNED: _l("Assigned to a repair unit"),
    IN_REPAIR: _l("Being repaired"),
    COMPLETED: _l("Repair done, awaiting the owner's signature"),
    SIGNED_OFF: _l("Signed off by the owner"),
    VISITED: _l("Return visit made"),
    CLOSED: _l("Closed"),
    REOPENED: _l("Reopened for repair"),
}
STATUSES = tuple(STATUS_LABELS)
OPEN = tuple(s for s in STATUSES if s != CLOSED)


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]


CS = frozenset({roles.CS_STAFF, roles.ADMIN})
TRANSITIONS: dict[str, Move] = {
    "triage": Move((REPORTED, REOPENED), TRIAGED, CS),
    "survey": Move((TRIAGED,), SURVEYING, CS),
    "plan": Move((SURVEYING,), PLANNED, frozenset({roles.QUALITY_CENTER, roles.CS_STAFF, roles.ADMIN})),
    "return_plan": Move((PLANNED,), SURVEYING, CS),
    "assign": Move((TRIAGED, PLANNED), ASSIGNED, CS),
    "start": Move((ASSIGNED,), IN_REPAIR, frozenset({roles.CONTRACTOR, roles.CS_STAFF, roles.ADMIN})),
    "complete": Move((IN_REPAIR,), COMPLETED, frozenset({roles.CONTRACTOR, roles.CS_STAFF, roles.ADMIN})),
    "sign_off": Move((COMPLETED,), SIGNED_OFF, frozenset({roles.OWNER, roles.CS_STAFF, roles.CONTRACTOR})),
    "refuse": Move((COMPLETED,), IN_REPAIR, frozenset({roles.OWNER, roles.CS_STAFF, roles.CONTRACTOR})),
    "visit": Move((SIGNED_OFF,), VISITED, CS),
    "close": Move((VISITED,), CLOSED, CS),
    "reopen": Move((VISITED, CLOSED), REOPENED, CS),
}


def target_of(action: str, status: str) -> str | None:
    """The status `action` moves a repair in `status` to; None when the table does not allow it."""
    move = TRANSITIONS.get(action)
    return move.target if move is not None and status in move.sources else None


URGENCIES = {
    "emergency": _l("Emergency"),
    "normal": _l("Normal"),
    "scheduled": _l("Scheduled"),
}
CHANNELS = {
    "owner_app": _l("Owner's phone"),
    "phone": _l("Phone call"),
    "walk_in": _l("Walk-in"),
    "paper": _l("Paper form"),
}
STAFF_CHANNELS = ("phone", "walk_in", "paper")
