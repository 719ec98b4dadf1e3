"""Stored files in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, OSS, COS), through
aiobotocore (botocore's own async port, pinned in pyproject.toml).

- Uploads stream from the staged file (aiohttp reads it chunk by chunk), with Content-MD5 so
  the bucket refuses a body damaged on the way, and the SHA-256 in the object's metadata
  (`x-amz-meta-sha256`), which `storage-migrate` compares to skip what is there already.
- Downloads are never read whole: browsers get a presigned URL (after the app's access check)
  or, with `serve=stream`, the app passes the body on chunk by chunk; the worker reads a
  local copy in the scratch directory, removed afterwards.
- One client per event loop (aiohttp sessions belong to the loop that made them), kept for
  the process's life and closed by `close_storage()` on shutdown.
- Botocore's default CRC checksums (trailing headers) are off: several S3-compatible stores
  do not speak them; Content-MD5 is understood by all.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import tempfile
import weakref
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from server.photos.storage_keys import CHUNK_BYTES, check_key, scratch_dir
from server.photos.storage_url import S3Location, parse_storage_url

MISSING = {"404", "NoSuchKey", "NotFound"}


def _hashes(path: Path) -> tuple[str, str]:
    """(SHA-256 hex, MD5 base64) of a local file, in one pass (call it in a thread)."""
    sha, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - MD5 is S3's transport check, not security
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), base64.b64encode(md5.digest()).decode()


def _missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in MISSING


class S3Storage:
    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.bucket = location.bucket
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._session: Any = None
        """One botocore session: it parses S3's API model once, for every client made from it."""

    @classmethod
    def from_url(cls, url: str) -> "S3Storage":
        return cls(parse_storage_url(url))

    def _key(self, key: str) -> str:
        return self.location.prefix + check_key(key)

    def _client_context(self, endpoint: str | None) -> Any:
        from aiobotocore.session import get_session
        from botocore.config import Config

        if self._session is None:
            self._session = get_session()
        loc = self.location
        config = Config(signature_version="s3v4", s3={"addressing_style": loc.addressing},
                        request_checksum_calculation="when_required", response_checksum_validation="when_required",
                        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                        max_pool_connections=20)
        return self._session.create_client("s3", endpoint_url=endpoint, region_name=loc.region, config=config,
                                           aws_access_key_id=loc.access_key, aws_secret_access_key=loc.secret_key)

    async def _client(self, public: bool = False) -> Any:
        """This event loop's client (`public`: the one that signs URLs for browsers)."""
        loop = asyncio.get_running_loop()
        clients = self._clients.setdefault(loop, {})
        which = "public" if public and self.location.public_endpoint else "api"
        if which not in clients:
            context = self._client_context(self.location.public_endpoint if which == "public"
                                           else self.location.endpoint)
            client = await context.__aenter__()
            if which in clients:  # another task made one meanwhile: keep theirs
                await context.__aexit__(None, None, None)
            else:
                clients[which] = (context, client)
        return clients[which][1]

    async def close(self) -> None:
        try:
            clients = self._clients.pop(asyncio.get_running_loop(), {})
        except RuntimeError:
            return
        for context, _client in clients.values():
            await context.__aexit__(None, None, None)

    async def _head(self, key: str) -> dict | None:
        client = await self._client()
        try:
            return await client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _missing(exc):
                return None
            raise

    async def put_file(self, key: str, source: Path) -> None:
        await self.upload(key, source)
        await asyncio.to_thread(Path(source).unlink, True)

    async def upload(self, key: str, source: Path) -> str:
        """Copy a local file to `key`, streamed; answers its SHA-256 (kept in the object's metadata)."""
        sha256, md5 = await asyncio.to_thread(_hashes, source)
        size = (await asyncio.to_thread(os.stat, source)).st_size
        client = await self._client()
        with open(source, "rb") as body:
            await client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, ContentLength=size,
                                    ContentMD5=md5, Metadata={"sha256": sha256})
        return sha256

    async def head(self, key: str) -> tuple[int, str | None] | None:
        """(size, recorded SHA-256) of an object, None when there is none."""
        head = await self._head(key)
        return None if head is None else (int(head["ContentLength"]), head.get("Metadata", {}).get("sha256"))

    async def put_bytes(self, key: str, data: bytes) -> None:
        client = await self._client()
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - transport check
        await client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentMD5=md5,
                                Metadata={"sha256": hashlib.sha256(data).hexdigest()})

    @asynccontextmanager
    async def _body(self, key: str) -> AsyncIterator[Any]:
        client = await self._client()
        try:
            response = await client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise
        async with response["Body"] as body:
            yield body

    async def read_bytes(self, key: str) -> bytes:
        async with self._body(key) as body:
            return await body.read()

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        async with self._body(key) as body:
            async for chunk in body.iter_chunks(CHUNK_BYTES):
                yield chunk

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        fd, name = tempfile.mkstemp(dir=scratch_dir(), prefix="copy-", suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in self.chunks(key):
                    await asyncio.to_thread(out.write, chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def download_url(self, key: str, *, media_type: str, disposition: str, cache_control: str) -> str | None:
        if self.location.serve != "redirect":
            return None
        client = await self._client(public=True)
        return await client.generate_presigned_url("get_object", ExpiresIn=self.location.expires, Params={
            "Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": media_type,
            "ResponseContentDisposition": disposition, "ResponseCacheControl": cache_control})

    async def exists(self, key: str) -> bool:
        return await self._head(key) is not None

    async def size(self, key: str) -> int:
        head = await self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    async def sha256(self, key: str) -> str | None:
        head = await self._head(key)
        return None if head is None else head.get("Metadata", {}).get("sha256")

    async def delete(self, key: str) -> None:
        client = await self._client()
        await client.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        client = await self._client()
        paginator = client.get_paginator("list_objects_v2")
        strip = len(self.location.prefix)
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.location.prefix + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][strip:]
