"""Enqueueing background jobs by name. The web app never imports `workers/`.

Enqueueing is best-effort by design: the database row that a job works on is
already committed, and each context has a sweep (an arq cron job) that finds
work left behind, so a Redis outage delays work but never loses it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.logs import request_id
from server.settings import get_settings

log = logging.getLogger("server.jobs")

# Photos of formats that decode slowly (HEIC) go to their own queue and worker,
# so a burst of iPhone photos never holds up JPEGs and notices.
DEFAULT_QUEUE = "arq:queue"
HEAVY_QUEUE = "arq:queue:heavy"

ENQUEUE_TIMEOUT = 1.0
"""Seconds one enqueue may take, connecting included: a request that
enqueues (a photo upload) never waits longer on Redis, down or hung."""
SKIP_AFTER_TIMEOUT = 1.0
"""Seconds after an enqueue timed out (Redis hung) during which further ones are
not tried (left for the sweep), so a defect with ten photos waits ENQUEUE_TIMEOUT
once, not ten times. A refused connection (Redis down) fails at once: no skipping."""

_pool: ArqRedis | None = None
_timed_out_at: float | None = None


def redis_settings(url: str | None = None) -> RedisSettings:
    """For the workers (arq's own pool)."""
    settings = RedisSettings.from_dsn(url or get_settings().redis_url)
    settings.conn_timeout = 2
    settings.conn_retries = 0
    return settings


def _get_pool() -> ArqRedis | None:
    """The web process's pool. It connects on first use (never here), and every
    connect and command has a timeout: a hung Redis costs an error, not a wait."""
    global _pool
    if _pool is None:
        url = get_settings().redis_url
        if not url:
            return None
        _pool = ArqRedis(ConnectionPool.from_url(
            url, socket_connect_timeout=ENQUEUE_TIMEOUT, socket_timeout=ENQUEUE_TIMEOUT))
    return _pool


async def enqueue(function: str, *args: Any, job_id: str | None = None, queue: str = DEFAULT_QUEUE) -> bool:
    """Queue `function(*args)`; False (logged, not raised) when Redis is
    unreachable or hung (or hung a moment ago). Takes at most ENQUEUE_TIMEOUT."""
    global _timed_out_at
    pool = _get_pool()
    if pool is None:
        log.warning("REDIS_URL is not set; %s(%s) left for the sweep", function, args)
        return False
    if _timed_out_at is not None and time.monotonic() - _timed_out_at < SKIP_AFTER_TIMEOUT:
        log.warning("Redis did not answer just now; %s(%s) left for the sweep", function, args)
        return False
    try:
        # The request's id goes with the job, so the worker's lines for it carry the same id.
        traced = {"request_id": request_id.get()} if request_id.get() else {}
        await asyncio.wait_for(pool.enqueue_job(function, *args, _job_id=job_id, _queue_name=queue, **traced),
                               timeout=ENQUEUE_TIMEOUT)
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        if isinstance(exc, (asyncio.TimeoutError, RedisTimeoutError)):
            _timed_out_at = time.monotonic()
        log.warning("Could not enqueue %s(%s): %r; left for the sweep", function, args, exc)
        return False
    _timed_out_at = None
    return True


async def redis_answers(timeout: float) -> bool:
    """Whether Redis answers a PING within `timeout` seconds (`/readyz`)."""
    pool = _get_pool()
    if pool is None:
        return False
    try:
        return bool(await asyncio.wait_for(pool.ping(), timeout=timeout))
    except (RedisError, OSError, asyncio.TimeoutError):
        return False


async def close_queue() -> None:
    global _pool, _timed_out_at
    if _pool is not None:
        # The pool was made here and handed in, so ArqRedis does not close it by itself.
        await _pool.aclose(close_connection_pool=True)
        _pool = None
    _timed_out_at = None
