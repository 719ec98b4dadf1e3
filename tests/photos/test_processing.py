"""Processing by a real arq worker (burst mode, real Redis): display image and
thumbnail upright and without metadata, and nothing lost when Redis is down."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from tests.photos import images
from tests.photos.support import media_files, photo_row, post_floor_plan, run_worker, served

pytestmark = pytest.mark.usefixtures("each_storage")  # on the local disk and in a bucket


async def _upload(alice, unit_type, data: bytes, filename: str = "photo.jpg") -> int:
    r = await post_floor_plan(alice, unit_type.id, data, filename=filename)
    assert r.status_code == 201, r.text
    return r.json()["photo"]["id"]


async def _file(client, photo_id: int, variant: str) -> bytes:
    r = await served(client, f"/photos/{photo_id}/{variant}")
    assert r.status_code == 200, r.text
    return r.content


async def test_a_sideways_phone_photo_comes_out_upright_small_and_without_metadata(alice, unit_type):
    from workers.settings import WorkerSettings

    original = images.phone_jpeg((3000, 4000), orientation=6)
    photo_id = await _upload(alice, unit_type, original)
    await run_worker(WorkerSettings)

    photo = (await alice.get(f"/api/v1/photos/{photo_id}")).json()
    assert photo["status"] == "ready", photo
    assert (photo["width"], photo["height"]) == (3000, 4000)  # upright size of the original
    assert datetime.fromisoformat(photo["captured_at"]) == datetime(2025, 3, 14, 1, 26, 53, tzinfo=timezone.utc)
    assert photo["urls"]["display"] and photo["urls"]["thumb"]

    display = await _file(alice, photo_id, "display")
    thumb = await _file(alice, photo_id, "thumb")
    for data, longest in ((display, 1600), (thumb, 320)):
        im = Image.open(io.BytesIO(data))
        assert im.format == "JPEG"
        assert im.size == (longest * 3 // 4, longest)  # portrait, fitted to the longest side
        assert images.looks_red(images.color_at(data, (0.5, 0.1)))  # top is red: upright
        assert images.looks_blue(images.color_at(data, (0.5, 0.9)))
        assert not im.getexif()  # no orientation, no GPS, no camera, no time
        assert "xmp" not in im.info and "comment" not in im.info
        assert not {0xE1, 0xFE} & set(images.jpeg_segments(data))  # no APP1 (EXIF/XMP), no COM
    assert await _file(alice, photo_id, "original") == original  # kept byte for byte


async def test_a_missing_offset_means_china_time(alice, unit_type):
    from workers.settings import WorkerSettings

    photo_id = await _upload(alice, unit_type, images.phone_jpeg((600, 800), offset=None))
    await run_worker(WorkerSettings)
    row = await photo_row(photo_id)
    assert row.captured_at == datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone(timedelta(hours=8)))


async def test_a_transparent_png_plan_is_flattened_on_white(alice, unit_type):
    from workers.settings import WorkerSettings

    photo_id = await _upload(alice, unit_type, images.transparent_png((2400, 1200)), "plan.png")
    await run_worker(WorkerSettings)
    row = await photo_row(photo_id)
    assert (row.status, row.width, row.height) == ("ready", 2400, 1200)
    display = await _file(alice, photo_id, "display")
    assert Image.open(io.BytesIO(display)).size == (1600, 800)
    assert images.color_at(display, (0.2, 0.5)) >= (250, 250, 250)  # transparent -> white
    assert max(images.color_at(display, (0.8, 0.5))) < 60  # the drawing stays dark


async def test_a_heic_photo_is_processed_by_the_heavy_worker(alice, unit_type):
    from workers.settings import HeavyWorkerSettings, WorkerSettings

    photo_id = await _upload(alice, unit_type, images.heic((1200, 900)), "IMG_0042.HEIC")
    await run_worker(WorkerSettings)  # the default queue does not take HEIC
    assert (await photo_row(photo_id)).status == "pending"
    await run_worker(HeavyWorkerSettings)
    row = await photo_row(photo_id)
    assert (row.status, row.width, row.height) == ("ready", 1200, 900)
    thumb = await _file(alice, photo_id, "thumb")
    assert Image.open(io.BytesIO(thumb)).size == (320, 240)
    assert images.looks_red(images.color_at(thumb, (0.5, 0.1)))


async def test_processing_twice_changes_nothing(alice, unit_type):
    from workers.photos import process_photo
    from workers.settings import WorkerSettings

    photo_id = await _upload(alice, unit_type, images.phone_jpeg((600, 800)))
    await run_worker(WorkerSettings)
    before = (await photo_row(photo_id)).to_dict()
    files_before = await media_files()

    assert await process_photo({}, photo_id) == "not pending"  # a repeat job: the claim fails
    from server.photos.services import photo_enqueue

    assert await photo_enqueue(photo_id, "JPEG")  # and through the queue again
    await run_worker(WorkerSettings)
    assert (await photo_row(photo_id)).to_dict() == before
    assert await media_files() == files_before
    assert before["attempts"] == 1


async def test_an_upload_while_redis_is_down_is_kept_and_processed_later(alice, unit_type, redis_server):
    from server.photos.tables import Photo
    from workers.settings import WorkerSettings

    redis_server.stop()
    try:
        r = await post_floor_plan(alice, unit_type.id, images.phone_jpeg((600, 800)))
    finally:
        redis_server.start()
    assert r.status_code == 201
    photo_id = r.json()["photo"]["id"]
    assert r.json()["photo"]["status"] == "pending"

    # The sweep leaves photos younger than 30 s alone (their job may be on
    # its way); this one is a minute old.
    await Photo.update({Photo.created_at: datetime.now(timezone.utc) - timedelta(minutes=1)}).where(
        Photo.id == photo_id).run()
    await run_worker(WorkerSettings)  # its startup sweep finds the photo and queues it
    assert (await photo_row(photo_id)).status == "ready"


class RecordingRedis:
    """Stands in for arq's pool in a direct call of the sweep: records what it would queue."""

    def __init__(self) -> None:
        self.queued: list[tuple] = []

    async def enqueue_job(self, name, *args, _job_id=None, _queue_name=None):
        self.queued.append((name, args, _job_id, _queue_name))
        return object()


