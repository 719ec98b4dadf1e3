"""Working without signal, server side: the "download for offline" bundle and
who may have it, replays that answer success, the capture time a downscaled
photo keeps, and what the outbox asks before it uploads."""
import datetime as dt
import io

from PIL import Image

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.inspections.support import defect_form, new_id, photo_files, unit_under_inspection
from tests.photos.images import phone_jpeg
from tests.photos.support import run_worker
from tests.support import csrf


def _exifless_jpeg() -> bytes:
    """What a browser canvas makes of a phone photo: pixels only, no EXIF."""
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 90, 60)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def test_the_bundle_has_what_the_unit_needs_offline(personas):
    a = personas.parties["builder_a"].id
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    assert (await ian.post(f"{base}/defects", data=defect_form(a), files=photo_files(1))).status_code == 201
    from workers.settings import WorkerSettings

    await run_worker(WorkerSettings)

    r = await ian.get(f"{base}/offline")
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["inspection_id"] == inspection["id"] and bundle["status"] == "in_progress"
    assert f"/inspections/{inspection['id']}/defects/new" in bundle["pages"]
    assert bundle["checklist"] and bundle["checklist"][0]["items"]
    assert [p["name"] for p in bundle["parties"]] == ["Builder A", "Builder B"]
    assert len(bundle["defects"]) == 1 and len(bundle["defects"][0]["thumbs"]) == 1
    assert bundle["defects"][0]["thumbs"][0] in bundle["assets"]


async def test_only_the_inspections_one_may_work_can_be_downloaded(personas):
    _, inspection = await unit_under_inspection(personas)  # ian's
    url = f"/api/v1/inspections/{inspection['id']}/offline"
    from server.accounts.tables import User

    other = User(username="ivy", password_hash=personas.user("ian").password_hash, role="inspector")
    await other.save().run()
    personas.users["ivy"] = other
    assert (await (await personas.api("ivy")).get(url)).status_code == 404  # another inspector's: not there
    assert (await (await personas.api("carol")).get(url)).status_code == 200  # CS staff plan and cover
    assert (await (await personas.api("bob")).get(url)).status_code == 403  # contractors never
    assert (await (await personas.api("ian")).get("/api/v1/inspections/999999/offline")).status_code == 404


async def test_replays_answer_success_without_storing_twice(personas):
    a = personas.parties["builder_a"].id
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    form = {**defect_form(a), "photo_client_id": new_id()}
    first = await ian.post(f"{base}/defects", data=form, files=photo_files(1))
    again = await ian.post(f"{base}/defects", data=form, files=photo_files(1))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    defect_id = first.json()["id"]
    assert (await Photo.objects().get(Photo.subject_id == defect_id).run()).client_id is not None

    photo = {"client_id": new_id(), "stage": "found"}
    one = await ian.post(f"/api/v1/defects/{defect_id}/photos", data=photo, files=photo_files(1))
    two = await ian.post(f"/api/v1/defects/{defect_id}/photos", data=photo, files=photo_files(1))
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["photos"][0]["id"] == two.json()["photos"][0]["id"]
    assert await Defect.count().run() == 1
    assert await Photo.count().where(Photo.subject_id == defect_id).run() == 2


async def test_a_downscaled_photo_keeps_the_capture_time_the_phone_sent(personas):
    from workers.settings import WorkerSettings

    a = personas.parties["builder_a"].id
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    taken = "2026-03-14T01:26:53.000Z"
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data={**defect_form(a), "captured_at": taken, "photo_client_id": new_id(),
                             "photo_captured_at": taken},
                       files=[("photos", ("small.jpg", _exifless_jpeg(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    defect_id = r.json()["id"]
    # A second photo on its own, with its own time; a third keeps its EXIF time over ours.
    r = await ian.post(f"/api/v1/defects/{defect_id}/photos", files=[("photos", ("b.jpg", _exifless_jpeg(), "image/jpeg"))],
                       data={"client_id": new_id(), "stage": "found", "captured_at": "2026-03-14T02:00:00+08:00"})
    assert r.status_code == 201, r.text
    r = await ian.post(f"/api/v1/defects/{defect_id}/photos", files=[("photos", ("c.jpg", phone_jpeg((400, 300)), "image/jpeg"))],
                       data={"client_id": new_id(), "stage": "found", "captured_at": "2026-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    await run_worker(WorkerSettings)

    photos = await Photo.objects().where(Photo.subject_id == defect_id).order_by(Photo.id).run()
    assert [p.status for p in photos] == ["ready"] * 3
    utc = dt.timezone.utc
    assert photos[0].captured_at == dt.datetime(2026, 3, 14, 1, 26, 53, tzinfo=utc)
    assert photos[1].captured_at == dt.datetime(2026, 3, 13, 18, 0, tzinfo=utc)
    assert photos[2].captured_at == dt.datetime(2025, 3, 14, 1, 26, 53, tzinfo=utc)  # EXIF 09:26:53 +08:00


async def test_a_bad_capture_time_is_refused_beside_its_field(personas):
    a = personas.parties["builder_a"].id
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data={**defect_form(a), "captured_at": "yesterday"}, files=photo_files(1))
    assert r.status_code == 400 and "captured_at" in r.json()["errors"]


async def test_the_outbox_learns_who_is_signed_in_and_a_fresh_token(personas):
    browser = await personas.browser("ian")
    r = await browser.get("/offline/session")
    body = r.json()
    assert body["signed_in"] and body["user_id"] == personas.user("ian").id
    assert body["csrf_token"] and r.headers["cache-control"] == "no-store"


async def test_a_stale_form_token_is_told_apart_from_a_refusal(personas):
    _, inspection = await unit_under_inspection(personas)
    browser = await personas.browser("ian")
    await csrf(browser)
    browser.headers["X-CSRFToken"] = "stale"
    r = await browser.post(f"/api/v1/inspections/{inspection['id']}/defects", data={"room": "x"})
    assert r.status_code == 403 and r.json()["reason"] == "csrf"
