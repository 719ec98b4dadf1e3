"""A worker whose clock is off the database's (issue 14, figure 11). Deadlines are stored
in the database and judged by whichever worker's cron runs; a machine whose clock ran
5 minutes fast would call work overdue 5 minutes early, and around midnight its "today"
(China time) would be another day than everyone else's. Each worker therefore measures
its clock against the database's at start and every minute (server.clock.follow_database_clock)
and judges by the database's. The machine's clock is moved here by replacing what
server.clock reads; the database's clock is the real one."""
from __future__ import annotations

import datetime as dt

import pytest

from server import clock
from server.db import database_now
from server.inspections.overdue import overdue_mark
from server.inspections.tables import Defect
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection

OFF = dt.timedelta(minutes=5)


@pytest.fixture
def machine_clock(monkeypatch):
    """Set this machine's clock `off` from the real (the database's) one."""
    monkeypatch.setattr(clock, "_drift", dt.timedelta(0))

    real = clock._machine_now

    def set_off(off: dt.timedelta) -> None:
        monkeypatch.setattr(clock, "_machine_now", lambda: real() + off)

    return set_off


async def open_defect_due_in(personas, due_in: dt.timedelta) -> int:
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                   data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))
    await complete(ian, inspection["id"])
    defect = await Defect.objects().first().run()
    await Defect.update({Defect.deadline: await database_now() + due_in}).where(Defect.id == defect.id).run()
    return defect.id


@pytest.mark.parametrize("off", [OFF, -OFF], ids=["5 min fast", "5 min slow"])
async def test_a_worker_off_by_five_minutes_judges_by_the_databases_clock(personas, machine_clock, off):
    machine_clock(off)
    assert abs((clock.now() - await database_now()) - off) < dt.timedelta(seconds=2)

    drift = await clock.follow_database_clock()
    assert abs(drift + off) < dt.timedelta(seconds=2)
    assert abs(clock.now() - await database_now()) < dt.timedelta(seconds=2)

    # Due in 2 minutes by the database's clock: a fast worker would have called it overdue.
    defect_id = await open_defect_due_in(personas, dt.timedelta(minutes=2))
    assert await overdue_mark() == []
    # Overdue 2 minutes ago: a slow worker would not have seen it yet.
    await Defect.update({Defect.deadline: await database_now() - dt.timedelta(minutes=2)}).where(
        Defect.id == defect_id).run()
    assert await overdue_mark() != []
    marked = await Defect.select(Defect.overdue_since).where(Defect.id == defect_id).first().run()
    assert abs(marked["overdue_since"] - await database_now()) < dt.timedelta(seconds=2)


async def test_around_midnight_today_is_the_databases_day_in_china(machine_clock):
    database = await database_now()
    china_midnight = dt.datetime.combine(database.astimezone(clock.CHINA).date(), dt.time(0), clock.CHINA)
    # This machine reads 23:57:30 China time of the day before the database's (if the
    # database is itself within 5 minutes after midnight, of that same day).
    machine_clock(china_midnight - dt.timedelta(seconds=150) - database)
    assert clock.today() == china_midnight.date() - dt.timedelta(days=1)

    await clock.follow_database_clock()
    assert clock.today() == (await database_now()).astimezone(clock.CHINA).date()


async def test_a_clock_within_a_second_is_left_alone(machine_clock):
    machine_clock(dt.timedelta(milliseconds=300))
    assert await clock.follow_database_clock() == dt.timedelta(0)
