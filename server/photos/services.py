"""Photos as the other contexts use them: check, store, record, enqueue.

A feature that takes photos (a defect, a floor plan, a meter reading) does:

    with await receive_upload(request) as upload:            # scratch files
        async with PhotoIntake(upload.files_for("photos")) as intake:   # checks: 4xx here
            async with write_transaction():
                defect = ...                                    # the subject
                recorded = await intake.record(subject_type="defect", subject_id=defect.id,
                                               actor=user, client_ids=[...])
        # leaving the intake: the transaction has committed, processing is queued

so the photo rows and their subject commit together, a failure anywhere
leaves neither rows nor files behind, and the jobs are queued only for rows
that exist. Enqueueing is best-effort (`server.jobs.enqueue`): with Redis
down the photo stays `pending` and the worker's sweep picks it up later.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from server.audit.services import audit_record
from server.db import engine
from server.errors import Conflict, DomainError, Invalid
from server.i18n import _
from server.jobs import DEFAULT_QUEUE, HEAVY_QUEUE, enqueue
from server.photos import imaging
from server.photos.errors import TooLarge, UnsupportedMedia
from server.photos.storage import get_storage
from server.photos.tables import Photo, PhotoStatus
from server.photos.staged import StagedFile
from server.settings import get_settings

log = logging.getLogger("server.photos")

PROCESS_JOB = "process_photo"
"""Job name, resolved by the worker (`workers.photos`); the server never imports workers."""
VARIANTS = ("original", "display", "thumb")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heif"}


def N_(message: str) -> str:
    """Marks a message for the catalog; it is stored in English and translated when shown."""
    return message


# Reasons the worker records on a failed photo (English msgids, see `photo_out`).
FAILURE_UNREADABLE = N_("The photo could not be read.")
FAILURE_GAVE_UP = N_("The photo could not be processed after several attempts.")


@dataclass(frozen=True)
class CheckedFile:
    staged: StagedFile
    facts: imaging.ImageFacts


@dataclass(frozen=True)
class RecordedPhoto:
    photo: Photo
    created: bool
    """False when a repeated client_id answered an existing photo."""


# ---------------------------------------------------------------- keys and queues

def job_id(photo_id: int, attempts: int = 0) -> str:
    """One job per photo and attempt at a time: arq refuses a second job with this id. A photo
    tried before gets a new id, since the job of a worker that died may still hold the old one."""
    return f"photo:{photo_id}" if attempts == 0 else f"photo:{photo_id}:retry{attempts}"


def queue_for(image_format: str) -> str:
    # HEIC decodes 7-9x slower than JPEG: it gets its own worker so a batch
    # of iPhone photos never delays JPEGs (and rectification notices).
    return HEAVY_QUEUE if image_format == "HEIF" else DEFAULT_QUEUE


def new_original_key(image_format: str, now: datetime | None = None) -> str:
    """photos/2026/11/<random>/original.jpg: unguessable, never reused, and
    the variants sit beside it (see `variant_key`)."""
    now = now or datetime.now(timezone.utc)
    return f"photos/{now:%Y/%m}/{secrets.token_hex(16)}/original.{EXTENSIONS[image_format]}"


def variant_key(original_key: str, variant: str) -> str:
    folder = original_key.rsplit("/", 1)[0]
    return f"{folder}/{variant}.jpg"


async def photo_enqueue(photo_id: int, image_format: str) -> bool:
    return await enqueue(PROCESS_JOB, photo_id, job_id=job_id(photo_id), queue=queue_for(image_format))


# ---------------------------------------------------------------- checking

def parse_client_id(value: str | None, field: str = "client_id") -> uuid.UUID | None:
    if value is None or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={field: _("This must be a UUID.")}) from None


def parse_captured_at(value: Any, field: str = "captured_at") -> datetime | None:
    """An ISO 8601 time from the client (`Date.toISOString()`), or None when absent.
    A time without an offset is taken as UTC."""
    if isinstance(value, datetime) or value is None:
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={field: _("This value is not valid.")}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def photo_fields(client_ids: Sequence[Any], captured_ats: Sequence[Any],
                 errors: dict[str, str]) -> tuple[list[uuid.UUID | None], list[datetime | None]]:
    """Each file's own client_id and device capture time, as a multipart upload sends them
    (`photo_client_id`, `photo_captured_at`, in the order of the files); a bad one puts its
    message under "photos" in `errors` and answers no ids and no times."""
    try:
        ids = [None if v in (None, "") else uuid.UUID(str(v)) for v in client_ids or []]
    except ValueError:
        errors["photos"] = _("This is not a valid identifier.")
        return [], []
    try:
        return ids, [parse_captured_at(v, "photos") for v in captured_ats or []]
    except Invalid as exc:
        errors.update(exc.field_errors)
        return [], []


def _rejection(exc: imaging.ImageRejected, max_pixels: int) -> DomainError:
    if exc.reason == imaging.ImageRejected.EMPTY:
        return Invalid(_("The file is empty. Please choose the photo again."))
    if exc.reason == imaging.ImageRejected.TOO_MANY_PIXELS:
        return TooLarge(_("The photo has too many pixels (at most %(n)s megapixels).", n=max_pixels // 1_000_000))
    if exc.reason == imaging.ImageRejected.TOO_MUCH_METADATA:
        return TooLarge(_("The photo carries too much EXIF metadata (at most %(n)s KB).",
                          n=imaging.MAX_EXIF_BYTES // 1024))
    if exc.reason == imaging.ImageRejected.BROKEN:
        return Invalid(_("The photo is damaged or incomplete. Please take or choose it again."))
    return UnsupportedMedia(_("This file is not a photo we accept. Please use JPEG, PNG, WebP or HEIC."))


async def photos_check(files: Sequence[StagedFile]) -> list[CheckedFile]:
    """Decode every file (in a thread: Pillow must not block the event loop);
    the first bad one raises a translated 400/413/415."""
    max_pixels = get_settings().upload_max_pixels
    checked = []
    for staged in files:
        try:
            facts = await asyncio.to_thread(imaging.inspect, staged.path, max_pixels=max_pixels)
        except imaging.ImageRejected as exc:
            log.info("Rejected upload %r (%s bytes): %s", staged.filename, staged.size, exc)
            raise _rejection(exc, max_pixels) from None
        checked.append(CheckedFile(staged, facts))
    return checked


# ---------------------------------------------------------------- recording

class PhotoIntake:
    """The files of one request on their way to becoming photos (module doc).

    Entering checks them (raising 4xx and deleting them when one is bad);
    `record` stores originals and inserts rows inside the caller's write
    transaction; leaving either queues processing (success) or deletes the
    originals it stored (failure: the transaction rolled back, the rows are
    gone, so must the files be). Scratch files are always removed.
    """

    def __init__(self, files: Sequence[StagedFile]) -> None:
        self.files = list(files)
        self.checked: list[CheckedFile] = []
        self._stored_keys: list[str] = []
        self._created: list[Photo] = []

    async def __aenter__(self) -> "PhotoIntake":
        try:
            self.checked = await photos_check(self.files)
        except BaseException:
            self._discard_scratch()
            raise
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._discard_scratch()
        if exc_type is not None:
            storage = get_storage()
            for key in self._stored_keys:
                await storage.delete(key)
            return
        for photo in self._created:
            await photo_enqueue(photo.id, photo.image_format)

    def _discard_scratch(self) -> None:
        for staged in self.files:
            staged.path.unlink(missing_ok=True)

    async def record(self, *, subject_type: str, subject_id: int, actor: Any, stage: str = "",
                     client_ids: Sequence[uuid.UUID | None] | None = None,
                     captured_ats: Sequence[datetime | None] | None = None) -> list[RecordedPhoto]:
        """Store and insert one `pending` photo per checked file. A file whose
        client_id is already known answers the existing photo and stores nothing.

        `captured_ats` are the device's capture times as the client sent them:
        a photo downscaled in the browser has lost its EXIF, so this is the
        only capture time it has (processing keeps EXIF's when there is one)."""
        if not engine().transaction_exists():
            raise RuntimeError("PhotoIntake.record must run inside the caller's write_transaction()")
        client_ids = list(client_ids or [])
        captured_ats = list(captured_ats or [])
        storage = get_storage()
        results = []
        for index, item in enumerate(self.checked):
            client_id = client_ids[index] if index < len(client_ids) else None
            captured_at = captured_ats[index] if index < len(captured_ats) else None
            existing = await _existing(client_id, subject_type, subject_id)
            if existing is not None:
                results.append(RecordedPhoto(existing, created=False))
                continue
            key = new_original_key(item.facts.format)
            await storage.put_file(key, item.staged.path)
            self._stored_keys.append(key)
            photo = Photo(client_id=client_id, subject_type=subject_type, subject_id=subject_id, stage=stage,
                          status=PhotoStatus.PENDING, image_format=item.facts.format, byte_size=item.staged.size,
                          original_key=key, uploaded_by_id=getattr(actor, "id", None), captured_at=captured_at)
            await photo.save().run()
            await audit_record(actor=actor, object_type="photo", object_id=photo.id, action="create",
                               to_state=PhotoStatus.PENDING,
                               details={"subject_type": subject_type, "subject_id": subject_id, "stage": stage})
            self._created.append(photo)
            results.append(RecordedPhoto(photo, created=True))
        return results


async def _existing(client_id: uuid.UUID | None, subject_type: str, subject_id: int) -> Photo | None:
    if client_id is None:
        return None
    photo = await Photo.objects().get(Photo.client_id == client_id).run()
    if photo is not None and (photo.subject_type, photo.subject_id) != (subject_type, subject_id):
        raise Conflict(_("This client_id was already used for another record."))
    return photo


def client_ids_for(client_id: uuid.UUID | None, count: int) -> list[uuid.UUID | None]:
    """A client_id for each of an upload's `count` files: the one the client
    sent for the first, and for the others ids derived from it, so a resend of
    several files is known file by file and none is stored twice."""
    if client_id is None:
        return [None] * count
    return [client_id] + [uuid.uuid5(client_id, str(index)) for index in range(1, count)]


async def photos_by_client_ids(client_ids: Sequence[uuid.UUID | None], subject_type: str,
                               subject_id: int) -> list[RecordedPhoto] | None:
    """The photos already recorded under these client_ids (None when there are
    none); a client_id used for another record is a 409."""
    known = [client_id for client_id in client_ids if client_id is not None]
    rows = await Photo.objects().where(Photo.client_id.is_in(known)).order_by(Photo.id).run() if known else []
    if any((photo.subject_type, photo.subject_id) != (subject_type, subject_id) for photo in rows):
        raise Conflict(_("This client_id was already used for another record."))
    return [RecordedPhoto(photo, created=False) for photo in rows] or None


# ---------------------------------------------------------------- reading

def variant_file(photo: Photo, variant: str) -> tuple[str, str] | None:
    """(storage key, media type) of a variant, or None when it does not exist (yet)."""
    if variant == "original":
        return photo.original_key, MEDIA_TYPES.get(photo.image_format, "application/octet-stream")
    if variant in ("display", "thumb") and photo.status == PhotoStatus.READY:
        key = photo.display_key if variant == "display" else photo.thumb_key
        return (key, "image/jpeg") if key else None
    return None


def photo_urls(photo: Photo) -> dict[str, str | None]:
    return {variant: (f"/photos/{photo.id}/{variant}" if variant_file(photo, variant) else None)
            for variant in VARIANTS}
