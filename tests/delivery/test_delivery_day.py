"""Delivery day through the API: booking with capacity, check-in queue, the
owner's walkthrough with a defect that goes to rectification, the signed
confirmation (immutable), keys to the owner; owners see only their own units."""
import pytest

from server.delivery.tables import Appointment, DeliveryConfirmation
from server.inspections.tables import Defect, RectificationNotice
from server.org.tables import Unit
from tests.delivery.support import PHONES, new_id, owner_api, ready_batch, signature, slot_day
from tests.handover.test_key_handover import body as handover_body
from tests.inspections.support import defect_form, photo_files


async def _slots(client, batch_id):
    r = await client.get(f"/api/v1/delivery-batches/{batch_id}/slots")
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_owners_book_within_capacity_and_a_retry_books_once(personas):
    setup = await ready_batch(personas, capacity=1)
    owner1, owner2 = await owner_api(personas, PHONES[0]), await owner_api(personas, PHONES[1])
    slots = await _slots(owner1, setup["batch"]["id"])
    assert len(slots) == 2 and slots[0]["left"] == 1
    booking = {"slot_id": slots[0]["id"], "client_id": new_id()}
    r = await owner1.post(f"/api/v1/units/{setup['units'][0]}/appointment", json=booking)
    assert r.status_code == 201, r.text
    again = await owner1.post(f"/api/v1/units/{setup['units'][0]}/appointment", json=booking)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    full = await owner2.post(f"/api/v1/units/{setup['units'][1]}/appointment", json={"slot_id": slots[0]["id"]})
    assert full.status_code == 409 and "约满" in full.json()["detail"]
    assert (await owner2.post(f"/api/v1/units/{setup['units'][1]}/appointment",
                              json={"slot_id": slots[1]["id"]})).status_code == 201
    # Moving to another slot cancels the first booking: still one active appointment per unit.
    moved = await owner1.post(f"/api/v1/units/{setup['units'][0]}/appointment", json={"slot_id": slots[1]["id"]})
    assert moved.status_code == 409  # slot 2 is full (capacity 1) -> the first booking stays
    assert await Appointment.count().where(Appointment.status == "booked").run() == 2


async def test_an_owner_sees_only_their_own_units(personas):
    setup = await ready_batch(personas)
    owner1 = await owner_api(personas, PHONES[0])
    mine, other = setup["units"][0], setup["units"][1]
    assert (await owner1.get(f"/api/v1/units/{mine}/appointment")).status_code == 200
    for path in (f"/api/v1/units/{other}/appointment", f"/api/v1/units/{other}/key-handovers",
                 f"/api/v1/units/{other}"):
        assert (await owner1.get(path)).status_code == 404, path
    slots = await _slots(owner1, setup["batch"]["id"])
    r = await owner1.post(f"/api/v1/units/{other}/appointment", json={"slot_id": slots[0]["id"]})
    assert r.status_code == 404
    assert (await owner1.get(f"/api/v1/delivery-batches/{setup['batch']['id']}")).status_code == 403
    olga = await personas.api("olga")  # an owner of nothing in this batch
    assert (await olga.get(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots")).status_code == 404


async def test_bad_slots_are_refused_with_reasons(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots", json={
        "day": "2020-01-01", "start": "10:00", "end": "09:00", "minutes": 5, "capacity": 0})
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"day", "end", "minutes", "capacity"}


async def test_the_whole_delivery_day(personas):
    setup = await ready_batch(personas)
    unit_id, batch_id = setup["ready_unit"], setup["batch"]["id"]
    owner = await owner_api(personas, PHONES[0])
    carol = await personas.api("carol")
    slot = (await _slots(owner, batch_id))[0]
    appointment = (await owner.post(f"/api/v1/units/{unit_id}/appointment", json={"slot_id": slot["id"]})).json()
    # Owners cannot run the day themselves.
    assert (await owner.post(f"/api/v1/appointments/{appointment['id']}/check-in")).status_code == 403
    # Signing before check-in is out of order.
    early = await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json={
        "owner_name": "业主1", "manual_handed_over": True, "guarantee_handed_over": True, "signature": signature()})
    assert early.status_code == 409
    checked = await carol.post(f"/api/v1/appointments/{appointment['id']}/check-in")
    assert checked.status_code == 200 and checked.json()["queue_number"] == 1
    queue = (await carol.get(f"/api/v1/delivery-batches/{batch_id}/queue?on={slot_day().isoformat()}")).json()
    assert [(q["unit_id"], q["stage"]) for q in queue["items"]] == [(unit_id, "checked_in")]

    walk = await carol.post(f"/api/v1/appointments/{appointment['id']}/walkthrough")
    assert walk.status_code == 200, walk.text
    inspection_id = walk.json()["walkthrough_inspection_id"]
    r = await carol.post(f"/api/v1/inspections/{inspection_id}/defects",
                         data=defect_form(personas.parties["builder_a"].id, description="卧室门把手松动"),
                         files=photo_files(1))
    assert r.status_code == 201, r.text

    bad = await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json={
        "owner_name": "", "manual_handed_over": False, "guarantee_handed_over": True, "signature": ""})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"owner_name", "manual_handed_over", "signature"}
    payload = {"owner_name": "业主1", "manual_handed_over": True, "guarantee_handed_over": True,
               "signature": signature(), "remarks": "门把手交付后整改", "client_id": new_id()}
    signed = await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json=payload)
    assert signed.status_code == 201, signed.text
    record = signed.json()
    assert len(record["defect_ids"]) == 1 and len(record["content_sha256"]) == 64
    assert (await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation",
                             json=payload)).json()["id"] == record["id"]
    # The walkthrough defect went to rectification with a notice; the unit stays passed.
    defect = await Defect.objects().get(Defect.id == record["defect_ids"][0]).run()
    notice = await RectificationNotice.objects().get(RectificationNotice.id == defect.notice).run()
    assert notice is not None and notice.party == personas.parties["builder_a"].id
    assert (await Unit.objects().get(Unit.id == unit_id).run()).status == "passed"
    bob = await personas.api("bob")
    assert (await bob.get(f"/api/v1/defects/{defect.id}")).status_code == 200

    keys = await carol.post(f"/api/v1/units/{unit_id}/key-handovers", json=handover_body(
        None, to="owner", giver_name="王客服", receiver_name="业主1"))
    assert keys.status_code == 201, keys.text
    queue = (await carol.get(f"/api/v1/delivery-batches/{batch_id}/queue?on={slot_day().isoformat()}")).json()
    assert queue["items"][0]["stage"] == "done"
    # The owner sees their record, intact, and its signature.
    got = await owner.get(f"/api/v1/delivery-confirmations/{record['id']}")
    assert got.status_code == 200 and got.json()["intact"] is True
    assert (await owner.get(f"/api/v1/delivery-confirmations/{record['id']}/signature")).content.startswith(b"\x89PNG")
    other_owner = await owner_api(personas, PHONES[1])
    assert (await other_owner.get(f"/api/v1/delivery-confirmations/{record['id']}")).status_code == 404


