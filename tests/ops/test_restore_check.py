"""Backups (issue 14): `make restore-check` dumps the PostgreSQL database and the media
folder, restores both into a fresh database and folder, and compares row counts and
file hashes; a backup that differs from its manifest fails it, naming the difference.
PostgreSQL only: SQLite installs copy the file (README, "Backups")."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.inspections.support import defect_form, photo_files, unit_under_inspection
from tests.photos.support import run_worker

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="pg_dump and pg_restore: PostgreSQL only")


def run(*command: str) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(list(command), cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                            timeout=300)
    print(f"\nFIGURE {' '.join(command[:3])}: exit {result.returncode} in {time.monotonic() - started:.1f} s\n"
          f"{result.stdout}")
    return result


async def _records_with_photos(personas) -> None:
    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    for _ in range(2):
        r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                           data=defect_form(personas.parties["builder_a"].id), files=photo_files(2))
        assert r.status_code == 201, r.text
    await run_worker(WorkerSettings)  # originals, display images and thumbnails on disk


async def test_make_restore_check_passes_on_a_faithful_backup_and_names_each_difference(personas, tmp_path):
    await _records_with_photos(personas)
    venv_bin = str(Path(sys.executable).parent)
    checked = run("make", "-s", "restore-check", f"BIN={venv_bin}", "STAMP=")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = re.search(r"Restore check passed: (\d+) tables \((\d+) rows\) and (\d+) files restored identical",
                        checked.stdout)
    assert summary, checked.stdout
    assert int(summary.group(3)) >= 4 * 3  # four photos, each original, display image and thumbnail

    backup = tmp_path / "backup"
    made = run(sys.executable, "-m", "server", "backup", "--to", str(backup))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["tables"]["defect"] == 2
    assert manifest["tables"]["photo"] == 4
    # Damage the backup as a bad disk or a half-copied folder would: one photo's bytes
    # changed, one file gone, and a row count that the dump does not hold.
    names = sorted(manifest["files"])
    changed, lost = names[0], names[1]
    with tarfile.open(backup / "media.tar") as archive:
        members = [(m, archive.extractfile(m).read()) for m in archive.getmembers() if m.isfile()]
    with tarfile.open(backup / "media.tar", "w") as archive:
        for member, data in members:
            if member.name == lost:
                continue
            if member.name == changed:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            archive.addfile(member, io.BytesIO(data))
    manifest["tables"]["defect"] = 3
    (backup / "manifest.json").write_text(json.dumps(manifest))

    failed = run("make", "-s", "restore-check", f"BIN={venv_bin}", "STAMP=", f"FROM={backup}")
    assert failed.returncode != 0
    lines = [line for line in failed.stdout.splitlines() if line.startswith("DIFFERENT ")]
    assert lines[0] == "DIFFERENT table defect: 3 rows backed up, 2 restored"
    assert re.fullmatch(rf"DIFFERENT file {re.escape(changed)}: SHA-256 \S+ restored, \S+ backed up", lines[1])
    assert lines[2:] == [f"DIFFERENT file {lost}: in the backup but not restored"]
    assert "Restore check FAILED: 3 difference(s)" in failed.stdout
    leftover = run("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
                   "SELECT count(*) FROM pg_database WHERE datname LIKE '%restore_check%'")
    assert leftover.stdout.strip() == "0"
