"""A PostgreSQL cluster of the test's own, made with Debian's binaries, that the test may
crash and start again without disturbing the machine's shared PostgreSQL (other tests use
that one). Server processes refuse to run as root: as root, they run as the `postgres` user."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.launching import free_port


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or None."""
    found = [Path(path).parent for path in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
             if Path(path).with_name("initdb").exists()]
    found.sort(key=lambda path: float(path.parent.name) if path.parent.name.replace(".", "").isdigit() else 0)
    return found[-1] if found else None


def missing_reason() -> str | None:
    """Why a private cluster cannot be made here (for a skip), or None when it can."""
    if postgres_bin_dir() is None:
        return ("PostgreSQL server binaries missing: no /usr/lib/postgresql/*/bin/initdb and pg_ctl "
                "(apt-get install postgresql)")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser to start PostgreSQL as the postgres user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root with no postgres user to run PostgreSQL as"
    return None


class PrivatePostgres:
    """initdb in a fresh directory, then pg_ctl start/stop on a free loopback port."""

    def __init__(self, database: str = "app") -> None:
        self.bin = postgres_bin_dir()
        # Not pytest's tmp_path: its parents are root's, mode 700, and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="pg-private-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"  # unix sockets here, not in the shared /var/run/postgresql
        self.sockets.mkdir()
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.database = database
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*self._as_postgres, str(self.bin / program), *args], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, f"{program} {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result

    def start(self, wait: bool = True) -> None:
        """Start the server; with wait=False return at once (the caller watches for it to accept)."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w" if wait else "-W",
                  "-o", f"-k {self.sockets} -h 127.0.0.1 -p {self.port}", "start")

    def stop(self, mode: str) -> None:
        """`immediate`: every server process is killed at once, as in a crash (recovery from the
        WAL at the next start); `fast`: sessions are ended and their transactions rolled back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self) -> None:
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{self.database}"')

    def remove(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)  # -w: returns once it is gone
        shutil.rmtree(self.root, ignore_errors=True)
