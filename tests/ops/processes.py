"""Several web (granian) and worker (arq) processes on the test's database, Redis and
media folder, as an install spread over machines runs them: for the many-process test."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.launching import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent


ONE_MACHINE = {"web": 1, "workers": 1, "heavy_workers": 1}
"""What `make run` starts on one machine (server/launcher.py, WEB_WORKERS unset): one granian
process, the default-queue worker and the heavy-queue (HEIC) worker: `Fleet(dir, **ONE_MACHINE)`."""


class Fleet:
    """`web` granian processes (one worker each, on their own ports), `workers` arq processes
    on the default queue and `heavy_workers` on the heavy (HEIC) one, each in its own process
    group, their stderr kept in `log_dir`."""

    def __init__(self, log_dir: Path, web: int = 2, workers: int = 2, heavy_workers: int = 0, **env: str) -> None:
        self.log_dir = log_dir
        self.env = {**os.environ, "LOG_FORMAT": "json", **env}
        self.ports = [free_port() for _ in range(web)]
        self.processes: dict[str, subprocess.Popen] = {}
        for index, port in enumerate(self.ports):
            self._start(f"web{index + 1}", str(VENV_BIN / "granian"), "--interface", "asgi", "--factory",
                        "server.app:create_app", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                        "--loop", "uvloop", "--no-access-log")
        for index in range(workers):
            self._start(f"worker{index + 1}", *self.WORKER)
        for index in range(heavy_workers):
            self._start(f"heavy{index + 1}", str(VENV_BIN / "arq"), "workers.settings.HeavyWorkerSettings")

    WORKER = (str(VENV_BIN / "arq"), "workers.settings.WorkerSettings")

    def restart(self, name: str) -> None:
        """Start a dead worker again, as a supervisor would; its log goes on in the same file."""
        assert self.processes[name].poll() is not None, f"{name} is still running"
        self._start(name, *self.WORKER, mode="a")

    def _start(self, name: str, *command: str, mode: str = "w") -> None:
        log = open(self.log_dir / f"{name}.log", mode)
        self.processes[name] = subprocess.Popen(list(command), cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for url in self.urls:
            while True:
                for name, process in self.processes.items():
                    assert process.poll() is None, f"{name} exited:\n{self.log(name)}"
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{url} not ready within {timeout} s"
                time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def json_lines(self, name: str) -> list[dict]:
        lines = []
        for line in self.log(name).splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # granian's worker process, whatever was left
            except (ProcessLookupError, PermissionError):
                pass


LOCK_ERRORS = ("database is locked", "SQLITE_BUSY")
"""What SQLite says when a writer gave up waiting for the lock."""


def lock_errors(fleet: Fleet) -> list[str]:
    """Every line of every process's log that reports SQLite's lock timeout."""
    return [f"{name}: {line}" for name in fleet.processes for line in fleet.log(name).splitlines()
            if any(text in line for text in LOCK_ERRORS)]
