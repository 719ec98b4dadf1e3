"""Helpers for the photo tests: uploading, looking at rows and files, running workers."""
from __future__ import annotations

import uuid
from typing import Any


async def post_floor_plan(client: Any, unit_type_id: int, data: bytes | None, *, filename: str = "plan.jpg",
                          client_id: str | None = None, content_type: str = "image/jpeg",
                          language: str = "en") -> Any:
    files = {"photo": (filename, data, content_type)} if data is not None else None
    fields = {"client_id": client_id} if client_id else {}
    return await client.post(f"/api/v1/unit-types/{unit_type_id}/floor-plan", files=files, data=fields,
                             headers={"Accept-Language": language})


def new_client_id() -> str:
    return str(uuid.uuid4())


async def media_files() -> dict[str, Any]:
    """Every stored file (originals, variants) and every scratch file, each with a stamp
    that changes when it is written again: the local file's mtime, or the object's ETag
    and time in a bucket."""
    from server.photos.storage import LocalStorage, get_storage, scratch_dir

    storage = get_storage()
    found: dict[str, Any] = {f"scratch:{p.name}": p.stat().st_mtime_ns for p in scratch_dir().iterdir()}
    if isinstance(storage, LocalStorage):
        async for key in storage.keys():
            found[key] = storage.path_of(key).stat().st_mtime_ns
    else:
        client = await storage._client()
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=storage.bucket, Prefix=storage.location.prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = (item["ETag"], item["LastModified"])
    return found


async def run_worker(settings_cls: Any) -> Any:
    """A real arq worker, in burst mode: runs until its queue is empty."""
    from workers.settings import worker_for

    worker = worker_for(settings_cls, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def photo_row(photo_id: int) -> Any:
    from server.photos.tables import Photo

    return await Photo.objects().get(Photo.id == photo_id).run()


async def photo_count() -> int:
    from server.photos.tables import Photo

    return await Photo.count().run()


async def served(client: Any, path: str, headers: dict | None = None) -> Any:
    """GET a file route as a browser would: the app's answer, or, when the app redirects to
    a presigned URL on the bucket, the bucket's answer (the same headers sent to both)."""
    import httpx

    r = await client.get(path, headers=headers or {})
    location = r.headers.get("location", "")
    if r.status_code != 302 or not location.startswith("http"):
        return r
    assert r.headers["cache-control"] == "private, max-age=60"
    async with httpx.AsyncClient() as bucket:
        return await bucket.get(location, headers=headers or {})
