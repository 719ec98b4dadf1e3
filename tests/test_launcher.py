"""`python -m server run` (what `make run` calls): starts its own Redis, migrates, loads the
demo on a loopback HOST, serves the site in Chinese, starts again whatever stops, and
Ctrl-C to the process group stops everything it started."""
import os
import signal
import sqlite3
import urllib.request

import pytest
import redis

from tests.launching import Launched, wait_until

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="uses its own SQLite file")

ADMIN_HINT = "python -m server createsuperuser --username U --password P"


def _usernames(db_path) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        return {row[0] for row in conn.execute('SELECT username FROM app_user')}


def _answers(client: redis.Redis) -> bool:
    try:
        return client.ping() is True
    except redis.ConnectionError:
        return False


def test_run_starts_everything_restarts_what_stops_and_ctrl_c_stops_it(tmp_path):
    run = Launched(tmp_path)
    try:
        run.wait_until_serving()
        assert "登录" in urllib.request.urlopen(f"{run.base_url}/login", timeout=5).read().decode()
        assert "Demo data loaded" in run.output() and "admin" in _usernames(run.db_path)
        assert "Started a local Redis" in run.output()

        # The private Redis dies: it is started again on the same socket, and so is the worker that lost it.
        private_redis, worker = run.child("redis-server"), run.child("workers.settings.WorkerSettings")
        seen = len(run.lines)
        os.kill(private_redis, signal.SIGKILL)
        run.wait_for(f"redis-server (pid {private_redis}) exited with code -9", 10, after=seen)
        run.wait_for("Restarted redis-server (pid", 10, after=seen)
        run.wait_for(f"worker (pid {worker}) exited with code 1", 10, after=seen)
        run.wait_for("Restarted worker (pid", 10, after=seen)
        restarted = redis.Redis(unix_socket_path=str(tmp_path / "redis" / "redis.sock"))
        wait_until(lambda: _answers(restarted), 10, "the restarted Redis answers on the same socket")

        # The web server dies: it is started again on the same port.
        web_server = run.child("granian")
        seen = len(run.lines)
        os.kill(web_server, signal.SIGKILL)
        run.wait_for(f"web server (pid {web_server}) exited with code -9", 10, after=seen)
        run.wait_for("Restarted web server (pid", 10, after=seen)
        # Its worker processes, orphaned by the kill, do not serve on beside the new one.
        wait_until(lambda: len(run.web_processes()) == 2, 10, "one main process and one worker serve, no orphan")
        run.wait_until_serving()
        assert run.child("granian") != web_server

        assert run.interrupt() == 0  # what Ctrl-C in the terminal does
        assert run.left_running() == [], "processes left running"
    finally:
        run.kill()


def _first_run(tmp_path, **env: str) -> Launched:
    """Start, wait until everything is up, and Ctrl-C."""
    run = Launched(tmp_path, **env)
    try:
        run.wait_for("is running at", 90)
        assert run.interrupt() == 0
    finally:
        run.kill()
    return run


def test_a_public_host_starts_without_the_demo_and_says_how_to_make_the_first_admin(tmp_path):
    run = _first_run(tmp_path, HOST="0.0.0.0")
    assert _usernames(run.db_path) == set()
    assert "Demo data loaded" not in run.output()
    assert f"Create the first admin: {ADMIN_HINT}" in run.output()
    assert "HOST=0.0.0.0 is not a loopback address" in run.output()

    # DEMO=1 asks for the demo on any host.
    run = _first_run(tmp_path, HOST="0.0.0.0", DEMO="1")
    assert "Demo data loaded" in run.output()
    assert {"admin", "kefu", "yanfang"} <= _usernames(run.db_path)


def test_demo_0_keeps_the_demo_off_a_loopback_host(tmp_path):
    run = _first_run(tmp_path, HOST="127.0.0.1", DEMO="0")
    assert _usernames(run.db_path) == set()
    assert f"Create the first admin: {ADMIN_HINT}" in run.output()
    assert "DEMO=0" in run.output()
