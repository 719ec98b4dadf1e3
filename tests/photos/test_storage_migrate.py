"""`python -m server storage-migrate`: MEDIA_ROOT's files into the bucket, resumable, verified
by SHA-256, with counts (server/photos/storage_migrate.py), against the test SeaweedFS."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import ROOT

FILES = {
    "photos/2026/11/aa/original.jpg": b"\xff\xd8 an original " * 1000,
    "photos/2026/11/aa/display.jpg": b"\xff\xd8 a display image",
    "signatures/0123abcd.png": b"\x89PNG a signature",
    "documents/2026/11/ff.pdf": b"%PDF-1.7 a document",
}


@pytest.fixture
def media(tmp_path):
    """A MEDIA_ROOT as an install on the local disk leaves it: stored files, plus an upload
    in flight in the scratch space and a half-written file, which are not stored files."""
    for key, data in FILES.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(data)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "upload-1.part").write_bytes(b"in flight")
    (tmp_path / "signatures" / ".part-x1").write_bytes(b"half")
    return tmp_path


@pytest.fixture
async def target(s3_server):
    from server.photos.storage_s3 import S3Storage

    storage = S3Storage.from_url(s3_server.storage_url(prefix=f"m-{uuid.uuid4().hex[:8]}"))
    yield storage
    await storage.close()


async def _bucket(target) -> dict[str, bytes]:
    return {key: await target.read_bytes(key) async for key in target.keys()}


async def test_files_are_copied_verified_and_a_rerun_copies_only_what_is_missing_or_different(media, target):
    from server.photos.storage_local import LocalStorage
    from server.photos.storage_migrate import migrate_to_bucket

    source = LocalStorage(media)
    first = await migrate_to_bucket(source, target)
    assert (first.copied, first.skipped, first.failed) == (4, 0, [])
    assert first.bytes_copied == sum(len(d) for d in FILES.values())
    assert await _bucket(target) == FILES  # the scratch space and half-written files stayed behind
    key = "photos/2026/11/aa/original.jpg"
    assert await target.sha256(key) == hashlib.sha256(FILES[key]).hexdigest()

    again = await migrate_to_bucket(source, target)
    assert (again.copied, again.skipped, again.failed) == (0, 4, [])

    # A run stopped half-way (one object never made it), a new upload meanwhile, an object
    # that differs: the next run copies exactly those.
    await target.delete("signatures/0123abcd.png")
    (media / "photos/2026/11/bb").mkdir()
    (media / "photos/2026/11/bb/original.jpg").write_bytes(b"\xff\xd8 new")
    await target.put_bytes("documents/2026/11/ff.pdf", b"%PDF-1.7 something else")
    resumed = await migrate_to_bucket(source, target)
    assert (resumed.copied, resumed.skipped, resumed.failed) == (3, 2, [])
    assert await _bucket(target) == {**FILES, "photos/2026/11/bb/original.jpg": b"\xff\xd8 new"}


async def test_a_copy_that_reads_back_differently_is_removed_and_reported(media, target, monkeypatch):
    from server.photos import storage_migrate
    from server.photos.storage_local import LocalStorage

    async def damaged(storage, key):  # the bucket answers other bytes than were sent
        return "0" * 64 if key == "signatures/0123abcd.png" else await real(storage, key)

    real = storage_migrate._remote_sha256
    monkeypatch.setattr(storage_migrate, "_remote_sha256", damaged)
    report = await storage_migrate.migrate_to_bucket(LocalStorage(media), target)
    assert (report.copied, report.failed) == (3, ["signatures/0123abcd.png"])
    assert not await target.exists("signatures/0123abcd.png")  # a rerun copies it again


def test_the_command_reports_counts_and_fails_without_a_bucket(media, s3_server):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEDIA_ROOT": str(media), "STORAGE_URL": ""}
    command = [sys.executable, "-m", "server", "storage-migrate"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "STORAGE_URL must name the bucket" in refused.stderr

    env["STORAGE_URL"] = s3_server.storage_url(prefix=f"cli-{uuid.uuid4().hex[:8]}")
    for expected in ("copied 4 (0.0 MiB), skipped 0", "copied 0 (0.0 MiB), skipped 4"):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"{expected} (already in the bucket, same SHA-256), failed 0" in done.stdout
