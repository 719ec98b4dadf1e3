"""Uploading a floor plan: what is accepted, what is refused (and leaves nothing behind)."""
from __future__ import annotations

import dataclasses
import json

import pytest

from tests.photos import images
from tests.photos.support import media_files, new_client_id, photo_count, photo_row, post_floor_plan

pytestmark = pytest.mark.usefixtures("each_storage")  # on the local disk and in a bucket


async def test_a_photo_upload_is_recorded_pending_and_set_as_the_floor_plan(alice, unit_type):
    r = await post_floor_plan(alice, unit_type.id, images.plain_jpeg())
    assert r.status_code == 201, r.text
    body = r.json()
    photo = body["photo"]
    assert photo["status"] == "pending"
    assert photo["image_format"] == "JPEG"
    assert photo["urls"] == {"original": f"/photos/{photo['id']}/original", "display": None, "thumb": None}
    assert body["unit_type"]["floor_plan_photo_id"] == photo["id"]
    row = await photo_row(photo["id"])
    assert (row.subject_type, row.subject_id) == ("unit_type", unit_type.id)


async def test_the_floor_plan_change_is_audited(alice, unit_type):
    from server.audit.services import audit_timeline

    first = (await post_floor_plan(alice, unit_type.id, images.plain_jpeg())).json()["photo"]["id"]
    second = (await post_floor_plan(alice, unit_type.id, images.webp())).json()["photo"]["id"]
    entries = [e for e in await audit_timeline("unit_type", unit_type.id) if e["action"] == "floor_plan_set"]
    details = entries[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details  # JSON columns come back as text
    assert details == {"photo_id": second, "previous_photo_id": first}
    assert entries[0]["actor_name"] == "Alice"


async def test_a_repeated_client_id_answers_the_same_photo_and_stores_nothing(alice, unit_type):
    client_id = new_client_id()
    first = await post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id=client_id)
    assert first.status_code == 201
    files_after_first = await media_files()
    again = await post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id=client_id)
    assert again.status_code == 200
    assert again.json()["photo"]["id"] == first.json()["photo"]["id"]
    assert await photo_count() == 1
    assert await media_files() == files_after_first


async def test_a_client_id_used_for_another_unit_type_is_a_conflict(alice, unit_type):
    from server.org.services import unit_type_create

    other = await unit_type_create(actor=None, project_id=unit_type.project, name="B1")
    client_id = new_client_id()
    assert (await post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id=client_id)).status_code == 201
    r = await post_floor_plan(alice, other.id, images.plain_jpeg(), client_id=client_id)
    assert r.status_code == 409
    assert await photo_count() == 1


def _truncated_jpeg() -> bytes:
    data = images.phone_jpeg((600, 800))
    return data[: len(data) * 2 // 3]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
BAD_UPLOADS = [
    pytest.param(b"", "empty.jpg", 400, "empty", id="zero-bytes"),
    pytest.param(b"This is a text file, not a photo.\n" * 20, "photo.jpg", 415, "not a photo", id="text-named-jpg"),
    pytest.param(_truncated_jpeg(), "cut.jpg", 400, "damaged or incomplete", id="truncated-jpeg"),
    pytest.param(SVG, "plan.svg", 415, "not a photo", id="svg"),
    pytest.param(images.huge_png(30_000, 30_000), "bomb.png", 413, "too many pixels", id="30000x30000-png"),
]


@pytest.mark.parametrize(("data", "filename", "status", "words"), BAD_UPLOADS)
async def test_a_bad_file_is_refused_clearly_and_leaves_nothing(alice, unit_type, data, filename, status, words):
    before = await media_files()
    r = await post_floor_plan(alice, unit_type.id, data, filename=filename)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert await photo_count() == 0
    assert await media_files() == before
    assert (await photo_row_of(unit_type)).floor_plan is None


async def photo_row_of(unit_type):
    from server.org.tables import UnitType

    return await UnitType.objects().get(UnitType.id == unit_type.id).run()


async def test_a_file_over_the_byte_limit_is_refused_while_streaming(alice, unit_type, monkeypatch):
    import server.settings as settings_module

    small = dataclasses.replace(settings_module.get_settings(), upload_max_bytes=100_000)
    monkeypatch.setattr(settings_module, "_settings", small)
    before = await media_files()
    r = await post_floor_plan(alice, unit_type.id, images.phone_jpeg((3000, 4000)) + b"\0" * 200_000)
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]
    assert await photo_count() == 0
    assert await media_files() == before


async def test_messages_are_in_the_callers_language(alice, unit_type):
    english = await post_floor_plan(alice, unit_type.id, SVG, filename="x.svg", language="en")
    chinese = await post_floor_plan(alice, unit_type.id, SVG, filename="x.svg", language="zh-CN")
    assert english.json()["detail"].startswith("This file is not a photo")
    assert chinese.status_code == 415
    assert chinese.json()["detail"] != english.json()["detail"]  # from the zh_CN catalog


async def test_a_request_without_the_photo_is_refused(alice, unit_type):
    before = await media_files()
    r = await alice.post(f"/api/v1/unit-types/{unit_type.id}/floor-plan", data={"client_id": new_client_id()},
                         files={"attachment": ("a.jpg", images.plain_jpeg(), "image/jpeg")})
    assert r.status_code == 400
    assert "photo" in r.json()["errors"]
    assert await media_files() == before


async def test_a_json_body_is_not_an_upload(alice, unit_type):
    r = await alice.post(f"/api/v1/unit-types/{unit_type.id}/floor-plan", json={"photo": "x"})
    assert r.status_code == 415


async def test_a_malformed_client_id_is_refused(alice, unit_type):
    r = await post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id="not-a-uuid")
    assert r.status_code == 400
    assert "client_id" in r.json()["errors"]
    assert await photo_count() == 0


async def test_only_an_admin_may_upload_a_floor_plan(personas, unit_type):
    for name in ("carol", "bob"):
        client = await personas.api(name)
        assert (await post_floor_plan(client, unit_type.id, images.plain_jpeg())).status_code == 403
    assert await photo_count() == 0


async def test_an_unknown_unit_type_is_404(alice, unit_type):
    assert (await post_floor_plan(alice, unit_type.id + 999, images.plain_jpeg())).status_code == 404


async def test_webp_and_heic_are_accepted(alice, unit_type):
    for data, name, fmt in ((images.webp(), "p.webp", "WEBP"), (images.heic(), "IMG_0001.HEIC", "HEIF")):
        r = await post_floor_plan(alice, unit_type.id, data, filename=name, content_type="application/octet-stream")
        assert r.status_code == 201, r.text
        assert r.json()["photo"]["image_format"] == fmt
