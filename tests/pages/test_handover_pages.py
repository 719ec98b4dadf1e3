"""Key handover in the browser: refused (409) before the unit passes, signed and
hashed after, shown as a receipt, corrected by a new record."""
from __future__ import annotations

import uuid

import pytest

from server.handover.schemas import KeyCount, handover_out
from server.handover.tables import KeyHandover
from tests.handover.test_key_handover import signature
from tests.inspections.support import complete, photo_files, unit_under_inspection
from tests.pages.test_rectification_pages import english, with_pages


@pytest.fixture(scope="module")
def app(migrated_db):
    from server.app import create_app

    return with_pages(create_app())


@pytest.fixture
async def passed_unit(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    await complete(ian, inspection["id"])  # nothing found: passed
    return unit


def form(party_id, **overrides) -> dict:
    data = {"client_id": str(uuid.uuid4()), "to": "cs_center", "from_party_id": str(party_id),
            "key_kind": ["入户门钥匙", "信报箱钥匙", "门禁卡"], "key_count": ["3", "1", "0"],
            "signature_giver": signature(200), "signature_receiver": signature(260),
            "giver_name": "陈工", "receiver_name": "王客服"}
    data.update(overrides)
    return data


async def test_before_the_unit_passes_the_page_warns_and_a_submit_is_a_409_that_keeps_the_form(personas):
    unit, _inspection = await unit_under_inspection(personas)
    carol = await english(await personas.browser("carol"))
    page = await carol.get(f"/handover/units/{unit['id']}")
    assert page.status_code == 200 and "has not passed inspection" in page.text
    refused = await carol.post(f"/handover/units/{unit['id']}", data=form(personas.parties["builder_a"].id))
    assert refused.status_code == 409
    assert "Keys can be handed over only after the unit has passed inspection." in refused.text
    assert 'value="陈工"' in refused.text and 'value="3"' in refused.text
    assert await KeyHandover.count().run() == 0


async def test_a_signed_handover_with_a_meter_photo_gives_a_receipt_with_its_hash(personas, passed_unit):
    carol = await english(await personas.browser("carol"))
    listing = await carol.get("/handover")
    assert listing.status_code == 200 and f'href="/handover/units/{passed_unit["id"]}"' in listing.text
    page = await carol.get(f"/handover/units/{passed_unit['id']}")
    assert page.status_code == 200 and "入户门钥匙" in page.text and "data-signature" in page.text
    meter = await carol.post(f"/handover/units/{passed_unit['id']}/meter-photos", data={"stage": "meter_water"},
                             files=photo_files(1), headers={"Accept": "application/json"})
    assert meter.status_code == 201, meter.text
    photo_id = meter.json()["photo_id"]
    data = form(personas.parties["builder_a"].id, meter_water="12.345", meter_water_photo=str(photo_id))
    made = await carol.post(f"/handover/units/{passed_unit['id']}", data=data, follow_redirects=False)
    assert made.status_code == 303, made.text
    record = await KeyHandover.objects().first().run()
    assert made.headers["location"] == f"/handover/{record.id}"
    assert handover_out(record).keys == [KeyCount("入户门钥匙", 3), KeyCount("信报箱钥匙", 1)]  # zero counts left out
    again = await carol.post(f"/handover/units/{passed_unit['id']}", data=data, follow_redirects=False)
    assert again.headers["location"] == f"/handover/{record.id}" and await KeyHandover.count().run() == 1
    receipt = await carol.get(f"/handover/{record.id}")
    assert receipt.status_code == 200
    assert record.content_sha256 in receipt.text and "Intact" in receipt.text
    assert "陈工" in receipt.text and "12.345" in receipt.text and "Builder A" in receipt.text
    assert f"/api/v1/key-handovers/{record.id}/signatures/giver" in receipt.text


async def test_missing_signatures_and_keys_come_back_beside_their_fields(personas, passed_unit):
    carol = await english(await personas.browser("carol"))
    data = form(personas.parties["builder_a"].id, signature_receiver="", key_count=["0", "0", "0"])
    refused = await carol.post(f"/handover/units/{passed_unit['id']}", data=data, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "<html" not in refused.text
    assert "Both parties must sign on the screen." in refused.text
    assert "List the keys handed over." in refused.text
    assert data["signature_giver"] in refused.text  # the giver does not sign twice
    assert await KeyHandover.count().run() == 0


async def test_correcting_a_record_makes_a_new_one_pointing_at_the_old(personas, passed_unit):
    carol = await english(await personas.browser("carol"))
    url = f"/handover/units/{passed_unit['id']}"
    await carol.post(url, data=form(personas.parties["builder_a"].id))
    first = await KeyHandover.objects().first().run()
    page = await carol.get(f"{url}?corrects={first.id}")
    assert page.status_code == 200 and f'name="corrects_id" value="{first.id}"' in page.text
    assert 'value="陈工"' in page.text and f"Correction of record #{first.id}" in page.text
    fixed = await carol.post(url, data=form(personas.parties["builder_a"].id, corrects_id=str(first.id),
                                            key_count=["4", "1", "0"]), follow_redirects=False)
    assert fixed.status_code == 303
    second = await KeyHandover.objects().where(KeyHandover.corrects == first.id).first().run()
    receipt = await carol.get(f"/handover/{second.id}")
    assert f"Correction of #{first.id}" in receipt.text
    assert f'href="/handover/{second.id}"' in (await carol.get(f"/handover/{first.id}")).text
    assert (await KeyHandover.objects().get(KeyHandover.id == first.id).run()).giver_name == "陈工"


async def test_only_cs_staff_and_inspectors_hand_over_keys(personas, passed_unit):
    for name in ("bob", "sam", "paul"):
        other = await personas.browser(name)
        assert (await other.get("/handover")).status_code == 403, name
        assert (await other.post(f"/handover/units/{passed_unit['id']}",
                                 data=form(personas.parties["builder_a"].id))).status_code == 403, name
    ian = await personas.browser("ian")
    assert (await ian.get(f"/handover/units/{passed_unit['id']}")).status_code == 200


async def test_the_roles_that_hand_over_keys_have_it_in_their_navigation_and_the_form_asks_first(
        personas, passed_unit):
    import re

    nav_link = re.compile(r'<nav class="weui-tabbar app-nav".*?href="/handover".*?</nav>', re.S)
    for name in ("carol", "ian"):
        page = await personas.browser(name)
        assert nav_link.search((await page.get("/")).text), name
    for name in ("bob", "sam", "paul", "alice"):
        page = await personas.browser(name)
        assert not nav_link.search((await page.get("/")).text), name
    carol = await english(await personas.browser("carol"))
    page = (await carol.get(f"/handover/units/{passed_unit['id']}")).text
    question = re.search(r'<form id="handover-form"[^>]*data-confirm="([^"]+)"', page, re.S)
    assert question and "can never be changed" in question.group(1)
