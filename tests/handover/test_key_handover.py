"""Key handover: only for a passed unit, signed by both, hashed, immutable, corrected by a new record."""
import base64
import io
import uuid

import pytest
from PIL import Image, ImageDraw

from server.handover.tables import KeyHandover
from tests.inspections.support import complete, photo_files, unit_under_inspection


def signature(text_width: int = 200) -> str:
    im = Image.new("RGBA", (320, 120), (0, 0, 0, 0))
    ImageDraw.Draw(im).line([(10, 100), (60, 20), (120, 90), (text_width, 30)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    im.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


BLANK = "data:image/png;base64," + base64.b64encode(
    (lambda b: (Image.new("RGBA", (320, 120), (0, 0, 0, 0)).save(b, "PNG"), b.getvalue())[1])(io.BytesIO())).decode()


def body(party_id, **overrides):
    data = {"client_id": str(uuid.uuid4()), "to": "cs_center", "from_party_id": party_id,
            "keys": [{"kind": "入户门钥匙", "count": 3}, {"kind": "信报箱钥匙", "count": 1}],
            "signatures": {"giver": signature(200), "receiver": signature(260)},
            "giver_name": "陈工", "receiver_name": "王客服"}
    data.update(overrides)
    return data


@pytest.fixture
async def passed_unit(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    await complete(ian, inspection["id"])
    return unit


async def test_keys_cannot_be_handed_over_before_the_unit_passes(personas):
    unit, _ = await unit_under_inspection(personas)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/units/{unit['id']}/key-handovers", json=body(personas.parties["builder_a"].id))
    assert r.status_code == 409
    assert await KeyHandover.count().run() == 0


async def test_a_signed_handover_is_recorded_once_and_hashed(personas, passed_unit):
    carol = await personas.api("carol")
    meter = await carol.post(f"/api/v1/units/{passed_unit['id']}/photos", data={"stage": "meter_water"},
                             files=photo_files(1))
    assert meter.status_code == 201
    photo_id = meter.json()["photos"][0]["id"]
    payload = body(personas.parties["builder_a"].id,
                   meter_readings=[{"kind": "water", "reading": "12.345", "photo_id": photo_id}])
    r = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=payload)
    assert r.status_code == 201, r.text
    record = r.json()
    assert len(record["content_sha256"]) == 64 and record["keys"][0] == {"kind": "入户门钥匙", "count": 3}
    again = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=payload)
    assert again.status_code == 200 and again.json()["id"] == record["id"]
    got = (await carol.get(f"/api/v1/key-handovers/{record['id']}")).json()
    assert got["intact"] is True
    png = await carol.get(record["signatures"]["giver"])
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    unit = (await carol.get(f"/api/v1/units/{passed_unit['id']}")).json()
    assert [h["id"] for h in unit["handovers"]] == [record["id"]]


async def test_the_database_refuses_to_change_a_handover(personas, passed_unit):
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=body(personas.parties["builder_a"].id))
    handover_id = r.json()["id"]
    with pytest.raises(Exception):
        await KeyHandover.update({KeyHandover.giver_name: "someone else"}).where(KeyHandover.id == handover_id).run()
    with pytest.raises(Exception):
        await KeyHandover.delete().where(KeyHandover.id == handover_id).run()
    row = await KeyHandover.objects().get(KeyHandover.id == handover_id).run()
    assert row.giver_name == "陈工"


async def test_a_correction_is_a_new_record_pointing_at_the_old(personas, passed_unit):
    carol = await personas.api("carol")
    party = personas.parties["builder_a"].id
    first = (await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=body(party))).json()
    fixed = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers",
                             json=body(party, corrects_id=first["id"], keys=[{"kind": "入户门钥匙", "count": 4}]))
    assert fixed.status_code == 201 and fixed.json()["corrects_id"] == first["id"]
    assert (await carol.get(f"/api/v1/key-handovers/{first['id']}")).json()["keys"][0]["count"] == 3


@pytest.mark.parametrize("change,field", [
    ({"signatures": {"giver": BLANK, "receiver": signature()}}, "signatures.giver"),
    ({"signatures": {"giver": signature(), "receiver": "data:image/png;base64,bm90IGEgcG5n"}}, "signatures.receiver"),
    ({"keys": []}, "keys"),
    ({"keys": [{"kind": "魔法钥匙", "count": 1}]}, "keys"),
    ({"keys": [{"kind": "入户门钥匙", "count": -1}]}, "keys"),
    ({"to": "neighbour"}, "to"),
    ({"from_party_id": None}, "from_party_id"),
    ({"meter_readings": [{"kind": "water", "reading": "-3"}]}, "meter_readings"),
])
async def test_bad_handovers_are_refused_with_the_field_named(personas, passed_unit, change, field):
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers",
                         json=body(personas.parties["builder_a"].id, **change))
    assert r.status_code == 400, r.text
    assert field in r.json()["errors"]
    assert await KeyHandover.count().run() == 0


async def test_a_contractor_cannot_record_or_read_handovers(personas, passed_unit):
    bob = await personas.api("bob")
    r = await bob.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=body(personas.parties["builder_a"].id))
    assert r.status_code == 403
    assert (await bob.get(f"/api/v1/units/{passed_unit['id']}/key-handovers")).status_code == 404


async def test_keys_go_to_the_owner_only_after_the_cs_center_has_them(personas, passed_unit):
    carol = await personas.api("carol")
    to_owner = body(None, to="owner")
    assert (await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=to_owner)).status_code == 409
    await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=body(personas.parties["builder_a"].id))
    r = await carol.post(f"/api/v1/units/{passed_unit['id']}/key-handovers", json=body(None, to="owner"))
    assert r.status_code == 201
