"""API.md "Repairs (fixed part)": reporting, reading, listing, the delivery day, and who may do what."""
from __future__ import annotations

import datetime as dt

from server.audit.tables import AuditEntry
from server.clock import today
from server.photos.tables import Photo
from server.repairs.tables import RecordedDelivery, RepairRequest
from tests.inspections.support import photo_files
from tests.repairs.support import form, homes, multipart, new_id, report


async def test_the_owner_reports_for_her_home_and_reads_it_back(personas):
    h = await homes(personas)
    olga = await personas.api("olga")
    r = await report(olga, h["mine"], files=photo_files(2))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["unit_id"], body["status"], body["component"], body["channel"]) == (
        h["mine"], "reported", "waterproofing", "owner_app")
    assert body["reported_on"] == today().isoformat()
    assert [p["status"] for p in body["photos"]] == ["pending", "pending"]
    assert {p["subject_type"] for p in body["photos"]} == {"repair"}
    # not delivered yet: not a warranty matter
    assert {k: body["warranty"][k] for k in ("in_warranty", "starts_on", "ends_on", "who_pays")} == {
        "in_warranty": None, "starts_on": None, "ends_on": None, "who_pays": None}
    r = await olga.get(f"/api/v1/repairs/{body['id']}")
    assert r.status_code == 200 and r.json() == body
    row = await RepairRequest.objects().get(RepairRequest.id == body["id"]).run()
    assert (row.location, row.preferred_times, row.reported_by) == ("卫生间", "周末上午", personas.user("olga").id)
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.to_state).where(
        (AuditEntry.object_type == "repair") & (AuditEntry.object_id == str(body["id"]))).run()
    assert audit == [{"action": "report", "to_state": "reported"}]


