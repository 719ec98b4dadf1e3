"""`/healthz` and `/readyz`, for a load balancer, systemd or a monitor.

- `/healthz`: the process answers. It touches neither the database nor Redis,
  so a database outage never makes a supervisor restart healthy web processes.
- `/readyz`: the database and Redis both answer within PROBE_TIMEOUT; otherwise
  503 with a message in the caller's language (Chinese by default) naming
  what is unreachable, so a proxy sends no traffic here until it is back.

Both are left out of the read transaction (server/web/middleware.py): a GET
normally takes a database connection before the handler runs, which would
turn "database down" into a 500 instead of this 503.
"""
from __future__ import annotations

import asyncio

from litestar import MediaType, Response, get

from server import db, jobs
from server.i18n import _

PROBE_TIMEOUT = 1.0
"""Seconds each probe may take: a hung Redis or database answers 503 in about a second."""

PROBE_PATHS = ("/healthz", "/readyz")


async def _database_answers() -> bool:
    try:
        await asyncio.wait_for(db.engine().run_ddl("SELECT 1"), timeout=PROBE_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True


@get("/healthz", include_in_schema=False, cache_control=None)
async def healthz() -> Response:
    """The process is up (no database, no Redis)."""
    return Response({"status": "ok"}, media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})


@get("/readyz", include_in_schema=False)
async def readyz() -> Response:
    """The database and Redis both answer; 503 naming the one that does not."""
    database, redis = await asyncio.gather(_database_answers(), jobs.redis_answers(PROBE_TIMEOUT))
    checks = {"database": "ok" if database else "unreachable", "redis": "ok" if redis else "unreachable"}
    headers = {"Cache-Control": "no-store"}
    if database and redis:
        return Response({"status": "ready", **checks}, media_type=MediaType.JSON, headers=headers)
    if not database and not redis:
        detail = _("The service is not ready: the database and the job queue (Redis) cannot be reached.")
    elif not database:
        detail = _("The service is not ready: the database cannot be reached.")
    else:
        detail = _("The service is not ready: the job queue (Redis) cannot be reached.")
    return Response({"status": "unavailable", "detail": detail, "status_code": 503, **checks},
                    status_code=503, media_type=MediaType.JSON, headers=headers)


HEALTH_ROUTES = [healthz, readyz]
