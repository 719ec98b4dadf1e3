"""Who may see a photo and its files: whoever may see its subject; others get 404."""
from __future__ import annotations

import pytest

from tests.photos import images
from tests.photos.support import post_floor_plan, run_worker, served

pytestmark = pytest.mark.usefixtures("each_storage")  # on the local disk and in a bucket


@pytest.fixture
async def floor_plan_photo(alice, unit_type):
    from workers.settings import WorkerSettings

    r = await post_floor_plan(alice, unit_type.id, images.plain_jpeg())
    await run_worker(WorkerSettings)
    return r.json()["photo"]["id"]


async def test_staff_see_a_floor_plan_and_its_files(personas, floor_plan_photo):
    inspector = await personas.api("ian")
    assert (await inspector.get(f"/api/v1/photos/{floor_plan_photo}")).json()["status"] == "ready"
    for variant in ("original", "display", "thumb"):
        r = await served(inspector, f"/photos/{floor_plan_photo}/{variant}", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert "content-encoding" not in r.headers  # JPEGs do not shrink under gzip: skip_compression
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"].startswith("private")
        assert int(r.headers["content-length"]) == len(r.content)
        assert r.headers["etag"]


async def test_a_contractor_gets_404_for_a_floor_plan_and_its_files(personas, floor_plan_photo):
    bob = await personas.api("bob")
    assert (await bob.get(f"/api/v1/photos/{floor_plan_photo}")).status_code == 404
    for variant in ("original", "display", "thumb"):
        assert (await bob.get(f"/photos/{floor_plan_photo}/{variant}",
                              headers={"Accept": "application/json"})).status_code == 404


async def test_an_owner_gets_404_too(personas, floor_plan_photo):
    olga = await personas.api("olga")
    assert (await olga.get(f"/api/v1/photos/{floor_plan_photo}")).status_code == 404


async def test_a_signed_out_caller_is_asked_to_sign_in(client, floor_plan_photo):
    assert (await client.get(f"/api/v1/photos/{floor_plan_photo}")).status_code == 401
    r = await client.get(f"/photos/{floor_plan_photo}/thumb", headers={"Accept": "application/json"})
    assert r.status_code == 401
    page = await client.get(f"/photos/{floor_plan_photo}/thumb")  # a browser is sent to the sign-in page
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_an_unchanged_file_answers_304(alice, floor_plan_photo):
    first = await served(alice, f"/photos/{floor_plan_photo}/display")
    again = await served(alice, f"/photos/{floor_plan_photo}/display", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_variants_are_404_until_ready_and_unknown_variants_always(alice, unit_type):
    r = await post_floor_plan(alice, unit_type.id, images.plain_jpeg())
    photo_id = r.json()["photo"]["id"]
    assert (await served(alice, f"/photos/{photo_id}/original")).status_code == 200
    assert (await alice.get(f"/photos/{photo_id}/display", headers={"Accept": "application/json"})).status_code == 404
    assert (await alice.get(f"/photos/{photo_id}/big", headers={"Accept": "application/json"})).status_code == 404


async def test_a_missing_photo_is_404(alice):
    assert (await alice.get("/api/v1/photos/999999")).status_code == 404
