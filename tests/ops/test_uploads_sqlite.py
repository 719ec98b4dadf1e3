"""Issue 14, figure 1, concurrent uploads on SQLite: the processes `make run` starts on one
machine (tests/ops/processes.ONE_MACHINE: one granian process, the default-queue worker and the
heavy-queue worker) on the suite's SQLite file, files on the local disk. The scenario (re-sends
with the same client_id, a part at the same moment, uploads cut off half-way) is
tests/ops/uploads.py, the one the PostgreSQL many-process test runs. Result: 0 lost,
0 duplicated, every photo `ready`, claimed once, its three files on disk once, and no
"database is locked" in any process's log."""
from __future__ import annotations

import os

import pytest

from tests.inspections.support import unit_under_inspection
from tests.ops.processes import ONE_MACHINE, Fleet, lock_errors
from tests.ops.uploads import Uploads

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="one machine's processes on a SQLite file; PostgreSQL: test_many_processes.py")


async def test_one_machines_processes_on_sqlite_lose_and_double_nothing(personas, tmp_path):
    _, inspection = await unit_under_inspection(personas)
    token = (await personas.api("ian")).headers["Authorization"]
    # The fleet's own media folder, so the files counted are this test's only.
    media = tmp_path / "media"
    fleet = Fleet(tmp_path, **ONE_MACHINE, PHOTO_SWEEP_SECONDS="5", MEDIA_ROOT=str(media))
    try:
        fleet.wait_until_ready()
        uploads = Uploads()
        await uploads.send(fleet.urls, token, inspection["id"], personas.parties["builder_a"].id)
        await uploads.check_stored(inspection["id"])
        took = await uploads.wait_until_ready(workers=1)

        # Each photo's original, display image and thumbnail on disk, once; the scratch space
        # (uploads in flight, the cut-off ones' leftovers until the sweep) is not storage.
        await uploads.check_files([str(path.relative_to(media)) for path in media.rglob("*")
                                   if path.is_file() and path.relative_to(media).parts[0] != "tmp"])

        # The JPEGs are the default queue's: the heavy (HEIC) worker runs beside it, idle.
        uploads.check_logs(fleet, inspection["id"], web=["web1"], photo_workers=["worker1"])
        assert lock_errors(fleet) == []
        print(f"\nFIGURE uploads-sqlite: {uploads.summary()}, through 1 web process, photos by 1 worker "
              f"(+ the idle heavy one), 0 'database is locked', in {took:.1f} s")
    finally:
        fleet.stop()
