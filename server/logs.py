"""Logging for every process (web, workers, commands): one format, and the
request id on every line.

- LOG_FORMAT=plain (the default, for a developer's terminal):
  `2026-12-05 08:00:00,123 INFO server.access [3f2a…] GET /login 200 4 ms`
- LOG_FORMAT=json (production): one JSON object per line, for journald, Loki,
  Elasticsearch…: `{"time", "level", "logger", "message", "request_id", "process", "exc_info"?}`.

The request id comes from the caller's `X-Request-ID` (a proxy's, so one id
follows a request through nginx and here) or is made by the web app
(server/web/request_id.py). It lives in a context variable, so every line
logged while the request runs carries it, and `server.jobs.enqueue` hands it
to the arq job it queues, whose lines carry it too (workers/tracing.py).
"""
from __future__ import annotations

import json
import logging
import os
import re
import random
import sys
import time
from contextvars import ContextVar
from datetime import datetime, timezone

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_ids = random.Random()  # seeded from the OS once per process (and re-seeded in a fork: see below)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)

_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
"""What an incoming X-Request-ID may look like: anything else (a newline, a
megabyte) is replaced, so a caller cannot forge or flood log lines."""

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def new_request_id() -> str:
    # 128 random bits as uuid4().hex looks, from the process's PRNG: uuid4 asks the
    # kernel each time (os.urandom), a system call that hands the GIL to another
    # thread mid-request (py-spy: a sixth of a `GET /api/v1/auth/me`, mostly spent getting
    # the GIL back). An id needs to be unique, not secret.
    return f"{_ids.getrandbits(128):032x}"


def accepted_request_id(raw: str | None) -> str:
    """The caller's id when it is a sane token, else a new one."""
    return raw if raw and _ACCEPTED_ID.fullmatch(raw) else new_request_id()


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record, whichever logger made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


class PlainFormatter(logging.Formatter):
    """PLAIN_FORMAT, its time (`2026-12-05 08:00:00,123`) put together as logging's own Formatter
    does, but the date and second formatted once a second, not once a line: a web process writes
    an access line for every request."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)
        self._second: int | None = None
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        return self.default_msec_format % (self._second_text, record.msecs)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get() or "-",
            "process": record.process,
        }
        for key in ("method", "path", "status", "duration_ms", "error", "job", "job_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_record_factory_installed = False


def _install_record_factory() -> None:
    """Every record gets the request id when it is made, so handlers that are not
    ours (pytest's, a library's) see it too."""
    global _record_factory_installed
    if _record_factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id.get() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _record_factory_installed = True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each line (a test runner swaps it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def make_handler(log_format: str, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else PlainFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(log_format: str, take_over: tuple[str, ...] = ()) -> None:
    """The root logger writes `log_format` lines to stderr at INFO. `take_over`
    names loggers that libraries gave their own handlers (arq's "arq"): they
    are routed through ours instead, so a worker's output is one format."""
    _install_record_factory()
    # Neither format prints the thread or the multiprocessing name: not looking them up for every
    # record is the logging HOWTO's own advice ("Optimization"). The process id stays (JSON's "process").
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cs_center", False):
            root.removeHandler(handler)
    handler = make_handler(log_format)
    handler._cs_center = True  # type: ignore[attr-defined] - ours to replace on a second call
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in take_over:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
