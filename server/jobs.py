"""Enqueueing background jobs by name. The web app never imports `workers/`.

Enqueueing is best-effort by design: the database row that a job works on is
already committed, and each context has a sweep (an arq cron job) that finds
work left behind, so a Redis outage delays work but never loses it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.exceptions import RedisError

from server.settings import get_settings

log = logging.getLogger("server.jobs")

# Photos of formats that decode slowly (HEIC) go to their own queue and worker,
# so a burst of iPhone photos never holds up JPEGs and notices.
DEFAULT_QUEUE = "arq:queue"
HEAVY_QUEUE = "arq:queue:heavy"

_pool: ArqRedis | None = None
_lock = asyncio.Lock()


def redis_settings(url: str | None = None) -> RedisSettings:
    settings = RedisSettings.from_dsn(url or get_settings().redis_url)
    settings.conn_timeout = 2
    settings.conn_retries = 0
    return settings


async def _get_pool() -> ArqRedis | None:
    global _pool
    if _pool is None:
        url = get_settings().redis_url
        if not url:
            return None
        async with _lock:
            if _pool is None:
                _pool = await create_pool(redis_settings(url))
    return _pool


async def enqueue(function: str, *args: Any, job_id: str | None = None, queue: str = DEFAULT_QUEUE) -> bool:
    """Queue `function(*args)`; False (logged, not raised) when Redis is unreachable."""
    try:
        pool = await _get_pool()
        if pool is None:
            log.warning("REDIS_URL is not set; %s(%s) left for the sweep", function, args)
            return False
        await asyncio.wait_for(pool.enqueue_job(function, *args, _job_id=job_id, _queue_name=queue), timeout=3)
        return True
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("Could not enqueue %s(%s): %s; left for the sweep", function, args, exc)
        return False


async def close_queue() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
        _pool = None
