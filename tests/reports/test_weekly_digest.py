"""The weekly digest: a real arq worker (burst mode) with the clock moved to just before 08:00 on a Monday,
China time, a real SMTP server on a local port. The managers get last week's figures, each contractor party's
users their open and overdue work with links, by inbox and by their party's mailbox; a second run that week
tells nobody again. SQLite and PostgreSQL (DATABASE_URL)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.notifications.tables import InboxMessage
from tests.frozen import move_clock
from tests.notifications.support import SmtpReceiver, inbox_counts, inbox_of, join_party
from tests.photos.support import run_worker

CN = dt.timezone(dt.timedelta(hours=8))
MONDAY_8 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=CN)
"""The digest covers Monday 2026-11-30 to Sunday 2026-12-06 (ISO week 49)."""
DAY = dt.timedelta(days=1)


async def _last_week(personas: Any) -> dict[str, Any]:
    """一期 1号楼: 101 first inspected on Dec 2 and passed, 102 on Dec 3 with defects of Builder A (one 3 days
    overdue, one due on Dec 10, one closed); Builder B has only a closed defect; one inquiry about 101."""
    from server.inquiries.tables import Inquiry
    from server.inspections.tables import Defect, Inspection, RectificationNotice
    from server.org.tables import Building, Party, Project, Unit

    project = Project(name="一期")
    await project.save().run()
    building = Building(project=project.id, name="1号楼")
    await building.save().run()
    ids: dict[str, Any] = {"project": project.id}
    for number, day, status in (("101", 2, "passed"), ("102", 3, "rectifying")):
        unit = Unit(building=building.id, number=number, floor=1)
        await unit.save().run()
        done = dt.datetime(2026, 12, day, 11, 0, tzinfo=CN)
        inspection = Inspection(unit=unit.id, status=status, kind="acceptance", is_first=True,
                                scheduled_for=done.date(), started_at=done - dt.timedelta(hours=2), completed_at=done,
                                passed_at=done if status == "passed" else None)
        await inspection.save().run()
        ids[number], ids[f"i{number}"] = unit.id, inspection.id
    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    await Party.update({Party.email: "a@builder.example"}).where(Party.id == a).run()
    await Party.update({Party.email: "b@builder.example"}).where(Party.id == b).run()
    notices = {}
    for party in (a, b):
        notice = RectificationNotice(inspection=ids["i102"], party=party, number=f"N-{party}",
                                     deadline=MONDAY_8 - 3 * DAY)
        await notice.save().run()
        notices[party] = notice.id

    def defect(party: int, status: str, deadline: dt.datetime, description: str) -> Defect:
        # overdue_since set: the overdue cron (also due at 08:00) has told them already, and stays quiet.
        return Defect(inspection=ids["i102"], unit=ids["102"], room="客厅", category="wall", severity="minor",
                      description=description, construction_unit=party, status=status, deadline=deadline,
                      notice=notices[party], overdue_since=deadline if deadline < MONDAY_8 else None,
                      created_at=dt.datetime(2026, 12, 3, 10, 0, tzinfo=CN))

    for key, row in (("late", defect(a, "open", MONDAY_8 - 3 * DAY, "墙面空鼓")),
                     ("due", defect(a, "open", MONDAY_8 + 3 * DAY, "地面起砂")),
                     ("a_closed", defect(a, "closed", MONDAY_8 - 3 * DAY, "已修好")),
                     ("b_closed", defect(b, "closed", MONDAY_8 - 3 * DAY, "已修好"))):
        await row.save().run()
        ids[key] = row.id
    await Inquiry(unit=ids["101"], project=project.id, channel="phone", category="物业费", question="？",
                  created_at=dt.datetime(2026, 12, 4, 9, 0, tzinfo=CN)).save().run()
    return ids


async def _run_the_cron() -> Any:
    from workers.settings import WorkerSettings

    worker = await run_worker(WorkerSettings)
    assert worker.jobs_failed == 0
    return worker


async def test_monday_8_am_tells_managers_and_contractors_once(personas, monkeypatch):
    from server.settings import reset_settings

    with SmtpReceiver() as smtp:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("BASE_URL", "https://cs.example")
        reset_settings()
        try:
            await _told_once(personas, monkeypatch, smtp)
        finally:
            monkeypatch.undo()
            reset_settings()


async def _told_once(personas: Any, monkeypatch: Any, smtp: SmtpReceiver) -> None:
    await join_party(personas, ["alice"], "总经办", "department", email="boss@dev.example")
    await join_party(personas, ["carol"], "客服中心", "department", email="kefu@dev.example")
    await join_party(personas, ["sam"], "监理公司", "supervision_unit", email="jianli@dev.example")
    ids = await _last_week(personas)
    # 23:59:59.6 UTC on Sunday is 07:59:59.6 on Monday in China: the cron's 08:00 comes within the second.
    move_clock(monkeypatch, (MONDAY_8 - dt.timedelta(milliseconds=400)).astimezone(dt.timezone.utc))
    await _run_the_cron()
    mails = {tuple(m["to"]): m for m in smtp.messages}
    # The managers' mailboxes and Builder A's; not Builder B (nothing open), not the supervisor (no manager).
    assert sorted(mails) == [("a@builder.example",), ("boss@dev.example",), ("kefu@dev.example",)]

    # One inbox message per manager and per contractor user with open work.
    assert await inbox_counts(personas) == {"alice": 1, "carol": 1, "bob": 1}
    [report] = await inbox_of(personas, "alice")
    assert report == (await inbox_of(personas, "carol"))[0]
    assert report["title"] == "每周简报（2026-11-30 至 2026-12-06）" and report["link"] == "/dashboards"
    assert report["body"].splitlines() == [
        "【一期】", "首次验收 2 户，一次验收合格率 50.00%", "当前未关闭问题 2 个，其中逾期 1 个", "本周客户咨询 1 条",
        f"https://cs.example/dashboards/projects/{ids['project']}?date_from=2026-11-30&date_to=2026-12-06"]
    assert mails[("boss@dev.example",)]["subject"] == report["title"]
    assert report["body"] in mails[("boss@dev.example",)]["body"]

    [work] = await inbox_of(personas, "bob")
    assert work["title"] == "本周待办：整改与维修" and work["link"] == "/tasks?overdue=1"
    assert work["body"].splitlines() == [
        "待整改问题 2 个，其中逾期 1 个",
        f"- 一期 1号楼 102 墙面 墙面空鼓（逾期 3 天）https://cs.example/tasks/defects/{ids['late']}",
        f"- 一期 1号楼 102 墙面 地面起砂（期限 2026-12-10）https://cs.example/tasks/defects/{ids['due']}"]
    assert mails[("a@builder.example",)]["subject"] == work["title"]
    assert work["body"] in mails[("a@builder.example",)]["body"]

    # Again the same week (a retried job, a second worker): nobody is told twice.
    from server.reports.weekly_digest import send_weekly_digest

    await send_weekly_digest(MONDAY_8 + dt.timedelta(hours=3))
    await _run_the_cron()
    assert len(smtp.messages) == 3
    assert await InboxMessage.count().run() == 3


async def test_the_cron_is_monday_8_am_china_time():
    from workers.settings import WorkerSettings

    job = next(j for j in WorkerSettings.cron_jobs if j.name == "weekly_digest")
    job = type(job)(**{**job.__dict__, "next_run": None})
    # Friday 2026-12-04 noon UTC: the next run is Monday 2026-12-07 08:00 in China, 00:00 UTC that day.
    job.calculate_next(dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc).astimezone(WorkerSettings.timezone))
    assert job.next_run.astimezone(dt.timezone.utc).replace(microsecond=0) == dt.datetime(
        2026, 12, 7, 0, 0, tzinfo=dt.timezone.utc)