async def test_the_sweep_queues_only_photos_left_pending_for_a_while(alice, unit_type):
    from server.jobs import DEFAULT_QUEUE, HEAVY_QUEUE
    from server.photos.tables import Photo
    from workers.photos import sweep_photos

    fresh = await _upload(alice, unit_type, images.plain_jpeg())
    old_jpeg = await _upload(alice, unit_type, images.plain_jpeg())
    old_heic = await _upload(alice, unit_type, images.heic(), "IMG_1.HEIC")
    # Older than the 30 s grace, younger than a claim period (PHOTO_CLAIM_SECONDS, 120 s):
    # queued under the web app's own job id, so a job still waiting in the queue is not doubled.
    await Photo.update({Photo.created_at: datetime.now(timezone.utc) - timedelta(minutes=1)}).where(
        Photo.id.is_in([old_jpeg, old_heic])).run()
    redis = RecordingRedis()
    assert (await sweep_photos({"redis": redis}))["queued"] == 2
    assert sorted(redis.queued) == sorted([
        ("process_photo", (old_jpeg,), f"photo:{old_jpeg}", DEFAULT_QUEUE),
        ("process_photo", (old_heic,), f"photo:{old_heic}", HEAVY_QUEUE),
    ])
    assert fresh not in [args[0] for _, args, _, _ in redis.queued]

    # Still pending a claim period later: its job was lost with a dead worker, whose job id
    # arq keeps "in progress" for minutes, so it is queued under a new one, once per period.
    await Photo.update({Photo.created_at: datetime.now(timezone.utc) - timedelta(seconds=250)}).where(
        Photo.id == old_jpeg).run()
    redis = RecordingRedis()
    await sweep_photos({"redis": redis})
    assert ("process_photo", (old_jpeg,), f"photo:{old_jpeg}:late2", DEFAULT_QUEUE) in redis.queued


async def test_the_sweep_takes_back_a_claim_of_a_dead_worker(alice, unit_type):
    from server.photos.tables import Photo
    from workers.photos import sweep_photos

    photo_id = await _upload(alice, unit_type, images.plain_jpeg())
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    await Photo.update({Photo.status: "processing", Photo.claimed_at: long_ago, Photo.attempts: 1,
                        Photo.created_at: long_ago}).where(Photo.id == photo_id).run()

    redis = RecordingRedis()
    result = await sweep_photos({"redis": redis})
    assert result["returned"] == 1 and result["queued"] == 1  # back to pending, and queued again
    row = await photo_row(photo_id)
    assert (row.status, row.claimed_at) == ("pending", None)

    # A photo that keeps killing its worker is given up on after MAX_ATTEMPTS.
    await Photo.update({Photo.status: "processing", Photo.claimed_at: long_ago, Photo.attempts: 3}).where(
        Photo.id == photo_id).run()
    assert (await sweep_photos({"redis": RecordingRedis()}))["failed"] == 1
    failed = (await alice.get(f"/api/v1/photos/{photo_id}", headers={"Accept-Language": "en"})).json()
    assert failed["status"] == "failed" and "several attempts" in failed["failure_reason"]
    chinese = (await alice.get(f"/api/v1/photos/{photo_id}", headers={"Accept-Language": "zh-CN"})).json()
    assert chinese["failure_reason"] != failed["failure_reason"]  # stored in English, shown translated


async def test_an_original_that_no_longer_decodes_fails_with_a_reason(alice, unit_type):
    from server.photos.storage import get_storage
    from workers.photos import process_photo

    photo_id = await _upload(alice, unit_type, images.plain_jpeg())
    row = await photo_row(photo_id)
    await get_storage().put_bytes(row.original_key, b"\xff\xd8 not really a jpeg any more")
    with ThreadPoolExecutor(1) as executor:
        assert await process_photo({"executor": executor}, photo_id) == "failed"
    photo = (await alice.get(f"/api/v1/photos/{photo_id}", headers={"Accept-Language": "en"})).json()
    assert (photo["status"], photo["failure_reason"]) == ("failed", "The photo could not be read.")
    assert photo["urls"]["display"] is None


async def test_a_storage_hiccup_gives_the_photo_back_for_another_attempt(alice, unit_type):
    from server.photos.storage import get_storage
    from workers.photos import process_photo

    photo_id = await _upload(alice, unit_type, images.plain_jpeg())
    row = await photo_row(photo_id)
    storage = get_storage()
    kept = await storage.read_bytes(row.original_key)
    await storage.delete(row.original_key)  # e.g. an object store briefly answering 404
    with ThreadPoolExecutor(1) as executor:
        with pytest.raises(FileNotFoundError):
            await process_photo({"executor": executor}, photo_id)
        after = await photo_row(photo_id)
        assert (after.status, after.attempts) == ("pending", 1)
        await storage.put_bytes(row.original_key, kept)
        assert await process_photo({"executor": executor}, photo_id) == "ready"
