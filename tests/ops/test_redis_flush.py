"""Redis emptied under queued work (issue 14, figure 3, "FLUSHALL with 100 jobs queued"):
photos are accepted while no worker runs, Redis loses every job (FLUSHALL: an operator's
mistake, or a Redis without persistence restarted), and then a worker starts. Result: every
photo is processed, exactly once, because the database, not Redis, says what is left to do."""
from __future__ import annotations

import asyncio
import time

from server.photos.tables import Photo
from tests.inspections.support import defect_form, unit_under_inspection
from tests.ops.processes import Fleet
from tests.photos.images import plain_jpeg

QUEUED = 100


async def test_every_photo_is_processed_once_after_redis_lost_its_100_queued_jobs(personas, tmp_path, redis_server):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    party = personas.parties["builder_a"].id
    for n in range(QUEUED):
        r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                           data=defect_form(party, description=f"队列丢失 {n}"),
                           files=[("photos", (f"p{n}.jpg", plain_jpeg(color=(n, 90, 60)), "image/jpeg"))])
        assert r.status_code == 201, r.text
    queued = [key for key in redis_server.client().keys("arq:job:photo:*")]
    assert len(queued) == QUEUED

    redis_server.flushall()
    assert redis_server.client().keys("arq:*") == []
    # Sign-in and uploads do not need the lost jobs: the site answers as before.
    r = await ian.get("/api/v1/auth/me")
    assert r.status_code == 200

    fleet = Fleet(tmp_path, web=0, workers=1, PHOTO_SWEEP_SECONDS="1")
    try:
        started = time.monotonic()
        while True:
            rows = await Photo.select(Photo.status, Photo.attempts).run()
            if {row["status"] for row in rows} == {"ready"}:
                break
            assert time.monotonic() - started < 60, sorted({row["status"] for row in rows})
            await asyncio.sleep(0.3)
        took = time.monotonic() - started
        assert len(rows) == QUEUED
        assert {row["attempts"] for row in rows} == {1}  # each claimed once: no photo processed twice
        print(f"\nRedis FLUSHALL with {QUEUED} photo jobs queued: all {QUEUED} processed once, "
              f"{took:.1f} s after a worker started")
    finally:
        fleet.stop()
