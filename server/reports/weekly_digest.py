"""The weekly digest (每周简报): an arq cron job at 08:00 on Monday, China time (workers/settings.py).

- Every active manager (administrators and CS staff, the roles the CS center's figures are for) gets the
  week just ended (Monday to Sunday, China dates) per project: the units first inspected and the
  first-time pass rate of that week, the open and overdue defects now, the inquiries of the week, and a
  link to the project's dashboard for that week. The figures are the dashboards' own (stats.py,
  stats_defects.py, stats_service.py), each one SQL statement.
- Every active user of a contractor party (a construction or repair unit) with work waiting gets that
  party's open defects (overdue first, with how late) and its open repair jobs, each with its link.

Sent as notices (server/notifications): an inbox message per person, and the email or robot of their
party through the hourly channel batches. The notice key names the ISO week (and the party), so a
second run in the same week, or a retried job, tells nobody twice.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.db import write_transaction
from server.i18n import _, ngettext
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import Defect
from server.notifications.services import Notice, active_users, default_language, notify, send_soon
from server.org.tables import Project
from server.repairs.job_tables import RepairAssignment
from server.repairs.states import ASSIGNED, IN_REPAIR
from server.reports.stats import Filters, pass_rate
from server.reports.stats_defects import defect_summary
from server.reports.stats_service import inquiries_by_category
from server.settings import get_settings

MANAGERS = (roles.ADMIN, roles.CS_STAFF)
MAX_ITEMS = 30
"""Items listed by name in one contractor's digest; the rest are counted (the robot refuses long messages)."""


def last_week(now: dt.datetime) -> tuple[dt.date, dt.date, str]:
    """(Monday, Sunday, "2026-W49") of the China week before the one `now` is in."""
    today = now.astimezone(clock.CHINA).date()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    year, week, _day = monday.isocalendar()
    return monday, monday + dt.timedelta(days=6), f"{year}-W{week:02d}"


def _url(path: str) -> str:
    return f"{get_settings().base_url}{path}"


async def _project_lines(project: dict, monday: dt.date, sunday: dt.date, now: dt.datetime) -> list[str]:
    week = Filters(project_id=project["id"], date_from=monday, date_to=sunday)
    rate = await pass_rate(week)
    defects = await defect_summary(Filters(project_id=project["id"]), now.astimezone(clock.CHINA).date(), now)
    open_now = sum(r["open"] for r in defects["open_by_category"])
    overdue = sum(r["overdue"] for r in defects["overdue_now"])
    inquiries = sum(r["inquiries"] for r in await inquiries_by_category(week))
    percent = rate["first_time_pass_rate_percent"]
    link = _url(f"/dashboards/projects/{project['id']}?date_from={monday}&date_to={sunday}")
    return [f"【{project['name']}】",
            _("Units first inspected: %(units)s; first-time pass rate: %(rate)s", units=rate["units_inspected"],
              rate=f"{percent}%" if percent is not None else _("No data")),
            _("Open defects now: %(open)s, of which overdue: %(overdue)s", open=open_now, overdue=overdue),
            _("Inquiries this week: %(count)s", count=inquiries), link]


async def manager_notice(monday: dt.date, sunday: dt.date, key: str, now: dt.datetime) -> Notice | None:
    projects = await Project.select(Project.id, Project.name).order_by(Project.name).run()
    if not projects:
        return None
    lines: list[str] = []
    for project in projects:
        lines += await _project_lines(project, monday, sunday, now) + [""]
    return Notice(key=f"weekly:{key}:managers",
                  title=_("Weekly report %(from)s to %(to)s", **{"from": monday.isoformat(), "to": sunday.isoformat()}),
                  body="\n".join(lines).strip(), link="/dashboards")


async def _open_defects(party_id: int) -> list[dict]:
    return await Defect.select(
        Defect.id, Defect.category, Defect.description, Defect.deadline, Defect.unit.number.as_alias("unit"),
        Defect.unit.building.name.as_alias("building"), Defect.unit.building.project.name.as_alias("project"),
    ).where((Defect.construction_unit == party_id) & (Defect.status == "open") & Defect.notice.is_not_null()
            ).order_by(Defect.deadline).order_by(Defect.id).run()


