"""`python -m server storage-migrate`: copy every file under MEDIA_ROOT into the bucket that
STORAGE_URL names, before (or while) switching a running install to it.

- **Resumable.** An object already in the bucket with the file's size and SHA-256 (recorded
  in its metadata when it was stored) is skipped, so a run that was stopped, or a second
  run after new uploads, only copies what is missing or different.
- **Verified.** Each copied object is read back from the bucket, streamed, and its SHA-256
  compared with the local file's; a mismatch removes the object and counts as failed.
- Files are streamed both ways, a few at a time, never held in memory; the local files are
  left in place (remove them once the app runs on the bucket).
- The scratch space (MEDIA_ROOT/tmp) and half-written files are not stored files: not copied.
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Callable

from server.photos.storage_keys import file_sha256
from server.photos.storage_local import LocalStorage
from server.photos.storage_s3 import S3Storage

JOBS = 4
"""Files copied at once: enough to hide the round trips, few enough for a small machine."""


@dataclass
class MigrationReport:
    copied: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    bytes_copied: int = 0

    def summary(self) -> str:
        return (f"copied {self.copied} ({self.bytes_copied / 1024 / 1024:.1f} MiB), "
                f"skipped {self.skipped} (already in the bucket, same SHA-256), failed {len(self.failed)}")


async def _remote_sha256(target: S3Storage, key: str) -> str:
    digest = hashlib.sha256()
    async for chunk in target.chunks(key):
        digest.update(chunk)
    return digest.hexdigest()


async def _migrate_one(source: LocalStorage, target: S3Storage, key: str, report: MigrationReport) -> None:
    path = source.path_of(key)
    size = (await asyncio.to_thread(path.stat)).st_size
    there = await target.head(key)
    if there is not None and there[0] == size and there[1] == await asyncio.to_thread(file_sha256, path):
        report.skipped += 1
        return
    sha256 = await target.upload(key, path)
    if await _remote_sha256(target, key) != sha256:
        await target.delete(key)  # never leave a damaged copy that a rerun would skip
        report.failed.append(key)
        return
    report.copied += 1
    report.bytes_copied += size


async def migrate_to_bucket(source: LocalStorage, target: S3Storage, *, jobs: int = JOBS,
                            progress: Callable[[str], None] | None = None) -> MigrationReport:
    report = MigrationReport()
    limit = asyncio.Semaphore(jobs)
    done = 0

    async def one(key: str) -> None:
        nonlocal done
        async with limit:
            try:
                await _migrate_one(source, target, key, report)
            except Exception as exc:  # noqa: BLE001 - a file gone meanwhile, the bucket refused it: go on
                report.failed.append(f"{key} ({type(exc).__name__}: {exc})")
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(f"{done} files: {report.summary()}")

    pending: set[asyncio.Task] = set()
    async for key in source.keys():
        if len(pending) >= jobs * 4:  # keep the queue short: a million keys are not a million tasks
            _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pending.add(asyncio.create_task(one(key)))
    if pending:
        await asyncio.wait(pending)
    return report


async def storage_migrate(progress: Callable[[str], None] = print) -> MigrationReport:
    """The CLI command: MEDIA_ROOT -> the STORAGE_URL bucket."""
    from server.settings import SettingsError, get_settings

    settings = get_settings()
    if not settings.storage_url:
        raise SettingsError("STORAGE_URL must name the bucket to copy MEDIA_ROOT into (s3://bucket?endpoint=...)")
    source, target = LocalStorage(settings.media_root), S3Storage.from_url(settings.storage_url)
    progress(f"Copying {settings.media_root} to {target.location.bucket} ({target.location.endpoint or 'AWS'})")
    try:
        report = await migrate_to_bucket(source, target, progress=progress)
    finally:
        await target.close()
    progress(report.summary())
    for key in report.failed:
        progress(f"failed: {key}")
    return report
