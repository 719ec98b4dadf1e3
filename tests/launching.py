"""`python -m server run` as a subprocess, for the tests of the launcher: its
own SQLite file, media folder and port, its output collected as it comes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.25)


class Launched:
    """The launcher in its own process group, as a terminal runs it; Ctrl-C is `interrupt()`."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.port = free_port()
        self.db_path = tmp_path / "run.db"
        base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HOST", "DEMO", "PORT")}
        base.update(DATABASE_URL=f"sqlite:///{self.db_path}", PORT=str(self.port),
                    MEDIA_ROOT=str(tmp_path / "media"), LOCAL_REDIS_DIR=str(tmp_path / "redis"))
        base.update(env)
        self.host = base.get("HOST", "127.0.0.1")
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, "-m", "server", "run"], env=base, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.groups = {self.process.pid}
        """Process groups to look in: the launcher's, and each child's own (start_new_session)."""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float, after: int = 0) -> int:
        """Wait until a line (from line number `after` on) contains `text`; its index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(after, len(self.lines)):
                if text in self.lines[index]:
                    return index
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no line with {text!r} within {timeout} s:\n{self.output()}")

    def wait_until_serving(self, timeout: float = 90) -> None:
        self.wait_for(f"http://{self.host}:{self.port}/", timeout)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{self.base_url}/login", timeout=2).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def children(self) -> dict[int, str]:
        """The launcher's direct children: pid -> command line."""
        pids = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        found = {}
        for pid in pids:
            try:
                found[int(pid)] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except FileNotFoundError:
                pass
        self.groups.update(found)
        return found

    def child(self, needle: str) -> int:
        matches = [pid for pid, cmd in self.children().items() if needle in cmd]
        assert len(matches) == 1, f"{needle}: {self.children()}"
        return matches[0]

    def interrupt(self) -> int:
        """Ctrl-C in the terminal: SIGINT to the whole group. The exit code."""
        self.children()  # the groups of the children running now
        os.killpg(os.getpgid(self.process.pid), signal.SIGINT)
        return self.process.wait(timeout=30)

    def left_running(self) -> list[str]:
        """Processes still alive in the launcher's group or any of its children's groups
        (granian's workers among them). A zombie is not alive: one whose parent was
        killed belongs to init to reap, which a container may never do."""
        rows = subprocess.run(["ps", "-e", "-o", "pgid=,stat=,pid=,args="], capture_output=True, text=True).stdout
        groups = {str(g) for g in self.groups}
        return [row.strip() for row in rows.splitlines()
                if row.split()[0] in groups and not row.split()[1].startswith("Z")]

    def web_processes(self) -> list[str]:
        """Live granian processes serving this run's port (the main process and its workers)."""
        rows = subprocess.run(["ps", "-ww", "-e", "-o", "stat=,pid=,args="], capture_output=True, text=True).stdout
        return [row.strip() for row in rows.splitlines()
                if "granian" in row and f"--port {self.port} " in row and not row.split()[0].startswith("Z")]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.children()
            os.killpg(os.getpgid(self.process.pid), signal.SIGKILL)
            self.process.wait()
        for group in self.groups - {self.process.pid}:  # what a failed test left behind
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
