"""A repair's photos go through the photo pipeline (a real arq worker, burst
mode, real image bytes); a request sent three times at once is taken once; the
delivery day of a home delivered through the app is its signed confirmation's."""
from __future__ import annotations

import datetime as dt

from server.clock import today
from server.photos.tables import Photo
from server.repairs.tables import RepairRequest
from tests.dataset import _delivery_day
from tests.delivery.support import ready_batch
from tests.inspections.support import photo_files
from tests.photos.images import phone_jpeg
from tests.photos.support import media_files, run_worker
from tests.repairs.support import form, homes, multipart, report
from tests.test_client_id_races import LookupGate, _new_files, _originals, fire


async def test_repair_photos_are_processed_by_the_worker(personas):
    from workers.settings import WorkerSettings

    h = await homes(personas)
    olga = await personas.api("olga")
    files = [("photos", ("leak.jpg", phone_jpeg((1200, 1600)), "image/jpeg"))] + photo_files(1)
    body = (await report(olga, h["mine"], files=files)).json()
    assert [p["status"] for p in body["photos"]] == ["pending", "pending"]
    await run_worker(WorkerSettings)
    body = (await olga.get(f"/api/v1/repairs/{body['id']}")).json()
    assert [(p["status"], p["stage"]) for p in body["photos"]] == [("ready", "reported"), ("ready", "reported")]
    assert (body["photos"][0]["width"], body["photos"][0]["height"]) == (1200, 1600)
    thumb = await olga.get(body["photos"][0]["urls"]["thumb"])
    assert thumb.status_code == 200 and thumb.content.startswith(b"\xff\xd8")


async def test_a_request_sent_three_times_at_once_is_taken_once(personas, monkeypatch):
    h = await homes(personas)
    olga = await personas.api("olga")
    fields = form()
    before = await media_files()
    gate = LookupGate(monkeypatch, RepairRequest)
    answers = await fire(lambda: olga.post(f"/api/v1/units/{h['mine']}/repairs",
                                           files=multipart(fields, photo_files(2))), gate)
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert await RepairRequest.count().run() == 1
    photos = await Photo.select(Photo.id).where(Photo.subject_type == "repair").run()
    assert len(photos) == 2
    assert await _new_files(before) == await _originals(p["id"] for p in photos)


async def test_a_home_delivered_through_the_app_counts_from_its_signed_confirmation(personas):
    ready = await ready_batch(personas)
    unit_id = ready["ready_unit"]
    carol = await personas.api("carol")
    before = (await report(carol, unit_id, component="decoration")).json()
    assert before["warranty"]["in_warranty"] is None
    await _delivery_day(personas, ready["batch"]["id"], unit_id)
    r = await carol.post(f"/api/v1/units/{unit_id}/delivered", json={"delivered_on": "2024-03-01"})
    assert r.status_code == 409  # the confirmation is its delivery day
    after = (await report(carol, unit_id, component="decoration")).json()["warranty"]
    assert (after["in_warranty"], after["starts_on"], after["ends_on"], after["who_pays"]) == (
        True, today().isoformat(), today().replace(year=today().year + 2).isoformat()
        if (today().month, today().day) != (2, 29) else dt.date(today().year + 2, 2, 28).isoformat(), "contractor")
