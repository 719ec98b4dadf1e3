"""Helpers for the photo tests: uploading, looking at rows and files, running workers."""
from __future__ import annotations

import uuid
from pathlib import Path
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


def media_files() -> set[Path]:
    """Every file under media_root (originals, variants and scratch)."""
    from server.settings import get_settings

    root = get_settings().media_root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


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