async def test_warranty_follows_the_recorded_delivery_day(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    delivered = today() - dt.timedelta(days=800)
    r = await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": delivered.isoformat()})
    assert r.status_code == 201, r.text
    for component, inside in (("decoration", False), ("waterproofing", True)):
        body = (await report(olga, h["mine"], component=component)).json()
        years = 2 if component == "decoration" else 5
        last = delivered.replace(year=delivered.year + years) if not (delivered.month, delivered.day) == (2, 29) \
            else dt.date(delivered.year + years, 2, 28)
        assert body["warranty"]["in_warranty"] is inside, component
        assert body["warranty"]["starts_on"] == delivered.isoformat()
        assert body["warranty"]["ends_on"] == last.isoformat()
        assert body["warranty"]["who_pays"] == ("contractor" if inside else "owner")


async def test_the_delivery_day_is_recorded_once_never_in_the_future(personas):
    h = await homes(personas)
    carol = await personas.api("carol")
    url = f"/api/v1/units/{h['mine']}/delivered"
    r = await carol.post(url, json={"delivered_on": (today() + dt.timedelta(days=1)).isoformat()},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json()["errors"]["delivered_on"] == "这一天还没有到。"
    r = await carol.post(url, json={"delivered_on": "2024-13-01"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and "delivered_on" in r.json()["errors"]
    assert await RecordedDelivery.count().run() == 0
    assert (await carol.post(url, json={"delivered_on": "2024-03-01"})).status_code == 201
    r = await carol.post(url, json={"delivered_on": "2024-03-02"})
    assert r.status_code == 409
    assert [row["delivered_on"] for row in await RecordedDelivery.select(RecordedDelivery.delivered_on).run()] == [
        dt.date(2024, 3, 1)]
    alice = await personas.api("alice")
    assert (await alice.post(f"/api/v1/units/{h['theirs']}/delivered", json={"delivered_on": "2024-03-01"})
            ).status_code == 201
    for name in ("olga", "bob", "ian"):
        r = await (await personas.api(name)).post(f"/api/v1/units/{h['elsewhere']}/delivered",
                                                  json={"delivered_on": "2024-03-01"})
        assert r.status_code == 403, name
    audit = await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "delivered_record").run()
    assert sorted(a["object_id"] for a in audit) == sorted([str(h["mine"]), str(h["theirs"])])


async def test_cs_staff_records_a_paper_request_with_its_day(personas):
    h = await homes(personas)
    carol = await personas.api("carol")
    r = await report(carol, h["theirs"], reported_on="2025-01-05", channel="paper")
    assert r.status_code == 201, r.text
    assert (r.json()["reported_on"], r.json()["channel"]) == ("2025-01-05", "paper")
    r = await report(carol, h["theirs"], reported_on=(today() + dt.timedelta(days=1)).isoformat())
    assert r.status_code == 400 and r.json()["errors"] == {"reported_on": "这一天还没有到。"}
    olga = await personas.api("olga")
    r = await report(olga, h["mine"], reported_on="2025-01-05")
    assert r.status_code == 400 and r.json()["errors"] == {"reported_on": "报修日期只能由客服中心填写。"}
    assert await RepairRequest.count().run() == 1


async def test_bad_input_stores_nothing_and_says_why_in_chinese(personas):
    h = await homes(personas)
    olga = await personas.api("olga")
    r = await report(olga, h["mine"], component=None, description="  ", files=photo_files(1))
    assert r.status_code == 400
    assert r.json()["errors"] == {"component": "请选择需要维修的部位。", "description": "请描述问题。"}
    r = await report(olga, h["mine"], files=[("photos", ("a.txt", b"not a photo at all", "text/plain"))])
    assert r.status_code == 415, r.text
    assert r.json()["detail"] == "不支持此文件格式，请使用 JPEG、PNG、WebP 或 HEIC 照片。"
    r = await report(olga, h["mine"], files=photo_files(1), photo_client_id="nope")
    assert r.status_code == 400 and r.json()["errors"] == {"photos": "这不是有效的标识。"}, r.text
    r = await report(olga, h["mine"], client_id="not-a-uuid")
    assert r.status_code == 400 and "client_id" in r.json()["errors"]
    assert (await RepairRequest.count().run(), await Photo.count().run()) == (0, 0)


async def test_a_repeated_client_id_answers_the_first_request_and_stores_nothing_more(personas):
    h = await homes(personas)
    olga = await personas.api("olga")
    fields = form()
    first = await olga.post(f"/api/v1/units/{h['mine']}/repairs", files=multipart(fields, photo_files(2)))
    again = await olga.post(f"/api/v1/units/{h['mine']}/repairs", files=multipart(fields, photo_files(2)))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (await RepairRequest.count().run(), await Photo.count().run()) == (1, 2)


async def test_who_sees_a_repair(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    mine = (await report(olga, h["mine"])).json()["id"]
    theirs = (await report(carol, h["theirs"])).json()["id"]
    assert (await olga.get(f"/api/v1/repairs/{theirs}")).status_code == 404
    for name in ("bob", "bert"):
        assert (await (await personas.api(name)).get(f"/api/v1/repairs/{mine}")).status_code == 404, name
    for name in ("carol", "alice", "quinn"):
        assert (await (await personas.api(name)).get(f"/api/v1/repairs/{mine}")).status_code == 200, name
    assert [i["id"] for i in (await olga.get("/api/v1/repairs")).json()["items"]] == [mine]
    assert (await (await personas.api("bob")).get("/api/v1/repairs")).json()["total"] == 0
    # reporting: another owner's home is 404, a contractor or inspector may not report (403)
    assert (await report(olga, h["theirs"])).status_code == 404
    assert (await report(await personas.api("bob"), h["mine"])).status_code == 403
    assert (await report(await personas.api("ian"), h["mine"])).status_code == 403
    # photos of a repair: as the repair
    await report(olga, h["mine"], files=photo_files(1))
    photo = await Photo.objects().where(Photo.subject_type == "repair").first().run()
    assert (await olga.get(f"/photos/{photo.id}/original")).status_code == 200
    assert (await (await personas.api("bob")).get(f"/photos/{photo.id}/original")).status_code == 404


async def test_the_list_pages_and_filters(personas):
    h = await homes(personas)
    carol = await personas.api("carol")
    ids = [(await report(carol, h["mine"])).json()["id"] for _ in range(3)]
    elsewhere = (await report(carol, h["elsewhere"])).json()["id"]
    page = (await carol.get("/api/v1/repairs?limit=2&offset=1")).json()
    assert ([i["id"] for i in page["items"]], page["total"], page["limit"], page["offset"]) == (
        [ids[2], ids[1]], 4, 2, 1)
    assert [i["id"] for i in (await carol.get(f"/api/v1/repairs?project_id={h['other_project']}")).json()["items"]
            ] == [elsewhere]
    r = await carol.post(f"/api/v1/repairs/{ids[0]}/triage",
                         json={"component": "pipes_electrical", "urgency": "emergency", "survey_needed": False})
    assert r.status_code == 200 and (r.json()["status"], r.json()["component"], r.json()["urgency"]) == (
        "triaged", "pipes_electrical", "emergency")
    assert [i["id"] for i in (await carol.get("/api/v1/repairs?status=triaged")).json()["items"]] == [ids[0]]


async def test_triage_moves_only_from_reported_and_only_for_cs(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    repair = (await report(olga, h["mine"])).json()["id"]
    body = {"component": "waterproofing", "urgency": "normal", "survey_needed": True}
    assert (await olga.post(f"/api/v1/repairs/{repair}/triage", json=body)).status_code == 403
    r = await carol.post(f"/api/v1/repairs/{repair}/triage", json={**body, "urgency": "soon"},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json()["errors"] == {"urgency": "请选择紧急程度。"}
    assert (await carol.post(f"/api/v1/repairs/{repair}/triage", json=body)).status_code == 200
    assert (await carol.post(f"/api/v1/repairs/{repair}/triage", json=body)).status_code == 409
    row = await RepairRequest.objects().get(RepairRequest.id == repair).run()
    assert (row.status, row.urgency, row.survey_needed) == ("triaged", "normal", True)
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state).where(
        (AuditEntry.object_type == "repair") & (AuditEntry.object_id == str(repair))).order_by(AuditEntry.id).run()
    assert [a["action"] for a in audit] == ["report", "triage"]
    assert audit[1]["from_state"] == "reported" and audit[1]["to_state"] == "triaged"


async def test_components_are_listed_with_their_names(personas):
    r = await (await personas.api("olga")).get("/api/v1/repair-components", headers={"Accept-Language": "zh-CN"})
    assert r.json()["items"][1] == {"code": "waterproofing", "label": "防水、防渗漏"}
    assert [i["code"] for i in r.json()["items"]] == [
        "structure", "waterproofing", "heating", "cooling", "pipes_electrical", "decoration"]
    assert new_id() != new_id()


async def test_the_openapi_schema_describes_the_repair_endpoints(client):
    schema = (await client.get("/schema/openapi.json")).json()
    report = schema["paths"]["/api/v1/units/{unit_id}/repairs"]["post"]
    assert "`waterproofing` (Waterproofing and leak-proofing)" in report["description"]
    assert report["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("RepairOut")
    repair = schema["components"]["schemas"]["RepairOut"]["properties"]
    assert {"id", "client_id", "unit_id", "status", "component", "photos", "warranty"} <= set(repair)
    warranty = schema["components"]["schemas"]["WarrantyOut"]["properties"]
    assert {"in_warranty", "starts_on", "ends_on", "who_pays", "reasoning"} <= set(warranty)
    for path, method in (("/api/v1/repairs/{repair_id}", "get"), ("/api/v1/repairs", "get"),
                         ("/api/v1/units/{unit_id}/delivered", "post"),
                         ("/api/v1/projects/{project_id}/delivered-homes/import", "post"),
                         ("/api/v1/projects/{project_id}/repair-settings", "put")):
        assert schema["paths"][path][method]["description"], path
