"""Stored files on the local disk, under MEDIA_ROOT (the default backend, see server/photos/storage.py)."""
from __future__ import annotations

import asyncio
import errno
import os
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, BinaryIO

from server.photos.storage_keys import KEY_PATTERN, CHUNK_BYTES, SCRATCH, check_key, file_sha256

class LocalStorage:
    """Files under one directory (settings.media_root), keys as relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def path_of(self, key: str) -> Path:
        """Where a key lives on disk (the migration to a bucket reads from here)."""
        return self._path(key)

    async def put_file(self, key: str, source: Path) -> None:
        await asyncio.to_thread(self._put_file, key, source)

    def _put_file(self, key: str, source: Path) -> None:
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

    async def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(target, lambda f: f.write(data))

        await asyncio.to_thread(write)

    def _write_atomically(self, target: Path, write) -> None:
        """Write a temp file, then rename it into place (a reader never sees half a file).
        The temp file lives in the scratch space, so one left by a process killed half-way is
        where the worker's sweep removes it, never among the stored files."""
        scratch = self.root / SCRATCH
        scratch.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=scratch, prefix="put-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            try:
                os.replace(tmp, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                # MEDIA_ROOT/tmp mounted from another filesystem: copy beside the target, then rename.
                beside = target.with_name(f".part-{Path(tmp).name}")
                try:
                    shutil.copyfile(tmp, beside)
                    os.replace(beside, target)
                finally:
                    beside.unlink(missing_ok=True)
        finally:
            Path(tmp).unlink(missing_ok=True)

    async def read_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        path = self._path(key)
        if not await asyncio.to_thread(path.is_file):
            raise FileNotFoundError(key)
        yield path  # the stored file itself: nothing to copy or clean up

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        """Read in a thread, chunk by chunk, without blocking the event loop."""
        f = await asyncio.to_thread(open, self._path(key), "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, CHUNK_BYTES):
                yield chunk
        finally:
            f.close()

    async def download_url(self, key: str, *, media_type: str, disposition: str, cache_control: str) -> None:
        return None  # the app streams local files itself

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def size(self, key: str) -> int:
        return (await asyncio.to_thread(self._path(key).stat)).st_size

    async def sha256(self, key: str) -> str | None:
        path = self._path(key)
        return await asyncio.to_thread(lambda: file_sha256(path) if path.is_file() else None)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        def walk() -> list[str]:
            if not self.root.is_dir():
                return []
            found = []
            for path in self.root.rglob("*"):
                key = path.relative_to(self.root).as_posix()
                if (path.is_file() and key.startswith(prefix) and not key.startswith(SCRATCH + "/")
                        and KEY_PATTERN.match(key)):  # ".part-" files being written are not keys
                    found.append(key)
            return sorted(found)

        for key in await asyncio.to_thread(walk):
            yield key

    async def close(self) -> None:
        return None
