"""What waits for the signed-in person, as counts for the tab bar and the home tiles.

One statement counts them all, never a query per item, and each count stops at
BADGE_BOUND; each count is keyed by its navigation entry's URL:

- /rechecks  rectified defects waiting for the CS center (CS staff, inspectors)
- /checks    rectified defects nobody of the person's role has checked since
             (supervisor, project department)
- /tasks     the contractor's open defects on notices
- /delivery/announcements  approved announcements to publish (Brand & PR)
- /procedures steps waiting for the person's approval
- /inbox     unread messages
- /repairs/visits  signed-off repairs on the return-visit call list (CS staff, admins)
- /sheets    work contact sheets waiting for the person's department's reply (CS: every one waiting)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.inspections.access import visible_defects
from server.inspections.tables import Defect
from server.notifications.services import addressed_to
from server.notifications.tables import InboxMessage
from server.db import Value, engine, raw_rows, template_of
from server.pagination import matching_up_to

PUBLISH_URL = "/delivery/announcements"

BADGE_BOUND = 99
"""A count stops here: a badge shows 1-99, then "99+" (a count of BADGE_BOUND + 1). These counts run on
every page a person opens, and counting every waiting row cost a supervisor's page 17 ms at 20,000 homes,
growing with the data (bench/inspections.md); stopping at 100 rows reads at most 100."""


def not_checked_by_role(role: str) -> Any:
    """Rectified defects without a check by anyone of `role` since they were rectified."""
    return (Defect.status == "rectified") & WhereRaw(
        "NOT EXISTS (SELECT 1 FROM defect_check JOIN app_user ON app_user.id = defect_check.by "
        "WHERE defect_check.defect = defect.id AND defect_check.created_at >= defect.rectified_at "
        "AND app_user.role = {})", role)


def _to_recheck(user: Any) -> Any:
    return Defect.count().where(visible_defects(user) & (Defect.status == "rectified"))


def _to_check(user: Any) -> Any:
    return Defect.count().where(visible_defects(user) & not_checked_by_role(user.role))


def _to_rectify(user: Any) -> Any:
    return Defect.count().where(
        visible_defects(user) & (Defect.status == "open") & Defect.notice.is_not_null())


def _to_publish(user: Any) -> Any:
    from server.delivery.tables import Announcement

    return Announcement.count().where(Announcement.status == "approved")


def _to_approve(user: Any) -> Any:
    from server.procedures.tables import ProcedureStep, StepStatus

    return ProcedureStep.count().where(
        (ProcedureStep.status == StepStatus.AWAITING_APPROVAL) & (ProcedureStep.approver_role == user.role))


def _unread(user: Any) -> Any:
    return InboxMessage.count().where(addressed_to(user) & InboxMessage.read_at.is_null())


def _to_call(user: Any) -> Any:
    from server.repairs.closing_tables import RepairVisitDue
    from server.repairs.visits import waiting_call

    return RepairVisitDue.count().where(waiting_call())


def _sheets(user: Any) -> Any:
    from server.inquiries.selectors import waiting_sheets

    return waiting_sheets(user)


# Each counter gives a Piccolo `Table.count().where(…)` of what waits at its URL. It may depend on the
# user through `role`, `party` and `id` only (see _StandIn), and on nothing else that changes.
COUNTERS = {"/sheets": _sheets, "/repairs/visits": _to_call, "/rechecks": _to_recheck, "/checks": _to_check, "/tasks": _to_rectify, PUBLISH_URL: _to_publish,
            "/procedures": _to_approve, "/inbox": _unread}


class _StandIn:
    """The user while the counts' statement is compiled: their role shapes it, their id and party
    (whether they have one, and which) become its parameters."""

    __slots__ = ("role", "id", "party")

    def __init__(self, role: str, has_party: bool) -> None:
        self.role, self.id, self.party = role, Value(0), Value(1) if has_party else None


_statements: dict[tuple, tuple[str, list[Any]]] = {}
"""(engine, role, has a party, URLs) → the statement counting them all and its parameters: a handful of
keys. Building the Piccolo queries of four counts cost ~0.6 ms of every page, more than running them."""


def _statement(user: Any, urls: tuple[str, ...]) -> tuple[str, list[Any]]:
    key = (engine().engine_type, user.role, bool(user.party), urls)
    if key not in _statements:
        stand_in = _StandIn(user.role, bool(user.party))
        columns, args = [], []
        for n, url in enumerate(urls):
            template, part = template_of(matching_up_to(COUNTERS[url](stand_in), BADGE_BOUND), key[0])
            columns.append(f"(SELECT COUNT(*) FROM ({template}) AS matching_{n}) AS count_{n}")
            args += part
        _statements[key] = "SELECT " + ", ".join(columns), args
    return _statements[key]


async def waiting_for(user: Any, urls: Iterable[str]) -> dict[str, int]:
    """{URL: how many things wait there for this user}, for those of `urls` (the user's navigation) that
    count, each up to BADGE_BOUND + 1 (more than the bound): one statement, whatever the number."""
    counted = tuple(url for url in urls if url in COUNTERS)
    if user is None or not counted:
        return {}
    statement, args = _statement(user, counted)
    values = (user.id, user.party)
    [row] = await raw_rows(InboxMessage, statement, *[values[a.index] if isinstance(a, Value) else a for a in args])
    return {url: min(row[f"count_{n}"], BADGE_BOUND + 1) for n, url in enumerate(counted)}
