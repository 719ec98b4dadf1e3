"""The app served by a real granian process on this test run's database, media folder and Redis."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.launching import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def granian(workers: int = 1) -> Iterator[tuple[str, int]]:
    """(base URL, pid of granian's main process), in its own process group, stopped at the end."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory", "server.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/login", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 60, "granian answers")
        yield url, process.pid
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
