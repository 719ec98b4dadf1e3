"""A job's log lines carry the id of the request that queued it (server/logs.py).

`server.jobs.enqueue` adds `request_id=` to the job's keyword arguments when
it runs inside a request; `traced()` takes it off again before the job
function sees it, sets it for the job's run, and logs one line when the job
ends. A job queued by a sweep or a cron has none: its lines carry `job:<id>`.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import time
from typing import Any

from arq.worker import Function

from server.logs import request_id as current_request_id

log = logging.getLogger("workers.jobs")


def traced(function: Function) -> Function:
    job = function.coroutine

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, request_id: str | None = None, **kwargs: Any) -> Any:
        token = current_request_id.set(request_id or f"job:{ctx.get('job_id', '?')}")
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await job(ctx, *args, **kwargs)
            outcome = "done"
            return result
        finally:
            took = round((time.perf_counter() - started) * 1000, 1)
            log.info("%s(%s) %s in %s ms", function.name, ", ".join(map(repr, args)), outcome, took,
                     extra={"job": function.name, "job_id": ctx.get("job_id"), "duration_ms": took})
            current_request_id.reset(token)

    return dataclasses.replace(function, coroutine=run)

