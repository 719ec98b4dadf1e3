"""Photo jobs: `process_photo` (by id, enqueued by the web app by name) and
`sweep_photos` (cron), which together make sure every accepted photo is
processed exactly once in effect, whatever Redis or a worker did meanwhile.

Jobs may run more than once (the sweep re-enqueues, a worker dies half-way,
Redis comes back), so each step is a compare-and-set on the row's status:
- claim:  pending -> processing   (only one worker wins; a repeat finds nothing to do)
- finish: processing -> ready | failed, only if the claim is still ours
  (same `attempts`), so a worker the sweep gave up on cannot overwrite a
  newer attempt. Its files went to the same keys with the same content.
The CPU work (Pillow) runs in the 1-thread executor from `on_startup`; the
database and Redis work stays on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.photos import imaging
from server.photos.services import FAILURE_GAVE_UP, FAILURE_UNREADABLE, PROCESS_JOB, job_id, queue_for, variant_key
from server.photos.storage import get_storage
from server.photos.tables import Photo, PhotoStatus
from server.settings import get_settings

log = logging.getLogger("workers.photos")

MAX_ATTEMPTS = 3
PENDING_GRACE = timedelta(seconds=30)
"""A pending photo younger than this (or than the sweep interval, if shorter:
PHOTO_SWEEP_SECONDS) may still have its job on the way (it is enqueued right
after commit); older ones were missed (Redis down) and are re-enqueued."""
CLAIM_TIMEOUT = timedelta(minutes=10)
"""A claim older than this belongs to a worker that died; the photo goes back to pending."""
SWEEP_BATCH = 500


class Unreadable(Exception):
    """The original does not decode: retrying will not help."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def render_file(path: Path) -> imaging.Rendered:
    """Executor-thread work: decode the original and render both variants (in memory: they are small)."""
    with open(path, "rb") as original:
        try:
            return imaging.render(original)
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
    async with write_transaction():
        claimed = await Photo.update(
            {Photo.status: PhotoStatus.PROCESSING, Photo.claimed_at: _now(), Photo.attempts: Photo.attempts + 1}
        ).where((Photo.id == photo_id) & (Photo.status == PhotoStatus.PENDING)).returning(
            Photo.attempts, Photo.original_key).run()
    if not claimed:
        return "not pending"  # done, failed, being processed, or gone: nothing to do
    attempt, original_key = claimed[0]["attempts"], claimed[0]["original_key"]
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


def _ours(photo_id: int, attempt: int) -> Any:
    return (Photo.id == photo_id) & (Photo.status == PhotoStatus.PROCESSING) & (Photo.attempts == attempt)


async def _finish(photo_id: int, attempt: int, values: dict) -> None:
    async with write_transaction():
        done = await Photo.update({**values, Photo.processed_at: _now()}).where(_ours(photo_id, attempt)).returning(
            Photo.id).run()
        if done:
            await audit_record(actor=None, object_type="photo", object_id=photo_id, action="process",
                               from_state=PhotoStatus.PROCESSING, to_state=values[Photo.status])
        else:
            log.info("Photo %s attempt %s was superseded; result dropped", photo_id, attempt)


async def _release(photo_id: int, attempt: int) -> None:
    async with write_transaction():
        if attempt >= MAX_ATTEMPTS:
            values = {Photo.status: PhotoStatus.FAILED, Photo.failure_reason: FAILURE_GAVE_UP,
                      Photo.processed_at: _now()}
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
    now = _now()
    stale = (Photo.status == PhotoStatus.PROCESSING) & (Photo.claimed_at < now - CLAIM_TIMEOUT)
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
    pending = await Photo.select(Photo.id, Photo.image_format).where(
        (Photo.status == PhotoStatus.PENDING) & (Photo.created_at < now - pending_grace())
    ).order_by(Photo.id).limit(SWEEP_BATCH).run()
    queued = 0
    for row in pending:
        # Same job id as the web app uses: if the job is still queued, arq
        # keeps the one copy (enqueue_job answers None).
        job = await ctx["redis"].enqueue_job(PROCESS_JOB, row["id"], _job_id=job_id(row["id"]),
                                             _queue_name=queue_for(row["image_format"]))
        queued += job is not None
    if given_up or returned or queued:
        log.info("Photo sweep: %s failed, %s returned to pending, %s queued", len(given_up), len(returned), queued)
    return {"failed": len(given_up), "returned": len(returned), "queued": queued}
