"""A moved clock for scheduled work: from `at` on, time runs at its usual pace
(arq's worker loop needs it to move), for arq's cron scheduling and queue
(`datetime.now`, `timestamp_ms` as arq's worker and pool read them) and for
`server.clock.now` (what the jobs read). Everything else keeps the real time."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any


def move_clock(monkeypatch: Any, at: dt.datetime) -> None:
    import arq.connections
    import arq.worker

    from server import clock

    started = time.monotonic()

    def current() -> dt.datetime:
        return at + dt.timedelta(seconds=time.monotonic() - started)

    class MovedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> dt.datetime:  # type: ignore[override]
            moment = current()
            return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

    def timestamp_ms() -> int:
        return int(current().timestamp() * 1000)

    monkeypatch.setattr(arq.worker, "datetime", MovedDatetime)
    monkeypatch.setattr(arq.worker, "timestamp_ms", timestamp_ms)
    monkeypatch.setattr(arq.connections, "timestamp_ms", timestamp_ms)
    monkeypatch.setattr(clock, "now", lambda: current().astimezone(dt.timezone.utc))
