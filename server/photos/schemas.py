"""API shapes for photos (responses appear in the OpenAPI schema)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import msgspec

from server.i18n import _
from server.org.schemas import UnitTypeOut, unit_type_out
from server.photos.services import photo_urls
from server.photos.tables import Photo


class PhotoUrls(msgspec.Struct):
    original: str
    display: Optional[str]
    """Null until the photo is ready."""
    thumb: Optional[str]


class PhotoOut(msgspec.Struct):
    id: int
    status: str
    """pending | processing | ready | failed"""
    width: Optional[int]
    """Upright size of the original, known once processed."""
    height: Optional[int]
    captured_at: Optional[datetime]
    failure_reason: Optional[str]
    urls: PhotoUrls
    image_format: str
    subject_type: str
    subject_id: int
    stage: str
    created_at: datetime


class FloorPlanOut(msgspec.Struct):
    unit_type: UnitTypeOut
    photo: PhotoOut


def photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        id=photo.id, status=photo.status, width=photo.width, height=photo.height, captured_at=photo.captured_at,
        # Stored as an English msgid by the worker; shown in the caller's language.
        failure_reason=_(photo.failure_reason) if photo.failure_reason else None,
        urls=PhotoUrls(**photo_urls(photo)), image_format=photo.image_format, subject_type=photo.subject_type,
        subject_id=photo.subject_id, stage=photo.stage, created_at=photo.created_at,
    )


def floor_plan_out(unit_type, photo: Photo) -> FloorPlanOut:
    return FloorPlanOut(unit_type=unit_type_out(unit_type), photo=photo_out(photo))
