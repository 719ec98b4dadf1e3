"""China time: how the people on site count days and read times, whatever
zone the server's clock is in. Times are stored in UTC; dates a person sees
or chooses (a due date, a delivery day, "today") are China dates."""
from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8))


IGNORED_DRIFT = dt.timedelta(seconds=1)
"""A machine clock closer than this to the database's is taken as right (it is under NTP)."""

_drift = dt.timedelta(0)
"""The database's clock minus this machine's, when they differ by more than IGNORED_DRIFT."""


def now() -> dt.datetime:
    """This instant (UTC), by the database's clock when this machine's is off (see
    follow_database_clock); the one place scheduled work reads the time, so a test can move it."""
    return _machine_now() + _drift


def _machine_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def follow_database_clock() -> dt.timedelta:
    """Measure how far this machine's clock is from the database's and count time by the
    database's from now on. Deadlines are stored in the database and judged by every worker:
    a worker whose clock ran 5 minutes fast would otherwise call work overdue 5 minutes early,
    and one machine's "today" could differ from another's around midnight. Run by each worker
    at start and by the photo sweep every minute. Returns the drift in use."""
    from server.db import database_now

    global _drift
    before = _machine_now()
    database = await database_now()
    after = _machine_now()
    drift = database - (before + (after - before) / 2)
    _drift = drift if abs(drift) > IGNORED_DRIFT else dt.timedelta(0)
    return _drift


def today() -> dt.date:
    return now().astimezone(CHINA).date()


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as people on site read it ("" for none)."""
    return value.astimezone(CHINA).strftime(fmt) if value else ""


def day_start(day: dt.date) -> dt.datetime:
    """Midnight China time at the start of `day`: [day_start(d), day_start(d) + 1 day) is that day."""
    return dt.datetime.combine(day, dt.time(0), CHINA)
