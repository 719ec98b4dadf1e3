"""What waits for the signed-in person, as counts for the tab bar and the home tiles.

One COUNT query per navigation entry of the person that leads to work (at
most four for any role), never a query per item, and each stops at
BADGE_BOUND; each count is keyed by that entry's URL:

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
from server.pagination import count_matches_up_to

PUBLISH_URL = "/delivery/announcements"

BADGE_BOUND = 99
"""A count stops here: a badge shows 1-99, then "99+" (a count of BADGE_BOUND + 1). These counts run on
every page a person opens, and counting every waiting row cost a supervisor's page 17 ms at 20,000 homes,
growing with the data (bench/inspections.md); stopping at 100 rows reads at most 100."""


async def bounded_count(count_query: Any) -> int:
    """A Piccolo `Table.count().where(…)` counted up to BADGE_BOUND; BADGE_BOUND + 1 means more."""
    total, more = await count_matches_up_to(count_query, BADGE_BOUND)
    return total + more


def not_checked_by_role(role: str) -> Any:
    """Rectified defects without a check by anyone of `role` since they were rectified."""
    return (Defect.status == "rectified") & WhereRaw(
        "NOT EXISTS (SELECT 1 FROM defect_check JOIN app_user ON app_user.id = defect_check.by "
        "WHERE defect_check.defect = defect.id AND defect_check.created_at >= defect.rectified_at "
        "AND app_user.role = {})", role)


async def _to_recheck(user: Any) -> int:
    return await bounded_count(Defect.count().where(visible_defects(user) & (Defect.status == "rectified")))


async def _to_check(user: Any) -> int:
    return await bounded_count(Defect.count().where(visible_defects(user) & not_checked_by_role(user.role)))


async def _to_rectify(user: Any) -> int:
    return await bounded_count(Defect.count().where(
        visible_defects(user) & (Defect.status == "open") & Defect.notice.is_not_null()))


async def _to_publish(user: Any) -> int:
    from server.delivery.tables import Announcement

    return await bounded_count(Announcement.count().where(Announcement.status == "approved"))


async def _to_approve(user: Any) -> int:
    from server.procedures.tables import ProcedureStep, StepStatus

    return await bounded_count(ProcedureStep.count().where(
        (ProcedureStep.status == StepStatus.AWAITING_APPROVAL) & (ProcedureStep.approver_role == user.role)))


async def _unread(user: Any) -> int:
    return await bounded_count(InboxMessage.count().where(addressed_to(user) & InboxMessage.read_at.is_null()))


async def _to_call(user: Any) -> int:
    from server.repairs.closing_tables import RepairVisitDue
    from server.repairs.visits import waiting_call

    return await bounded_count(RepairVisitDue.count().where(waiting_call()))


async def _sheets(user: Any) -> int:
    from server.inquiries.selectors import waiting_sheets

    return await bounded_count(waiting_sheets(user))


COUNTERS = {"/sheets": _sheets, "/repairs/visits": _to_call, "/rechecks": _to_recheck, "/checks": _to_check, "/tasks": _to_rectify, PUBLISH_URL: _to_publish,
            "/procedures": _to_approve, "/inbox": _unread}


async def waiting_for(user: Any, urls: Iterable[str]) -> dict[str, int]:
    """{URL: how many things wait there for this user}, for those of `urls` (the user's navigation) that count."""
    if user is None:
        return {}
    return {url: await COUNTERS[url](user) for url in urls if url in COUNTERS}
