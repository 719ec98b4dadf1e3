"""A worker killed in the middle of processing (issue 14, figure 2): an arq worker
process is sent SIGKILL while it holds a photo's claim, again and again, and a new
one started each time, as a supervisor (systemd, `make run`'s launcher) would.
Result: each photo is processed exactly once (one completed result in the audit
trail, its variants stored once), every photo ends `ready`, and no temp file is left
behind. On SQLite with files on the local disk; on PostgreSQL with files in a bucket
(where the worker works on a local copy in the scratch space)."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from server.audit.tables import AuditEntry
from server.photos.storage import scratch_dir
from server.photos.tables import Photo
from server.settings import get_settings
from tests.inspections.support import defect_form, unit_under_inspection
from tests.ops.processes import Fleet
from tests.photos.images import phone_jpeg

ON_SQLITE = os.environ.get("DATABASE_URL", "").startswith("sqlite")
# The figure's 20 on SQLite; 10 on PostgreSQL with the bucket, to keep the suite short
# (`DEAD_WORKER_KILLS=20` for the figure there).
KILLS = int(os.environ.get("DEAD_WORKER_KILLS", "20" if ON_SQLITE else "10"))
WAITING = 4  # photos kept waiting for the worker, so each kill finds one to interrupt
CLAIM_SECONDS = 3  # PHOTO_CLAIM_SECONDS: how soon a dead worker's claim is handed on
SCRATCH_SECONDS = 4  # SCRATCH_MAX_AGE_SECONDS: how soon its temp files are removed
# Kill at different moments after the claim: decoding, writing the variants, recording the result.
KILL_DELAYS = (0.0, 0.02, 0.04, 0.06, 0.08)


async def claims(ids: list[int]) -> set[tuple[int, int]]:
    """(id, attempts) of each photo claimed now."""
    rows = await Photo.select(Photo.id, Photo.attempts).where(
        Photo.id.is_in(ids) & (Photo.status == "processing")).run()
    return {(row["id"], row["attempts"]) for row in rows}


async def claimed_photo(ids: list[int], dead: set[tuple[int, int]], timeout: float = 60) -> tuple[int, int] | None:
    """The (id, attempts) of a photo the live worker is processing now (not a claim that a
    killed worker left behind), or None once every photo is ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = await claims(ids) - dead
        # A photo whose processing killed its worker MAX_ATTEMPTS times is given up on (a file
        # that crashes every worker must not crash them forever), so each photo is killed on
        # purpose once at most. (A kill meant for one photo can land on the next one, if the
        # first finished meanwhile: that one then has a spare attempt.)
        killed_on = {photo_id for photo_id, _ in dead}
        killable = [claim for claim in live if claim[0] not in killed_on]
        if killable:
            return min(killable)
        rows = await Photo.select(Photo.status).where(Photo.id.is_in(ids)).run()
        if all(row["status"] == "ready" for row in rows):
            return None
        await asyncio.sleep(0.01)
    raise AssertionError(f"no photo was claimed within {timeout} s")


def kill(fleet: Fleet, name: str) -> None:
    os.killpg(fleet.processes[name].pid, signal.SIGKILL)
    fleet.processes[name].wait(timeout=10)


def temp_files(media_root: Path) -> list[str]:
    """Temp files anywhere under the media folder: the scratch space, or a half-written
    variant's `.part` file among the stored ones."""
    found = [str(path) for path in scratch_dir().iterdir()]
    found += [str(path) for path in media_root.rglob("*.part*")]
    return found


@pytest.fixture
def storage(request):
    # Files on the local disk on SQLite (one machine), in a bucket on PostgreSQL (many).
    return "local" if ON_SQLITE else "s3"


