"""A resend that races its first try: every create that takes a client_id answers
the one record it made (201 once, 200 for the others), never a 5xx, and stores
nothing twice: no second row, no file left behind by the try that lost.

`LookupGate` makes the race happen every time: it holds each try's "is this
client_id known?" lookup until all of them have made it, so every try finds
nothing and goes on to write. Without it the tries may simply run one after
the other, and the test would prove nothing.
"""
from __future__ import annotations

import asyncio
import uuid

import pytest

from server.db import engine
from server.delivery.tables import Appointment, DeliveryConfirmation
from server.handover.tables import KeyHandover
from server.inspections.tables import Defect, DefectCheck, Inspection
from server.photos.tables import Photo
from tests.delivery.support import PHONES, owner_api, ready_batch, signature
from tests.handover.test_key_handover import body as handover_body
from tests.inspections.support import complete, defect_form, new_id, photo_files, unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.photos.support import media_files

TRIES = 3


class LookupGate:
    """Holds the first `tries` lookups of `table` by client_id until all have been made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, table: type, tries: int = TRIES) -> None:
        self.met = False
        self.held = 0
        barrier = asyncio.Barrier(tries)
        needle = f'FROM "{table._meta.tablename}" WHERE "{table._meta.tablename}"."client_id"'
        db = engine()
        original = type(db).run_querystring

        async def gated(this, querystring, *args, **kwargs):
            if self.held < tries and needle in str(querystring):
                self.held += 1
                try:
                    await asyncio.wait_for(barrier.wait(), 5)
                    self.met = True
                except (TimeoutError, asyncio.BrokenBarrierError):
                    pass  # the tries could not all get here at once: no race was made
            return await original(this, querystring, *args, **kwargs)

        monkeypatch.setattr(type(db), "run_querystring", gated)


async def fire(send, gate: LookupGate) -> list:
    """Send TRIES identical requests at once; one 201, the others 200, all with the same record."""
    answers = await asyncio.gather(*[send() for _ in range(TRIES)])
    assert gate.met, "the tries did not race"
    assert sorted(a.status_code for a in answers) == [200] * (TRIES - 1) + [201], [a.text for a in answers]
    return [a.json() for a in answers]


async def _new_files(before: dict) -> set:
    """Keys stored since `before`, scratch files of the uploads included (they must be gone)."""
    return set(await media_files()) - set(before)


async def _originals(photo_ids) -> set:
    rows = await Photo.select(Photo.original_key).where(Photo.id.is_in(list(photo_ids))).run()
    return {r["original_key"] for r in rows}


async def test_a_defect_sent_three_times_at_once_is_recorded_once(personas, monkeypatch):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    form = defect_form(personas.parties["builder_a"].id)
    before = await media_files()
    gate = LookupGate(monkeypatch, Defect)
    answers = await fire(lambda: ian.post(f"/api/v1/inspections/{inspection['id']}/defects", data=form,
                                          files=photo_files(2)), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert await Defect.count().run() == 1
    photos = await Photo.select(Photo.id).where((Photo.subject_type == "defect")
                                                & (Photo.subject_id == answers[0]["id"])).run()
    assert len(photos) == 2
    # The losing tries' originals were removed; only the winner's two are stored.
    assert await _new_files(before) == await _originals(p["id"] for p in photos)


async def test_photos_sent_three_times_at_once_are_stored_once(personas, monkeypatch):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                             data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))).json()
    client_id = new_id()
    before = await media_files()
    gate = LookupGate(monkeypatch, Photo)
    answers = await fire(lambda: ian.post(f"/api/v1/defects/{defect['id']}/photos",
                                          data={"client_id": client_id, "stage": "found"},
                                          files=photo_files(2)), gate)
    ids = [[p["id"] for p in a["photos"]] for a in answers]
    assert len(ids[0]) == 2 and ids == [ids[0]] * TRIES
    assert await Photo.count().where((Photo.subject_id == defect["id"]) & (Photo.stage == "found")).run() == 3
    assert await _new_files(before) == await _originals(ids[0])


async def test_a_check_sent_three_times_at_once_is_recorded_once(personas, monkeypatch):
    _, inspection = await unit_under_inspection(personas)
    ian, sam = await personas.api("ian"), await personas.api("sam")
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                             data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))).json()
    assert (await complete(ian, inspection["id"])).status_code == 200
    payload = {"result": "not_ok", "note": "仍有空鼓", "client_id": new_id()}
    gate = LookupGate(monkeypatch, DefectCheck)
    answers = await fire(lambda: sam.post(f"/api/v1/defects/{defect['id']}/checks", json=payload), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert await DefectCheck.count().run() == 1


async def test_an_inspection_sent_three_times_at_once_is_planned_once(personas, monkeypatch):
    unit, _ = await unit_under_inspection(personas)
    carol = await personas.api("carol")
    payload = {"unit_id": unit["id"], "inspector_id": personas.user("ian").id, "client_id": new_id()}
    gate = LookupGate(monkeypatch, Inspection)
    answers = await fire(lambda: carol.post("/api/v1/inspections", json=payload), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert await Inspection.count().where(Inspection.client_id == uuid.UUID(payload["client_id"])).run() == 1


async def test_a_key_handover_sent_three_times_at_once_is_recorded_once(personas, monkeypatch):
    unit, inspection = await unit_under_inspection(personas)
    ian, carol = await personas.api("ian"), await personas.api("carol")
    assert (await complete(ian, inspection["id"])).status_code == 200
    payload = handover_body(personas.parties["builder_a"].id)
    before = await media_files()
    gate = LookupGate(monkeypatch, KeyHandover)
    answers = await fire(lambda: carol.post(f"/api/v1/units/{unit['id']}/key-handovers", json=payload), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    record = await KeyHandover.objects().get(KeyHandover.id == answers[0]["id"]).run()
    assert await KeyHandover.count().run() == 1
    # Only the winner's two signature images are stored.
    assert {key.rsplit("/", 1)[-1] for key in await _new_files(before)} == {record.giver_signature_key.rsplit("/", 1)[-1],
                                                    record.receiver_signature_key.rsplit("/", 1)[-1]}


async def test_a_meter_photo_sent_three_times_at_once_is_stored_once(personas, monkeypatch):
    unit, inspection = await unit_under_inspection(personas)
    ian, carol = await personas.api("ian"), await personas.api("carol")
    assert (await complete(ian, inspection["id"])).status_code == 200
    client_id = new_id()
    before = await media_files()
    gate = LookupGate(monkeypatch, Photo)
    answers = await fire(lambda: carol.post(f"/api/v1/units/{unit['id']}/photos",
                                            data={"stage": "meter_water", "client_id": client_id},
                                            files=photo_files(1)), gate)
    ids = [[p["id"] for p in a["photos"]] for a in answers]
    assert len(ids[0]) == 1 and ids == [ids[0]] * TRIES
    assert await Photo.count().where(Photo.subject_type == "unit").run() == 1
    assert await _new_files(before) == await _originals(ids[0])


async def test_a_booking_sent_three_times_at_once_books_once(personas, monkeypatch):
    setup = await ready_batch(personas)
    owner = await owner_api(personas, PHONES[0])
    slot = (await owner.get(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots")).json()["items"][0]
    payload = {"slot_id": slot["id"], "client_id": new_id()}
    gate = LookupGate(monkeypatch, Appointment)
    answers = await fire(lambda: owner.post(f"/api/v1/units/{setup['units'][0]}/appointment", json=payload), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert await Appointment.count().run() == 1


async def test_a_confirmation_sent_three_times_at_once_is_signed_once(personas, monkeypatch):
    setup = await ready_batch(personas)
    carol = await personas.api("carol")
    slot = (await carol.get(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots")).json()["items"][0]
    appointment = (await carol.post(f"/api/v1/units/{setup['ready_unit']}/appointment",
                                    json={"slot_id": slot["id"]})).json()
    assert (await carol.post(f"/api/v1/appointments/{appointment['id']}/check-in")).status_code == 200
    walk = await carol.post(f"/api/v1/appointments/{appointment['id']}/walkthrough")
    assert walk.status_code == 200, walk.text
    payload = {"owner_name": "业主1", "manual_handed_over": True, "guarantee_handed_over": True,
               "signature": signature(), "client_id": new_id()}
    before = await media_files()
    gate = LookupGate(monkeypatch, DeliveryConfirmation)
    answers = await fire(lambda: carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation",
                                            json=payload), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    record = await DeliveryConfirmation.objects().get(DeliveryConfirmation.id == answers[0]["id"]).run()
    assert await DeliveryConfirmation.count().run() == 1
    assert {key.rsplit("/", 1)[-1] for key in await _new_files(before)} == {record.signature_key.rsplit("/", 1)[-1]}
    walkthrough = await Inspection.objects().get(Inspection.id == walk.json()["walkthrough_inspection_id"]).run()
    assert walkthrough.status == "passed"


async def test_a_floor_plan_sent_three_times_at_once_is_stored_once(personas, monkeypatch):
    from server.org.services import project_create, unit_type_create

    project = await project_create(actor=None, name="Riverside Garden")
    unit_type = await unit_type_create(actor=None, project_id=project.id, name="A2")
    alice = await personas.api("alice")
    client_id, data = new_id(), plain_jpeg()
    before = await media_files()
    gate = LookupGate(monkeypatch, Photo)
    answers = await fire(lambda: alice.post(f"/api/v1/unit-types/{unit_type.id}/floor-plan",
                                            files={"photo": ("plan.jpg", data, "image/jpeg")},
                                            data={"client_id": client_id}), gate)
    assert len({a["photo"]["id"] for a in answers}) == 1
    assert await Photo.count().run() == 1
    assert await _new_files(before) == await _originals([answers[0]["photo"]["id"]])


async def test_a_race_lost_inside_a_callers_transaction_leaves_that_transaction_usable(personas):
    from server.db import write_transaction
    from server.once import create_once

    unit, first = await unit_under_inspection(personas)
    taken = uuid.uuid4()
    await Inspection.update({Inspection.client_id: taken}).where(Inspection.id == first["id"]).run()
    lookups = []

    async def stale_find(client_id):  # the first lookup runs before the winner commits
        lookups.append(client_id)
        return None if len(lookups) == 1 else await Inspection.objects().get(Inspection.client_id == client_id).run()

    async def create():
        await Inspection.insert(Inspection(unit=unit["id"], client_id=taken)).run()
        return None, True

    async with write_transaction():
        found, created = await create_once(taken, find=stale_find, create=create)
        await Inspection.update({Inspection.scheduled_for: None}).where(Inspection.id == first["id"]).run()
    assert (found.id, created) == (first["id"], False)
    assert await Inspection.count().run() == 1
