"""Issue 14, figure 5, SQLite under writers: one granian web process and 2 arq workers (what
`make run` starts, tests/ops/processes.ONE_MACHINE) on one SQLite file, and 20 concurrent
writers (SQLITE_WRITERS) for SQLITE_WRITERS_SECONDS (the suite's 20 s; the benchmark's 300).
Each writer goes round a mix of writes that touch different tables, as the people of a CS center
do, with no pause between them (the worst case for the one write lock):

  inspector: a new defect with a photo (defect, photo, audit; the worker then processes the photo)
  contractor: an after-photo of its own defect, from an iPhone (HEIC: the heavy worker's), then
    "rectified" (photo, defect, audit, notifications)
  supervisor: a check of that defect (defect_check, audit)
  inspector: the recheck fails, the defect is reopened (recheck, defect, notifications; jobs queued)
  CS staff: a repair request for a home, an inquiry, and its answer (repair, inquiry, audit)

Result: no answer is 5xx (nor anything but the expected 200/201), and no process logs
"database is locked" / SQLITE_BUSY: server/db.py's WAL, busy timeout and BEGIN IMMEDIATE keep
the writers queued instead of failing. Prints requests/s, write latencies and counts by kind."""
from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from server.org.tables import Unit
from server.photos.tables import Photo
from tests.inspections.support import complete, defect_form, new_id, photo_files, unit_under_inspection
from tests.ops.processes import ONE_MACHINE, Fleet, lock_errors
from tests.photos.images import heic
from tests.repairs.support import form as repair_form, multipart

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="SQLite's single writer is the subject; PostgreSQL has row locks")

SECONDS = float(os.environ.get("SQLITE_WRITERS_SECONDS", "20"))
WRITERS = int(os.environ.get("SQLITE_WRITERS", "20"))

EXPECTED = {"defect": 201, "after_photo": 201, "rectify": 200, "check": 201, "recheck": 200, "repair": 201,
            "inquiry": 201, "answer": 200}
"""Each kind of write, in the order of a writer's round, and its answer."""
AFTER_PHOTO = [("photos", ("after.heic", heic(), "image/heic"))]


@dataclass
class World:
    """What the writers write to, made in the test process before the web process starts."""

    inspection_id: int  # in progress: new defects go here
    party_id: int
    own_defects: list[int]  # one per writer, with a rectification notice: rectified and reopened in turn
    repair_unit: int
    tokens: dict[str, str]


async def set_up(personas) -> World:
    unit, inspection = await unit_under_inspection(personas)
    party = personas.parties["builder_a"].id
    units = [row["id"] for row in await Unit.select(Unit.id).where(Unit.building == unit["building_id"])
             .order_by(Unit.id).run()]
    tokens = {name: (await personas.api(name)).headers["Authorization"] for name in ("ian", "bob", "sam", "carol")}
    return World(inspection_id=inspection["id"], party_id=party,
                 own_defects=await defects_with_notice(personas, units[1], party), repair_unit=units[2],
                 tokens=tokens)


async def defects_with_notice(personas, unit_id: int, party_id: int) -> list[int]:
    """One open defect per writer in a completed inspection, so each has its rectification notice
    (a contractor may rectify only then)."""
    carol, ian = await personas.api("carol"), await personas.api("ian")
    inspection = (await carol.post("/api/v1/inspections", json={
        "unit_id": unit_id, "inspector_id": personas.user("ian").id})).json()
    base = f"/api/v1/inspections/{inspection['id']}"
    assert (await ian.post(f"{base}/start")).status_code == 200
    ids = []
    for n in range(WRITERS):
        r = await ian.post(f"{base}/defects", files=multipart(defect_form(party_id, description=f"整改往复 {n}")))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert (await complete(ian, inspection["id"])).status_code == 200
    return ids


@dataclass
class Tally:
    """Every write's kind, answer (0: no answer at all) and seconds."""

    writes: list[tuple[str, int, float]] = field(default_factory=list)

    async def post(self, client: httpx.AsyncClient, kind: str, path: str, token: str, **body) -> dict:
        started = time.monotonic()
        try:
            r = await client.post(path, headers={"Authorization": token}, **body)
        except httpx.HTTPError:
            self.writes.append((kind, 0, time.monotonic() - started))
            return {}
        self.writes.append((kind, r.status_code, time.monotonic() - started))
        return r.json() if r.status_code == EXPECTED[kind] else {}

    def unexpected(self) -> Counter:
        return Counter((kind, status) for kind, status, _ in self.writes if status != EXPECTED[kind])

    def server_errors(self) -> int:
        return sum(1 for _, status, _ in self.writes if status >= 500)

    def percentile(self, p: int) -> float:
        """The p-th percentile of the write latencies, in ms."""
        return statistics.quantiles([s for _, _, s in self.writes], n=100)[p - 1] * 1000

    def by_kind(self) -> dict[str, int]:
        counts = Counter(kind for kind, _, _ in self.writes)
        return {kind: counts[kind] for kind in EXPECTED}


