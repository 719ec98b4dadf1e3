"""`/healthz` and `/readyz` against the real database and the suite's real Redis,
which these tests stop and hang (SIGSTOP)."""
from __future__ import annotations

import os
import signal
import time

PROBE_LIMIT = 1.8  # seconds: PROBE_TIMEOUT (1 s) plus slack on a loaded 2-core machine


async def test_healthz_and_readyz_answer_ok_when_everything_is_up(client):
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}
    assert ready.headers["cache-control"] == "no-store"


async def test_readyz_answers_503_in_chinese_at_once_when_redis_is_stopped(client, redis_server):
    redis_server.stop()
    try:
        started = time.monotonic()
        ready = await client.get("/readyz")
        took = time.monotonic() - started
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "status_code": 503, "database": "ok",
                                "redis": "unreachable", "detail": "服务暂不可用：无法连接任务队列（Redis）。"}
        assert took < PROBE_LIMIT, f"/readyz took {took:.2f} s"
        print(f"\nFIGURE readyz, Redis stopped: 503 in {took * 1000:.0f} ms")
        # The process itself is fine: a supervisor must not restart it.
        assert (await client.get("/healthz")).status_code == 200
        client.cookies["lang"] = "en"
        english = await client.get("/readyz")
        assert english.json()["detail"] == "The service is not ready: the job queue (Redis) cannot be reached."
    finally:
        redis_server.start()
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_answers_503_within_the_probe_timeout_when_redis_hangs(client, redis_server):
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        ready = await client.get("/readyz")
        took = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert ready.status_code == 503
    assert ready.json()["redis"] == "unreachable"
    assert ready.json()["database"] == "ok"
    assert took < PROBE_LIMIT, f"/readyz took {took:.2f} s"
    print(f"\nFIGURE readyz, Redis hung (SIGSTOP): 503 in {took * 1000:.0f} ms")


async def test_probes_answer_a_signed_in_caller_too(personas):
    browser = await personas.browser("carol")
    assert (await browser.get("/readyz")).status_code == 200
    assert (await browser.get("/healthz")).status_code == 200