async def test_a_worker_killed_mid_photo_again_and_again_processes_each_photo_once(
        personas, tmp_path, request, monkeypatch, storage):
    env = {"PHOTO_CLAIM_SECONDS": str(CLAIM_SECONDS), "PHOTO_SWEEP_SECONDS": "1",
           "SCRATCH_MAX_AGE_SECONDS": str(SCRATCH_SECONDS)}
    if storage == "s3":
        from tests.conftest import use_storage_url

        url = request.getfixturevalue("s3_server").storage_url(prefix=f"dead-{os.getpid()}-{time.time_ns()}")
        use_storage_url(monkeypatch, url)
        env["STORAGE_URL"] = url
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    party = personas.parties["builder_a"].id
    # 12-MP phone photos: a few hundred ms of work each, a window to kill the worker in.
    photo = phone_jpeg((3000, 4000))
    ids: list[int] = []

    async def take_photos(count: int) -> None:
        for _ in range(count):
            r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                               data=defect_form(party, description=f"进程被杀 {len(ids)}"),
                               files=[("photos", (f"p{len(ids)}.jpg", photo, "image/jpeg"))])
            assert r.status_code == 201, r.text
            ids.extend(p["id"] for p in r.json()["photos"])

    await take_photos(WAITING)

    fleet = Fleet(tmp_path, web=0, workers=1, **env)
    dead: set[tuple[int, int]] = set()  # claims the killed workers held: (photo id, attempt)
    kills = signals = 0
    try:
        started = time.monotonic()
        while kills < KILLS:
            assert time.monotonic() - started < 300, f"only {kills} kills caught a photo mid-processing in 300 s"
            # The inspector goes on taking photos, so the worker always has some to do.
            waiting = await Photo.count().where(Photo.id.is_in(ids) & (Photo.status != "ready")).run()
            await take_photos(max(0, WAITING - waiting))
            caught = await claimed_photo(ids, dead)
            if caught is None:
                continue  # every photo was done before one could be caught: take more
            await asyncio.sleep(KILL_DELAYS[kills % len(KILL_DELAYS)])
            kill(fleet, "worker1")
            signals += 1
            # The worker had taken several jobs at once (one decodes, the others wait for the
            # core): every claim it held dies with it, and costs that photo one attempt.
            held = await claims(ids)
            # Killed in the middle of processing: it held a claim it had made (the photo caught,
            # or the next one, if the caught one was done before the signal arrived).
            kills += bool(held - dead)
            dead |= held
            fleet.restart("worker1")
        # The last worker lives: it takes back the dead ones' claims and finishes everything.
        deadline = time.monotonic() + 60 + CLAIM_SECONDS
        while True:
            rows = await Photo.select(Photo.id, Photo.status, Photo.attempts).where(Photo.id.is_in(ids)).run()
            if {row["status"] for row in rows} == {"ready"}:
                break
            assert time.monotonic() < deadline, sorted((row["id"], row["status"]) for row in rows)
            await asyncio.sleep(0.2)
        recovered = time.monotonic() - started

        # Each kill cost the photos it held one attempt each, and nothing else did.
        interrupted = Counter(photo_id for photo_id, _ in dead)
        assert {row["id"]: row["attempts"] for row in rows} == {i: 1 + interrupted[i] for i in ids}
        # Processed exactly once: one completed result per photo in the audit trail.
        results = await AuditEntry.select(AuditEntry.object_id).where(
            (AuditEntry.object_type == "photo") & (AuditEntry.action == "process")
            & AuditEntry.object_id.is_in([str(i) for i in ids])).run()
        assert sorted(int(row["object_id"]) for row in results) == sorted(ids)
        # Its display image and thumbnail are stored and readable.
        from server.photos.storage import get_storage

        stored = await Photo.select(Photo.display_key, Photo.thumb_key).where(Photo.id.is_in(ids)).run()
        for row in stored:
            assert (await get_storage().read_bytes(row["display_key"]))[:2] == b"\xff\xd8"
            assert (await get_storage().read_bytes(row["thumb_key"]))[:2] == b"\xff\xd8"

        # No temp file left behind: the sweep removes what the dead workers were writing.
        media_root = get_settings().media_root
        deadline = time.monotonic() + SCRATCH_SECONDS + 15
        while temp_files(media_root):
            assert time.monotonic() < deadline, temp_files(media_root)
            await asyncio.sleep(0.5)
        print(f"\nDead worker ({storage}, {'SQLite' if ON_SQLITE else 'PostgreSQL'}): {signals} SIGKILLs, "
              f"{kills} of them mid-photo; {len(interrupted)} photos interrupted "
              f"(at most {max(interrupted.values())} times), "
              f"{len(ids)} of {len(ids)} ready, each processed once, in {recovered:.1f} s; no temp file left")
    finally:
        fleet.stop()
