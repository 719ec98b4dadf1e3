"""Where photo files live: a tiny key -> bytes interface.

Everything outside this module talks to `get_storage()` in terms of keys
("photos/2026/11/<token>/original.jpg"), never in terms of paths, so an
S3-compatible backend (MinIO, OSS, COS) can replace `LocalStorage` without
touching the upload, the worker or the download route. That is why:
- `put_file` *consumes* a local temp file (a rename here, an upload there);
- readers get a file object from `open` (S3 would hand back a spooled
  download or a ranged-GET stream) and never a path;
- the methods are synchronous, like boto3; async code calls them through
  `asyncio.to_thread`, the worker calls them in its executor thread.

The one local directory every backend still needs is scratch space for
uploads in flight (`scratch_dir()`); it is per machine and never shared.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from server.settings import get_settings

# Keys are produced by our own code, but they end up in file paths: allow only
# a safe alphabet and no "..", so a bug can never write outside media_root.
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class Storage(Protocol):
    def put_file(self, key: str, source: Path) -> None:
        """Store the local file `source` under `key`; `source` is gone afterwards."""

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there, atomically)."""

    def open(self, key: str) -> BinaryIO:
        """A readable, seekable binary file object; the caller closes it."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error (deletes are retried)."""


def check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise ValueError(f"bad storage key {key!r}")
    return key


def scratch_dir() -> Path:
    """Local scratch space for uploads being received (media_root/tmp)."""
    path = get_settings().media_root / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


class LocalStorage:
    """Files under one directory (settings.media_root), keys as relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Scratch space is under the same root, so this is a rename:
            # instant, and atomic (a reader never sees half a file).
            os.replace(source, target)
        except OSError:
            # A scratch dir on another filesystem: copy beside, then rename.
            def copy(f: BinaryIO) -> None:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, f)

            self._write_atomically(target, copy)
            Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._write_atomically(target, lambda f: f.write(data))

    @staticmethod
    def _write_atomically(target: Path, write) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    """The configured backend. Only local storage exists today; an S3 backend
    would be chosen here from settings (bucket, endpoint, keys)."""
    return LocalStorage(get_settings().media_root)


async def read_bytes(key: str) -> bytes:
    """A whole stored object (a signature, a small JPEG), read off the event loop."""
    def read() -> bytes:
        with get_storage().open(key) as f:
            return f.read()

    return await asyncio.to_thread(read)
