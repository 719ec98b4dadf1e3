"""The life of a customer inquiry (regulation 5), as one transition table.

    open → answered                          (answered at once, from the knowledge base or by CS)
    open → escalated → drafted → approved → closed
                          ↘ returned ↗        (the CS manager sends a draft back with a reason)

`escalated`: a work contact sheet (工作联系单) went to one or more departments,
each replying by its deadline; `drafted`: CS wrote the answer from the replies
(only once every department has replied); `approved`: the CS manager (an
administrator) approved it, staff phone the customer; `closed`: the customer
was reached on the phone and the call recorded (a call that did not reach them
is recorded too and leaves the inquiry approved, to call again).

A department's part of a sheet moves waiting → replied. Every move is a
compare-and-set on the status read, audited in the same transaction
(server/audit/transitions.py); a move this table does not allow is a 409 and
changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from server.accounts import roles
from server.i18n import lazy_gettext as _l

OPEN = "open"
ANSWERED = "answered"
ESCALATED = "escalated"
DRAFTED = "drafted"
RETURNED = "returned"
APPROVED = "approved"
CLOSED = "closed"

STATUS_LABELS = {
    OPEN: _l("Waiting for an answer"),
    ANSWERED: _l("Answered"),
    ESCALATED: _l("Sent to departments"),
    DRAFTED: _l("Answer awaiting approval"),
    RETURNED: _l("Answer sent back"),
    APPROVED: _l("Approved, to call back"),
    CLOSED: _l("Called back and closed"),
}
OWNER_LABELS = {ESCALATED: _l("Customer service is looking into it"), DRAFTED: _l("Customer service is looking into it"),
                RETURNED: _l("Customer service is looking into it")}
"""How the owner asking reads a state: the steps inside the CS center are one to them."""
STATUSES = tuple(STATUS_LABELS)
DONE = (ANSWERED, CLOSED)
"""Statuses whose answer reached the customer."""

WAITING = "waiting"
REPLIED = "replied"
SHEET_LABELS = {WAITING: _l("Waiting for the reply"), REPLIED: _l("Replied")}

CS = frozenset({roles.CS_STAFF, roles.ADMIN})
MANAGER = frozenset({roles.ADMIN})
"""The CS manager who approves answers: an administrator (no separate role)."""


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]


TRANSITIONS: dict[str, Move] = {
    "answer": Move((OPEN,), ANSWERED, CS),
    "escalate": Move((OPEN,), ESCALATED, CS),
    "draft": Move((ESCALATED, RETURNED), DRAFTED, CS),
    "approve": Move((DRAFTED,), APPROVED, MANAGER),
    "send_back": Move((DRAFTED,), RETURNED, MANAGER),
    "callback": Move((APPROVED,), CLOSED, CS),
}
SHEET_TRANSITIONS: dict[str, Move] = {
    "reply": Move((WAITING,), REPLIED, frozenset(roles.STAFF)),
}


def target_of(action: str, status: str, table: dict[str, Move] = TRANSITIONS) -> str | None:
    """The status `action` moves a row in `status` to; None when the table does not allow it."""
    move = table.get(action)
    return move.target if move is not None and status in move.sources else None
