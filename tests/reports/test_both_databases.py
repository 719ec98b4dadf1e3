"""The same dashboard figures on SQLite and on PostgreSQL.

The figures of known.py are computed here, on the suite's database, and by a
second process on the other database (a fresh SQLite file when the suite runs
on PostgreSQL; a throwaway PostgreSQL database, created and dropped here, when
it runs on SQLite), then compared field by field: counts, percentages,
median and p90 in seconds, ageing buckets, in the same order."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.reports.known import EXPECTED, build, named_figures

ROOT = Path(__file__).resolve().parents[2]
PG = ("127.0.0.1", "5432")


def _figures_in_process_on(url: str, work: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), MEDIA_ROOT=str(work / "media"),
               SECRET_KEY="test-secret-key-0123456789abcdef")
    done = subprocess.run([sys.executable, "-m", "tests.reports.known"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres_ready() -> bool:
    try:
        return subprocess.run(["pg_isready", "-h", PG[0], "-p", PG[1], "-q"], timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


async def test_same_figures_on_sqlite_and_postgresql():
    here_url = os.environ["DATABASE_URL"]
    ids = await build()
    here = json.loads(json.dumps(await named_figures(ids), ensure_ascii=False, sort_keys=True))
    assert here["pass_rate"] == EXPECTED["pass_rate"]
    with tempfile.TemporaryDirectory(prefix="reports-both-") as tmp:
        work = Path(tmp)
        if here_url.startswith("postgresql"):
            there = _figures_in_process_on(f"sqlite:///{work}/other.db", work)
        else:
            if not _postgres_ready():
                pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (CI starts it)")
            name = f"cs_reports_{os.getpid()}_{int(time.time())}"
            psql = ["psql", "-h", PG[0], "-p", PG[1], "-U", "postgres", "-qc"]
            subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, timeout=60)
            try:
                there = _figures_in_process_on(f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}", work)
            finally:
                # Generous: on the shared CI machine a DROP has waited over a minute for its locks.
                subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], timeout=300)
    assert set(there) == set(here)
    for key in here:
        assert there[key] == here[key], key
    # Not two equal wrong answers: the hand count holds on both.
    assert [r["median_seconds"] for r in there["rectification_times"]] == [172800, 259200]
    assert [r["p90_seconds"] for r in there["rectification_times"]] == [345600, 864000]
