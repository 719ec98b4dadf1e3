"""A Redis outage under `make run` (`python -m server run`): the real launcher,
granian and arq workers against a redis-server this test owns, killed and
then hung (SIGSTOP). The site keeps answering, the launcher restarts the
worker that lost Redis, and the photos taken meanwhile are processed once
Redis is back."""
from __future__ import annotations

import os
import signal
import sqlite3
import time

import httpx
import pytest

from tests.inspections.support import defect_form, photo_files
from tests.launching import Launched, free_port, wait_until
from tests.support import RedisServer, redis_server_binary

UPLOAD_LIMIT = 2.0  # seconds: a photo upload answers within this whatever Redis does


def _rows(db_path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


def _sign_in(base_url: str, username: str) -> httpx.Client:
    """The browser way: the form with its CSRF token; the session lives in the database."""
    client = httpx.Client(base_url=base_url, timeout=10)
    client.get("/login")
    token = client.cookies["csrftoken"]
    r = client.post("/login", data={"username": username, "password": "demo12345", "next": "/"},
                    headers={"X-CSRFToken": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    client.headers["X-CSRFToken"] = token
    return client


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("sqlite"), reason="uses its own SQLite file")
def test_the_site_keeps_working_while_redis_is_down_or_hung(tmp_path):
    redis = RedisServer(redis_server_binary(), free_port(), tmp_path / "redis-owned")
    redis.start()
    run = Launched(tmp_path, REDIS_URL=f"redis://127.0.0.1:{redis.port}/0", PHOTO_SWEEP_SECONDS="2")
    try:
        run.wait_until_serving()
        db = run.db_path
        unit_id = _rows(db, "SELECT id FROM unit ORDER BY id DESC LIMIT 1")[0][0]
        party_id = _rows(db, "SELECT id FROM party WHERE name = '中建三局第一工程公司'")[0][0]
        api = httpx.Client(base_url=run.base_url, timeout=10)
        token = api.post("/api/v1/auth/token", json={"username": "yanfang", "password": "demo12345"})
        api.headers["Authorization"] = f"Bearer {token.json()['token']}"
        inspection = api.post("/api/v1/inspections", json={"unit_id": unit_id}).json()
        assert api.post(f"/api/v1/inspections/{inspection['id']}/start").status_code == 200
        web_server = run.child("granian")

        def upload(label: str) -> dict:
            started = time.monotonic()
            r = api.post(f"/api/v1/inspections/{inspection['id']}/defects",
                         data=defect_form(party_id, description=label), files=photo_files(3))
            took = time.monotonic() - started
            assert r.status_code == 201, r.text
            assert took < UPLOAD_LIMIT, f"{label}: the upload took {took:.2f} s"
            return r.json()

        def photo_statuses(defect_ids: list[int]) -> list[str]:
            marks = ",".join("?" * len(defect_ids))
            return [row[0] for row in _rows(
                db, f"SELECT status FROM photo WHERE subject_type = 'defect' AND subject_id IN ({marks})",
                *defect_ids)]

        def site_answers(label: str) -> int:
            """Upload, sign-in, a page and an API GET, through HTTP, while Redis is not there."""
            defect = upload(label)
            assert [p["status"] for p in defect["photos"]] == ["pending"] * 3
            assert photo_statuses([defect["id"]]) == ["pending"] * 3
            browser = _sign_in(run.base_url, "kefu")
            page = browser.get(f"/inspections/defects/{defect['id']}")
            assert page.status_code == 200 and label in page.text
            fetched = api.get(f"/api/v1/defects/{defect['id']}")
            assert fetched.status_code == 200 and fetched.json()["description"] == label
            assert run.process.poll() is None, "the launcher stopped"
            assert run.child("granian") == web_server, "the web server was restarted"
            return defect["id"]

        # Up: a photo is processed through the queue.
        first = upload("Redis 正常时记录")["id"]
        wait_until(lambda: photo_statuses([first]) == ["ready"] * 3, 30, "photos processed while Redis is up")

        # Down: the worker loses Redis, exits, and is started again.
        worker = run.child("workers.settings.WorkerSettings")
        seen = len(run.lines)
        redis.process.kill()
        redis.process.wait()
        run.wait_for(f"worker (pid {worker}) exited with code", 15, after=seen)
        while_down = site_answers("Redis 停止时记录")
        run.wait_for("Restarted worker (pid", 15, after=seen)

        # Hung: Redis accepts connections and never answers.
        redis.start()
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            while_hung = site_answers("Redis 挂起时记录")
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)

        # Back: the sweep queues what was left pending, and the worker processes it.
        wait_until(lambda: photo_statuses([while_down, while_hung]) == ["ready"] * 6, 40,
                    "photos taken during the outage processed after it")
        assert run.interrupt() == 0
    finally:
        run.kill()
        redis.stop()