async def test_the_database_refuses_to_change_a_confirmation(personas):
    setup = await ready_batch(personas)
    carol = await personas.api("carol")
    slot = (await _slots(carol, setup["batch"]["id"]))[0]
    appointment = (await carol.post(f"/api/v1/units/{setup['ready_unit']}/appointment",
                                    json={"slot_id": slot["id"]})).json()
    await carol.post(f"/api/v1/appointments/{appointment['id']}/check-in")
    record = (await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json={
        "owner_name": "业主1", "manual_handed_over": True, "guarantee_handed_over": True,
        "signature": signature()})).json()
    with pytest.raises(Exception):
        await DeliveryConfirmation.update({DeliveryConfirmation.owner_name: "别人"}).where(
            DeliveryConfirmation.id == record["id"]).run()
    with pytest.raises(Exception):
        await DeliveryConfirmation.delete().where(DeliveryConfirmation.id == record["id"]).run()
    assert (await carol.get(f"/api/v1/delivery-confirmations/{record['id']}")).json()["intact"] is True


async def test_the_delivery_endpoints_are_in_the_openapi_schema_with_their_shapes(personas):
    carol = await personas.api("carol")
    paths = (await carol.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/v1/projects/{project_id}/delivery-batches", "/api/v1/delivery-batches/{batch_id}/slots",
                 "/api/v1/units/{unit_id}/appointment", "/api/v1/appointments/{appointment_id}/confirmation"):
        assert "requestBody" in paths[path]["post"], path
    assert "/api/v1/delivery-batches/{batch_id}/queue" in paths


async def test_a_confirmation_is_corrected_by_a_new_signed_record(personas):
    setup = await ready_batch(personas)
    carol = await personas.api("carol")
    slot = (await _slots(carol, setup["batch"]["id"]))[0]
    appointment = (await carol.post(f"/api/v1/units/{setup['ready_unit']}/appointment",
                                    json={"slot_id": slot["id"]})).json()
    await carol.post(f"/api/v1/appointments/{appointment['id']}/check-in")
    sign = {"owner_name": "业主一", "manual_handed_over": True, "guarantee_handed_over": True,
            "signature": signature()}
    first = (await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json=sign)).json()
    # Signing again without saying what it corrects is out of order.
    assert (await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation",
                             json=sign)).status_code == 409
    fixed = await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation",
                             json={**sign, "owner_name": "业主1", "corrects_id": first["id"]})
    assert fixed.status_code == 201 and fixed.json()["corrects_id"] == first["id"]
    old = (await carol.get(f"/api/v1/delivery-confirmations/{first['id']}")).json()
    assert old["owner_name"] == "业主一" and old["intact"] is True
    browser = await personas.browser("carol")
    page = await browser.get(f"/delivery/confirmations/{first['id']}")
    assert f'href="/delivery/confirmations/{fixed.json()["id"]}"' in page.text
    form = await browser.get(f"/delivery/appointments/{appointment['id']}?corrects={first['id']}")
    assert f'name="corrects_id" value="{first["id"]}"' in form.text


async def test_owners_racing_for_the_last_place_never_overbook_it(personas):
    import asyncio

    setup = await ready_batch(personas, capacity=1)
    owners = [await owner_api(personas, phone) for phone in PHONES[:3]]
    slot = (await _slots(owners[0], setup["batch"]["id"]))[0]
    answers = await asyncio.gather(*[
        client.post(f"/api/v1/units/{unit_id}/appointment", json={"slot_id": slot["id"]})
        for client, unit_id in zip(owners, setup["units"][:3])])
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    assert await Appointment.count().where(Appointment.slot == slot["id"]).run() == 1
