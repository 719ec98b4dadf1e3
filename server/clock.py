"""China time: how the people on site count days and read times, whatever
zone the server's clock is in. Times are stored in UTC; dates a person sees
or chooses (a due date, a delivery day, "today") are China dates."""
from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8))


def now() -> dt.datetime:
    """This instant (UTC); the one place scheduled work reads the time, so a test can move it."""
    return dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    return now().astimezone(CHINA).date()


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as people on site read it ("" for none)."""
    return value.astimezone(CHINA).strftime(fmt) if value else ""


def day_start(day: dt.date) -> dt.datetime:
    """Midnight China time at the start of `day`: [day_start(d), day_start(d) + 1 day) is that day."""
    return dt.datetime.combine(day, dt.time(0), CHINA)