async def _open_jobs(party_id: int) -> list[dict]:
    return await RepairAssignment.select(
        RepairAssignment.repair, RepairAssignment.repair.description.as_alias("description"),
        RepairAssignment.repair.unit.number.as_alias("unit"),
        RepairAssignment.repair.unit.building.name.as_alias("building"),
    ).where((RepairAssignment.party == party_id) & (RepairAssignment.superseded == False)  # noqa: E712
            & RepairAssignment.repair.status.is_in([ASSIGNED, IN_REPAIR])).order_by(RepairAssignment.repair).run()


def _days_late(deadline: dt.datetime | None, now: dt.datetime) -> int:
    """Whole days late, at least one, as the task list counts them; 0 when not late."""
    if deadline is None or deadline >= now:
        return 0
    return max(1, int((now - deadline).total_seconds() // 86400))


async def contractor_notice(party_id: int, key: str, now: dt.datetime) -> Notice | None:
    defects, jobs = await _open_defects(party_id), await _open_jobs(party_id)
    if not defects and not jobs:
        return None
    late = [d for d in defects if _days_late(d["deadline"], now)]
    lines = [_("Open defects: %(open)s, of which overdue: %(overdue)s", open=len(defects), overdue=len(late))]
    listed = sorted(defects, key=lambda d: -_days_late(d["deadline"], now))  # the latest first, then by deadline
    for d in listed[:MAX_ITEMS]:
        days = _days_late(d["deadline"], now)
        state = ngettext("Overdue %(num)s day", "Overdue %(num)s days", days) if days \
            else _("due %(day)s", day=clock.local_time(d["deadline"], "%Y-%m-%d"))
        lines.append(f"- {d['project']} {d['building']} {d['unit']} {CATEGORIES.get(d['category'], d['category'])} "
                     f"{d['description'][:40]}（{state}）" + _url(f"/tasks/defects/{d['id']}"))
    if len(defects) > MAX_ITEMS:
        lines.append(_("… and %(num)s more: %(link)s", num=len(defects) - MAX_ITEMS, link=_url("/tasks")))
    if jobs:
        lines.append(_("Open repair jobs: %(count)s", count=len(jobs)))
        for j in jobs[:MAX_ITEMS]:
            lines.append(f"- {j['building']} {j['unit']} {j['description'][:40]} "
                         + _url(f"/repairs/jobs/{j['repair']}"))
    return Notice(key=f"weekly:{key}:p{party_id}", title=_("Your open work this week"), body="\n".join(lines),
                  link="/tasks?overdue=1" if late else "/tasks")


async def _contractor_users() -> dict[int, list[int]]:
    rows = await User.select(User.id, User.party).where(
        (User.role == roles.CONTRACTOR) & User.party.is_not_null() & (User.is_active == True)).run()  # noqa: E712
    users: dict[int, list[int]] = {}
    for row in rows:
        users.setdefault(row["party"], []).append(row["id"])
    return users


async def send_weekly_digest(now: dt.datetime | None = None) -> int:
    """Tell every manager and every contractor party's users (module doc); answers how many notices."""
    now = now or clock.now()
    monday, sunday, key = last_week(now)
    sent, destinations = 0, []
    with default_language():
        managers = await active_users(User.role.is_in(list(MANAGERS)))
        notice = await manager_notice(monday, sunday, key, now) if managers else None
        if notice is not None:
            async with write_transaction():
                destinations += await notify(managers, notice)
            sent += 1
        for party_id, user_ids in sorted((await _contractor_users()).items()):
            notice = await contractor_notice(party_id, key, now)
            if notice is None:
                continue
            async with write_transaction():
                destinations += await notify(user_ids, notice)
            sent += 1
    await send_soon(destinations)
    return sent


async def weekly_digest_job(ctx: Any = None) -> int:
    """arq cron (Monday 08:00 China time)."""
    return await send_weekly_digest()
