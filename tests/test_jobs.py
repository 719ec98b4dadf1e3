"""Enqueueing from the web process never waits long on Redis: a hung Redis
(accepting connections, never answering) costs one short timeout, not one per
job, and a Redis that is down fails at once. The job is left for the sweep."""
import asyncio
import os
import signal
import time

import redis

from server import jobs


def _queued(redis_server) -> int:
    return redis.Redis(port=redis_server.port).zcard(jobs.DEFAULT_QUEUE)


async def test_a_hung_redis_costs_one_short_timeout_then_jobs_queue_again(redis_server):
    assert await jobs.enqueue("process_photo", 1, job_id="photo:1") is True  # connected before it hangs
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        results = [await jobs.enqueue("process_photo", n, job_id=f"photo:{n}") for n in range(2, 12)]
        took = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert results == [False] * 10
    assert jobs.ENQUEUE_TIMEOUT <= took < jobs.ENQUEUE_TIMEOUT + 0.5
    await asyncio.sleep(jobs.SKIP_AFTER_TIMEOUT)
    assert await jobs.enqueue("process_photo", 12, job_id="photo:12") is True
    assert _queued(redis_server) == 2


async def test_a_redis_that_is_down_fails_at_once_and_is_tried_again_at_once(redis_server):
    redis_server.stop()
    try:
        started = time.monotonic()
        results = [await jobs.enqueue("process_photo", n, job_id=f"photo:{n}") for n in range(1, 4)]
        took = time.monotonic() - started
    finally:
        redis_server.start()
    assert results == [False] * 3
    assert took < jobs.ENQUEUE_TIMEOUT
    assert await jobs.enqueue("process_photo", 4, job_id="photo:4") is True
    assert _queued(redis_server) == 1
