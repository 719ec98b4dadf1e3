"""Regulation 4 from start to end through the API: inspect, notify, rectify, check, recheck, pass."""
from server.inspections.tables import Defect, RectificationNotice
from server.notifications.tables import InboxMessage
from tests.inspections.support import complete, WebhookReceiver, defect_form, photo_files, unit_under_inspection
from tests.photos.support import run_worker


async def _set_webhooks(personas, receiver):
    admin = await personas.api("alice")
    for key in ("builder_a", "builder_b"):
        r = await admin.patch(f"/api/v1/parties/{personas.parties[key].id}",
                              json={"webhook_url": receiver.url(f"/robot/{key}")})
        assert r.status_code == 200


async def test_the_whole_rectification_cycle(personas):
    from workers.settings import WorkerSettings

    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    with WebhookReceiver() as receiver:
        await _set_webhooks(personas, receiver)
        unit, inspection = await unit_under_inspection(personas)
        ian = await personas.api("ian")
        base = f"/api/v1/inspections/{inspection['id']}"
        r = await ian.post(f"{base}/attendees", json={"kind": "supervision_unit", "person": "周监理"})
        assert r.status_code == 201

        made = []
        for party, severity in ((a, "minor"), (a, "urgent"), (b, "major")):
            form = defect_form(party, severity=severity)
            r = await ian.post(f"{base}/defects", data=form, files=photo_files(2))
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["status"] == "open" and len(body["photos"]) == 2
            assert body["photos"][0]["status"] == "pending"
            made.append((form, body))
        # The phone retries the first one: same defect, nothing new.
        repeat = await ian.post(f"{base}/defects", data=made[0][0], files=photo_files(2))
        assert repeat.status_code == 200 and repeat.json()["id"] == made[0][1]["id"]
        assert await Defect.count().run() == 3

        done = await complete(ian, inspection["id"])
        assert done.status_code == 200 and done.json()["status"] == "rectifying"
        assert len(done.json()["notice_ids"]) == 2

        await run_worker(WorkerSettings)  # processes photos and dispatches both notices
        paths = sorted(item["path"] for item in receiver.received)
        assert paths == ["/robot/builder_a", "/robot/builder_b"]
        assert all(item["json"]["msgtype"] == "markdown" for item in receiver.received)
        assert await InboxMessage.count().run() == 2

    bob = await personas.api("bob")
    mine = (await bob.get("/api/v1/defects")).json()
    assert {d["id"] for d in mine["items"]} == {made[0][1]["id"], made[1][1]["id"]}
    # Asking for B's work changes nothing: still only A's.
    also_mine = (await bob.get(f"/api/v1/defects?construction_unit_id={b}")).json()
    assert also_mine["total"] == 0
    b_defect = made[2][1]["id"]
    assert (await bob.get(f"/api/v1/defects/{b_defect}")).status_code == 404
    assert (await bob.post(f"/api/v1/defects/{b_defect}/rectify", json={"note": "x"})).status_code == 404

    first, second = made[0][1]["id"], made[1][1]["id"]
    no_photo = await bob.post(f"/api/v1/defects/{first}/rectify", json={"note": "已修补"})
    assert no_photo.status_code == 400 and "photos" in no_photo.json()["errors"]
    r = await bob.post(f"/api/v1/defects/{first}/photos", data={"stage": "rectified"}, files=photo_files(1))
    assert r.status_code == 201
    assert (await bob.post(f"/api/v1/defects/{first}/rectify", json={"note": "已修补"})).json()["status"] == "rectified"
    r = await bob.post(f"/api/v1/defects/{second}/rectify", data={"note": "已处理"}, files=photo_files(1))
    assert r.status_code == 200 and r.json()["status"] == "rectified"
    bert = await personas.api("bert")
    r = await bert.post(f"/api/v1/defects/{b_defect}/rectify", data={"note": "ok"}, files=photo_files(1))
    assert r.status_code == 200

    sam = await personas.api("sam")
    r = await sam.post(f"/api/v1/defects/{first}/checks", json={"result": "ok", "note": "现场已复核"})
    assert r.status_code == 201

    carol = await personas.api("carol")
    assert (await carol.post(f"/api/v1/defects/{first}/recheck", json={"result": "pass"})).json()["status"] == "closed"
    assert (await carol.post(f"/api/v1/defects/{b_defect}/recheck", json={"result": "pass"})).status_code == 200
    no_reason = await carol.post(f"/api/v1/defects/{second}/recheck", json={"result": "fail"})
    assert no_reason.status_code == 400
    failed = await carol.post(f"/api/v1/defects/{second}/recheck", json={"result": "fail", "note": "仍有裂缝"})
    assert failed.json()["status"] == "open" and failed.json()["reopen_count"] == 1

    # The old after-photo does not count for the new round.
    assert (await bob.post(f"/api/v1/defects/{second}/rectify", json={"note": "again"})).status_code == 400
    r = await bob.post(f"/api/v1/defects/{second}/rectify", data={"note": "重新修补"}, files=photo_files(1))
    assert r.json()["status"] == "rectified"
    assert (await carol.get(f"/api/v1/units/{unit['id']}")).json()["status"] == "rectifying"
    assert (await carol.post(f"/api/v1/defects/{second}/recheck", json={"result": "pass"})).status_code == 200

    assert (await carol.get(f"/api/v1/inspections/{inspection['id']}")).json()["status"] == "passed"
    assert (await carol.get(f"/api/v1/units/{unit['id']}")).json()["status"] == "passed"
    assert await RectificationNotice.count().run() == 2


async def test_an_inspection_that_finds_nothing_passes_at_once(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await complete(ian, inspection["id"])
    assert r.json()["status"] == "passed" and r.json()["notice_ids"] == [] and r.json()["is_first"] is True
    assert (await ian.get(f"/api/v1/units/{unit['id']}")).json()["status"] == "passed"
