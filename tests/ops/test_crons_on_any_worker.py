"""The crons' runs are jobs on the default queue, and any worker on that queue may take one.
With one worker per core (`make run`, issue 15) the extra workers took about every other run
and failed it ("function 'sweep_photos' not found"), so a photo left pending by a Redis outage
waited for a sweep that an extra worker happened not to take: minutes after Redis came back in
the 10-minute outage benchmark (bench/redis_outage.py, issue 14 figure 3)."""
from __future__ import annotations

from datetime import timedelta

from server import jobs
from server.photos.tables import Photo
from tests.inspections.support import defect_form, unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.photos.support import run_worker
from workers.settings import ExtraWorkerSettings, WorkerSettings


def test_an_extra_worker_knows_every_cron_it_may_be_handed():
    known = {f.name for f in ExtraWorkerSettings.functions}
    assert {job.name for job in WorkerSettings.cron_jobs} <= known
    assert "cron_jobs" not in vars(ExtraWorkerSettings)  # the schedule itself stays with the first worker


async def test_a_photo_sweep_taken_by_an_extra_worker_runs_and_queues_the_photo_left_pending(
        personas, redis_server):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data=defect_form(personas.parties["builder_a"].id, description="Redis 停止时记录"),
                       files=[("photos", ("p.jpg", plain_jpeg(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    photo_id = r.json()["photos"][0]["id"]
    # Redis lost the upload's job, and the photo has waited long enough for the sweep to take it.
    redis_server.flushall()
    created = (await Photo.select(Photo.created_at).where(Photo.id == photo_id).first().run())["created_at"]
    await Photo.update({Photo.created_at: created - timedelta(minutes=5)}).where(Photo.id == photo_id).run()

    # The first worker's schedule queues the run on the default queue, as arq's run_cron does.
    assert await jobs.enqueue("sweep_photos", job_id="cron:sweep_photos:1")
    worker = await run_worker(ExtraWorkerSettings)

    assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)  # the sweep, then the photo it queued
    photo = await Photo.select(Photo.status, Photo.attempts).where(Photo.id == photo_id).first().run()
    assert photo == {"status": "ready", "attempts": 1}
