"""Where stored files live (photos, documents, signatures, PDFs): a small async key -> file interface.

Everything outside this module talks to `get_storage()` in terms of keys
("photos/2026/11/<token>/original.jpg"), never in terms of paths, so the
backend can be the local disk (`LocalStorage`, under MEDIA_ROOT, the default)
or an S3-compatible bucket (`server.photos.storage_s3.S3Storage`, chosen by
STORAGE_URL=s3://...). That is why:
- `put_file` *consumes* a local temp file (a rename here, a streamed upload there);
- large files are never held in memory: uploads go from the staged file, readers
  stream (`chunks`), the worker reads a local copy (`local_copy`), and a download
  may be answered by a short-lived URL to the bucket itself (`download_url`);
- `read_bytes`/`put_bytes` are for small objects only (a signature, a rendered variant).

The one local directory every backend still needs is scratch space for
uploads in flight (`scratch_dir()`); it is per machine and never shared.
"""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import AsyncIterator, Protocol

from server.photos.storage_keys import CHUNK_BYTES, check_key, file_sha256, scratch_dir
from server.photos.storage_local import LocalStorage
from server.settings import get_settings

__all__ = ["CHUNK_BYTES", "LocalStorage", "Storage", "check_key", "close_storage", "file_sha256", "get_storage",
           "read_bytes", "scratch_dir"]


class Storage(Protocol):
    async def put_file(self, key: str, source: Path) -> None:
        """Store the local file `source` under `key`; `source` is gone afterwards."""

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there, atomically)."""

    async def read_bytes(self, key: str) -> bytes:
        """A whole (small) object; FileNotFoundError when there is none."""

    def local_copy(self, key: str) -> AbstractAsyncContextManager[Path]:
        """`async with storage.local_copy(key) as path`: a local file with the object's bytes,
        for code that needs a path (Pillow in the worker); FileNotFoundError when there is none."""

    def chunks(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, chunk by chunk (a download streamed through the app)."""

    async def download_url(self, key: str, *, media_type: str, disposition: str, cache_control: str) -> str | None:
        """A short-lived URL where a browser fetches the object directly, or None: stream it."""

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int:
        """Bytes stored under `key`; FileNotFoundError when there is none."""

    async def sha256(self, key: str) -> str | None:
        """The object's SHA-256 (hex) as recorded when it was stored; None when there is none."""

    async def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error (deletes are retried)."""

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every stored key under `prefix` (the scratch space excluded)."""

    async def close(self) -> None:
        """Release connections (the process is stopping)."""


_backends: dict[tuple, Storage] = {}


def get_storage() -> Storage:
    """The configured backend (STORAGE_URL: empty for MEDIA_ROOT, s3://bucket... for a bucket),
    one per configuration, so an S3 backend keeps its connections."""
    settings = get_settings()
    config = (settings.storage_url, str(settings.media_root))
    backend = _backends.get(config)
    if backend is None:
        if settings.storage_url:
            from server.photos.storage_s3 import S3Storage

            backend = S3Storage.from_url(settings.storage_url)
        else:
            backend = LocalStorage(settings.media_root)
        _backends[config] = backend
    return backend


async def close_storage() -> None:
    """On shutdown (web app, worker, CLI): close the backends' connections of this event loop."""
    for backend in list(_backends.values()):
        await backend.close()


async def read_bytes(key: str) -> bytes:
    """A whole (small) stored object: a signature, a small JPEG."""
    return await get_storage().read_bytes(key)
