"""Photo jobs: `process_photo` (by id, enqueued by the web app by name) and
`sweep_photos` (cron), which together make sure every accepted photo is
processed exactly once in effect, whatever Redis or a worker did meanwhile.

Jobs may run more than once (the sweep re-enqueues, a worker dies half-way,
Redis comes back), so each step is a compare-and-set on the row's status:
- claim:  pending -> processing   (only one worker wins; a repeat finds nothing to do)
- finish: processing -> ready | failed, only if the claim is still ours
  (same `attempts`), so a worker the sweep gave up on cannot overwrite a
  newer attempt. Its files went to the same keys with the same content.
A worker renews its claim while it works (every third of PHOTO_CLAIM_SECONDS);
a claim left unrenewed belongs to a dead worker (SIGKILL, out of memory, the
machine gone), and the sweep hands the photo back within that time, queued
under a new job id: the dead worker's job stays "in progress" in Redis until
arq's timeout, and would block the old id for five minutes.
The CPU work (Pillow) runs in the 1-thread executor from `on_startup`; the
database and Redis work stays on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from server import clock
from server.audit.services import audit_record
from server.db import database_now, write_transaction
from server.photos import imaging
from server.photos.services import FAILURE_GAVE_UP, FAILURE_UNREADABLE, PROCESS_JOB, job_id, queue_for, variant_key
from server.photos.storage import get_storage, scratch_dir
from server.photos.tables import Photo, PhotoStatus
from server.settings import get_settings

log = logging.getLogger("workers.photos")

MAX_ATTEMPTS = 3
PENDING_GRACE = timedelta(seconds=30)
"""A pending photo younger than this (or than the sweep interval, if shorter:
PHOTO_SWEEP_SECONDS) may still have its job on the way (it is enqueued right
after commit); older ones were missed (Redis down) and are re-enqueued."""
SWEEP_BATCH = 500


def claim_timeout() -> timedelta:
    """A claim not renewed for this long belongs to a worker that died; the photo goes back to pending."""
    return timedelta(seconds=get_settings().photo_claim_seconds)


class Unreadable(Exception):
    """The original does not decode: retrying will not help."""


def render_file(path: Path) -> imaging.Rendered:
    """Executor-thread work: decode the original and render both variants (in memory: they are small).
    By path, so libvips reads the file itself, sequentially (server/photos/imaging_vips.py)."""
    try:
        return imaging.render(path)
    except Exception as exc:  # noqa: BLE001 - every decoder failure means the same
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc


async def render_and_store(executor: Any, original_key: str) -> imaging.Rendered:
    """Read the original (the stored file itself, or a local copy of a bucket's), render it
    in the executor, and store both variants."""
    storage = get_storage()
    async with storage.local_copy(original_key) as path:
        rendered = await asyncio.get_running_loop().run_in_executor(executor, render_file, path)
    await storage.put_bytes(variant_key(original_key, "display"), rendered.display)
    await storage.put_bytes(variant_key(original_key, "thumb"), rendered.thumb)
    return rendered


async def process_photo(ctx: dict[str, Any], photo_id: int) -> str:
    # One photo at a time per worker: arq starts several jobs at once, and a job that claimed
    # its photo and then waited for the one Pillow thread would hold a claim for nothing. A
    # worker that dies (SIGKILL, out of memory) thus strands one photo, the one it was on;
    # the jobs still waiting die unclaimed and the sweep queues their photos again.
    # (ctx is a copy per job: the worker's one semaphore is made at its start, workers/settings.py.)
    async with ctx.get("photo_turn") or asyncio.Semaphore(1):
        return await _claim_and_process(ctx, photo_id)


async def _claim_and_process(ctx: dict[str, Any], photo_id: int) -> str:
    async with write_transaction():
        now = await database_now()
        claimed = await Photo.update(
            {Photo.status: PhotoStatus.PROCESSING, Photo.claimed_at: now, Photo.attempts: Photo.attempts + 1}
        ).where((Photo.id == photo_id) & (Photo.status == PhotoStatus.PENDING)).returning(
            Photo.attempts, Photo.original_key).run()
    if not claimed:
        return "not pending"  # done, failed, being processed, or gone: nothing to do
    attempt, original_key = claimed[0]["attempts"], claimed[0]["original_key"]
    heartbeat = asyncio.create_task(_renew_claim(photo_id, attempt))
    try:
        rendered = await render_and_store(ctx["executor"], original_key)
    except Unreadable as exc:
        log.warning("Photo %s cannot be decoded: %s", photo_id, exc)
        await _finish(photo_id, attempt, {Photo.status: PhotoStatus.FAILED, Photo.failure_reason: FAILURE_UNREADABLE})
        return PhotoStatus.FAILED
    except Exception:
        # Storage or anything else that may pass: give the claim back (or give up).
        log.exception("Photo %s attempt %s failed", photo_id, attempt)
        await _release(photo_id, attempt)
        raise
    finally:
        heartbeat.cancel()
    # EXIF's capture time when the file has one; else keep what the client
    # sent (a photo downscaled in the browser has no EXIF left).
    exif_time = {Photo.captured_at: rendered.captured_at} if rendered.captured_at else {}
    await _finish(photo_id, attempt, {
        Photo.status: PhotoStatus.READY,
        Photo.width: rendered.width,
        Photo.height: rendered.height,
        **exif_time,
        Photo.display_key: variant_key(original_key, "display"),
        Photo.thumb_key: variant_key(original_key, "thumb"),
        Photo.failure_reason: "",
    })
    return PhotoStatus.READY


async def _renew_claim(photo_id: int, attempt: int) -> None:
    """While this worker is alive, keep its claim fresh, so only a dead worker's claim goes stale."""
    interval = get_settings().photo_claim_seconds / 3
    while True:
        await asyncio.sleep(interval)
        try:
            async with write_transaction():
                await Photo.update({Photo.claimed_at: await database_now()}).where(_ours(photo_id, attempt)).run()
        except Exception:  # noqa: BLE001 - a missed renewal only risks a second attempt, which the CAS drops
            log.warning("Photo %s: could not renew the claim of attempt %s", photo_id, attempt, exc_info=True)


def _ours(photo_id: int, attempt: int) -> Any:
    return (Photo.id == photo_id) & (Photo.status == PhotoStatus.PROCESSING) & (Photo.attempts == attempt)


async def _finish(photo_id: int, attempt: int, values: dict) -> None:
    async with write_transaction():
        values = {**values, Photo.processed_at: await database_now()}
        done = await Photo.update(values).where(_ours(photo_id, attempt)).returning(Photo.id).run()
        if done:
            await audit_record(actor=None, object_type="photo", object_id=photo_id, action="process",
                               from_state=PhotoStatus.PROCESSING, to_state=values[Photo.status])
        else:
            log.info("Photo %s attempt %s was superseded; result dropped", photo_id, attempt)


async def _release(photo_id: int, attempt: int) -> None:
    async with write_transaction():
        if attempt >= MAX_ATTEMPTS:
            values = {Photo.status: PhotoStatus.FAILED, Photo.failure_reason: FAILURE_GAVE_UP,
                      Photo.processed_at: await database_now()}
        else:
            values = {Photo.status: PhotoStatus.PENDING, Photo.claimed_at: None}
        if await Photo.update(values).where(_ours(photo_id, attempt)).returning(Photo.id).run():
            await audit_record(actor=None, object_type="photo", object_id=photo_id, action="release",
                               from_state=PhotoStatus.PROCESSING, to_state=values[Photo.status])


def pending_grace() -> timedelta:
    return min(PENDING_GRACE, timedelta(seconds=get_settings().photo_sweep_seconds))


async def sweep_photos(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron, every PHOTO_SWEEP_SECONDS (a minute) and at worker start: take back
    stale claims, then re-enqueue photos left pending (their job was lost, or never queued)."""
    await clock.follow_database_clock()  # every minute: a clock that jumps is followed again
    now = await database_now()
    stale = (Photo.status == PhotoStatus.PROCESSING) & (Photo.claimed_at < now - claim_timeout())
    async with write_transaction():
        given_up = await Photo.update(
            {Photo.status: PhotoStatus.FAILED, Photo.failure_reason: FAILURE_GAVE_UP, Photo.processed_at: now}
        ).where(stale & (Photo.attempts >= MAX_ATTEMPTS)).returning(Photo.id).run()
        returned = await Photo.update({Photo.status: PhotoStatus.PENDING, Photo.claimed_at: None}).where(
            stale).returning(Photo.id).run()
        for rows, to_state in ((given_up, PhotoStatus.FAILED), (returned, PhotoStatus.PENDING)):
            for row in rows:
                await audit_record(actor=None, object_type="photo", object_id=row["id"], action="sweep",
                                   from_state=PhotoStatus.PROCESSING, to_state=to_state)
    pending = await Photo.select(Photo.id, Photo.image_format, Photo.attempts, Photo.created_at).where(
        (Photo.status == PhotoStatus.PENDING) & (Photo.created_at < now - pending_grace())
    ).order_by(Photo.id).limit(SWEEP_BATCH).run()
    queued = 0
    for row in pending:
        job = await ctx["redis"].enqueue_job(PROCESS_JOB, row["id"], _job_id=sweep_job_id(row, now),
                                             _queue_name=queue_for(row["image_format"]))
        queued += job is not None
    removed = await asyncio.to_thread(remove_stale_scratch, timedelta(seconds=get_settings().scratch_max_age_seconds))
    if given_up or returned or queued or removed:
        log.info("Photo sweep: %s failed, %s returned to pending, %s queued, %s stale scratch files removed",
                 len(given_up), len(returned), queued, removed)
    return {"failed": len(given_up), "returned": len(returned), "queued": queued, "scratch_removed": removed}


def sweep_job_id(photo: dict, now: datetime) -> str:
    """The id the sweep queues a pending photo under. arq keeps one job per id, so the same id
    as last time means no second copy while the first still waits in the queue. But a job
    whose worker died stays "in progress" in Redis for arq's whole timeout (five minutes), and
    its id with it, even if it died before claiming the photo. So the id changes with the
    attempt and with every claim period the photo stays pending: a lost job holds a photo up
    for one period at most, and a photo waiting in a long queue gets at most one spare job
    per period (it finds the photo claimed and does nothing)."""
    periods = int((now - photo["created_at"]) / claim_timeout())
    base = job_id(photo["id"], photo["attempts"])
    return base if periods == 0 else f"{base}:late{periods}"


def remove_stale_scratch(max_age: timedelta) -> int:
    """Remove files in this machine's scratch space untouched for `max_age`: a process died while
    writing them (an upload cut off with its web process, a worker killed half-way through a photo).
    A live upload or copy keeps writing, so its file is always younger."""
    limit = time.time() - max_age.total_seconds()
    removed = 0
    for entry in os.scandir(scratch_dir()):
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            pass  # its owner finished with it meanwhile
    return removed