async def one_round(client: httpx.AsyncClient, world: World, defect_id: int, tally: Tally) -> None:
    """A writer's round: each kind of write once (see the module's docstring)."""
    t = world.tokens
    await tally.post(client, "defect", f"/api/v1/inspections/{world.inspection_id}/defects", t["ian"],
                     data=defect_form(world.party_id, description="写入压力 墙面空鼓"), files=photo_files(1))
    own = f"/api/v1/defects/{defect_id}"
    await tally.post(client, "after_photo", f"{own}/photos", t["bob"],
                     data={"client_id": new_id(), "stage": "rectified"}, files=AFTER_PHOTO)
    await tally.post(client, "rectify", f"{own}/rectify", t["bob"], json={"note": "已重新批补"})
    await tally.post(client, "check", f"{own}/checks", t["sam"], json={"result": "ok", "note": "过程检查"})
    await tally.post(client, "recheck", f"{own}/recheck", t["ian"], json={"result": "fail", "note": "仍有空鼓"})
    await tally.post(client, "repair", f"/api/v1/units/{world.repair_unit}/repairs", t["carol"],
                     files=multipart(repair_form()))
    inquiry = await tally.post(client, "inquiry", "/api/v1/inquiries", t["carol"], json={
        "asker_name": "王先生", "asker_phone": "13900000001", "channel": "phone", "question": "交房时间是哪天"})
    if inquiry:
        await tally.post(client, "answer", f"/api/v1/inquiries/{inquiry['id']}/answer", t["carol"],
                         json={"answer": "按交付通知书的时间"})


async def writer(url: str, world: World, defect_id: int, tally: Tally, until: float) -> None:
    """One client (its own connection, as a phone or a CS desk has) writing round after round."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.monotonic() < until:
            await one_round(client, world, defect_id, tally)


def log_counts(fleet: Fleet) -> dict[str, dict[str, int]]:
    """Per process: the photos it processed and the lines it logged at ERROR (to look at, not a check:
    a notice that cannot be sent is an error too)."""
    return {name: {"photos": sum(1 for line in fleet.json_lines(name) if line.get("job") == "process_photo"),
                   "errors": sum(1 for line in fleet.json_lines(name) if line.get("level") == "ERROR")}
            for name in fleet.processes}


async def photo_statuses() -> Counter:
    return Counter(row["status"] for row in await Photo.select(Photo.status).run())


async def test_twenty_writers_on_one_sqlite_file_meet_no_lock_errors(personas, tmp_path):
    world = await set_up(personas)
    fleet = Fleet(tmp_path, **ONE_MACHINE, PHOTO_SWEEP_SECONDS="5", MEDIA_ROOT=str(tmp_path / "media"))
    try:
        fleet.wait_until_ready()
        tally = Tally()
        started = time.monotonic()
        await asyncio.gather(*(writer(fleet.urls[0], world, world.own_defects[n], tally, started + SECONDS)
                               for n in range(WRITERS)))
        took = time.monotonic() - started
        # The worker wrote all along (claims, variants, audit); at this rate it falls behind
        # (the photos are queued faster than one core decodes them): what it did in the window
        # counts, the backlog is not waited for.
        photos = await photo_statuses()

        assert tally.server_errors() == 0, tally.unexpected()
        assert not tally.unexpected(), tally.unexpected()
        assert lock_errors(fleet) == []
        assert photos["ready"] > 0 and not photos["failed"], photos
        processes = log_counts(fleet)
        assert processes["worker1"]["photos"] and processes["heavy1"]["photos"], processes
        print(f"\nFIGURE sqlite-writers: {WRITERS} writers for {took:.0f} s (asked {SECONDS:.0f}), 1 web process, "
              f"2 workers: {len(tally.writes)} writes, {len(tally.writes) / took:.1f} writes/s, "
              f"p50 {tally.percentile(50):.0f} ms, p95 {tally.percentile(95):.0f} ms, "
              f"max {max(s for _, _, s in tally.writes) * 1000:.0f} ms; by kind {tally.by_kind()}; "
              f"0 answered 5xx, 0 'database is locked'; photos at the end: {dict(photos)}; "
              f"per process {processes}")
    finally:
        fleet.stop()
