"""Issue 10.1: a unit cannot pass half-checked. An acceptance inspection
finishes only when every checklist item is OK, not applicable (with a
reason) or has a defect; CS staff or an admin may override with an audited
reason. "Whole room OK" marks a room's unchecked items in one tap, and its
undo reverts exactly those. All through the API."""
from __future__ import annotations

from server.audit.tables import AuditEntry
from server.inspections.tables import Inspection, ItemResult
from server.org.tables import Unit
from tests.inspections.support import check_all, defect_form, photo_files, unit_under_inspection


async def _checklist(client, inspection_id: int) -> dict:
    r = await client.get(f"/api/v1/inspections/{inspection_id}/checklist")
    assert r.status_code == 200, r.text
    return r.json()


async def _audit(inspection_id: int, action: str) -> list[dict]:
    return await AuditEntry.select().where((AuditEntry.object_type == "inspection") & (
        AuditEntry.object_id == str(inspection_id)) & (AuditEntry.action == action)).order_by(AuditEntry.id).run()


def _details(entry: dict) -> dict:
    import json

    details = entry["details"]
    return json.loads(details) if isinstance(details, str) else details


async def test_finishing_with_unchecked_items_is_refused_with_exactly_those_items(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    rooms = (await _checklist(ian, inspection["id"]))["rooms"]
    first, second = rooms[0], rooms[1]
    ok_item, na_item, defect_item = first["items"][0], first["items"][1], second["items"][0]
    assert (await ian.post(f"{base}/items/{ok_item['id']}", json={"result": "ok"})).status_code == 200
    na = await ian.post(f"{base}/items/{na_item['id']}", json={"result": "na", "note": "本户型无此项"})
    assert na.status_code == 200 and na.json() == {"item_id": na_item["id"], "result": "na", "note": "本户型无此项"}
    recorded = await ian.post(f"{base}/defects", files=photo_files(1), data=defect_form(
        personas.parties["builder_a"].id, room=second["name"], checklist_item_id=str(defect_item["id"])))
    assert recorded.status_code == 201, recorded.text

    refused = await ian.post(f"{base}/complete")

    assert refused.status_code == 409, refused.text
    body = refused.json()
    done = {ok_item["id"], na_item["id"], defect_item["id"]}
    expected = [{"room_id": r["id"], "room": r["name"],
                 "items": [{"id": i["id"], "title": i["title"]} for i in r["items"] if i["id"] not in done]}
                for r in rooms]
    assert body["unchecked"] == [r for r in expected if r["items"]]
    total = sum(len(r["items"]) for r in rooms)
    assert body["detail"] == f"还有 {total - 3} 个检查项未检查，请检查后再完成验房。"
    assert (await Inspection.objects().get(Inspection.id == inspection["id"]).run()).status == "in_progress"
    assert (await Unit.objects().get(Unit.id == unit["id"]).run()).status == "inspecting"
    # The item with a defect counts as checked, in its room and in the total.
    checklist = await _checklist(ian, inspection["id"])
    assert [(r["checked"], r["total"]) for r in checklist["rooms"][:2]] == [(2, len(first["items"])),
                                                                           (1, len(second["items"]))]
    assert (checklist["checked"], checklist["total"]) == (3, total)
    assert checklist["rooms"][1]["items"][0]["result"] == "defect"

    assert await check_all(ian, inspection["id"]) == total - 3
    finished = await ian.post(f"{base}/complete")
    assert finished.status_code == 200 and finished.json()["status"] == "rectifying"
    assert await _audit(inspection["id"], "complete_override") == []


async def test_not_applicable_needs_a_reason_and_is_audited(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    item = (await _checklist(ian, inspection["id"]))["rooms"][0]["items"][0]
    url = f"/api/v1/inspections/{inspection['id']}/items/{item['id']}"

    for body in ({"result": "na"}, {"result": "na", "note": "   "}):
        refused = await ian.post(url, json=body)
        assert refused.status_code == 400 and refused.json()["errors"] == {
            "note": "请填写此项不适用的原因。"}
    too_long = await ian.post(url, json={"result": "na", "note": "无" * 201})
    assert too_long.status_code == 400 and too_long.json()["errors"] == {"note": "最多 200 个字符。"}
    assert await ItemResult.count().run() == 0 and await _audit(inspection["id"], "item_na") == []

    assert (await ian.post(url, json={"result": "na", "note": "毛坯交付，无吊顶"})).status_code == 200
    row = await ItemResult.objects().get(ItemResult.item == item["id"]).run()
    assert (row.result, row.note) == ("na", "毛坯交付，无吊顶")
    [entry] = await _audit(inspection["id"], "item_na")
    assert _details(entry) == {"item_id": item["id"], "reason": "毛坯交付，无吊顶"}
    assert (await ian.post(url, json={"result": "maybe"})).status_code == 400


async def test_a_defect_is_recorded_not_marked_so_a_unit_cannot_pass_on_bare_defect_marks(personas):
    """Marking items "defect" without recording any would let the unit pass with nothing to rectify."""
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    item = (await _checklist(ian, inspection["id"]))["rooms"][0]["items"][0]
    refused = await ian.post(f"/api/v1/inspections/{inspection['id']}/items/{item['id']}", json={"result": "defect"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"result": "请记录问题本身，并注明对应的检查项（checklist_item_id），该项即计为已检查。"}
    # A "defect" mark left from before counts for nothing.
    await ItemResult.insert(ItemResult(inspection=inspection["id"], item=item["id"], result="defect")).run()
    checklist = await _checklist(ian, inspection["id"])
    assert checklist["rooms"][0]["items"][0]["result"] is None and checklist["checked"] == 0
    # Whole room OK replaces that mark: the item has one row, marked OK.
    room = checklist["rooms"][0]
    marked = await ian.post(f"/api/v1/inspections/{inspection['id']}/rooms/{room['id']}/ok")
    assert marked.status_code == 200, marked.text
    rows = await ItemResult.select(ItemResult.result).where(ItemResult.item == item["id"]).run()
    assert rows == [{"result": "ok"}]
    assert (await _checklist(ian, inspection["id"]))["rooms"][0]["checked"] == len(room["items"])


async def test_the_database_refuses_a_second_mark_for_one_item(personas):
    """The services replace a mark under the inspection's lock; the unique index holds even without them."""
    import pytest

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    item = (await _checklist(ian, inspection["id"]))["rooms"][0]["items"][0]
    assert (await ian.post(f"/api/v1/inspections/{inspection['id']}/items/{item['id']}",
                           json={"result": "ok"})).status_code == 200
    with pytest.raises(Exception, match="(?i)unique"):
        await ItemResult.insert(ItemResult(inspection=inspection["id"], item=item["id"], result="na", note="x")).run()
    rows = await ItemResult.select(ItemResult.result).where(ItemResult.item == item["id"]).run()
    assert rows == [{"result": "ok"}]


async def test_whole_room_ok_marks_the_unchecked_items_and_undo_reverts_exactly_those(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    room = (await _checklist(ian, inspection["id"]))["rooms"][0]
    ids = [i["id"] for i in room["items"]]
    assert len(ids) >= 3
    await ian.post(f"{base}/items/{ids[0]}", json={"result": "na", "note": "无此设施"})  # checked before

    marked = await ian.post(f"{base}/rooms/{room['id']}/ok")

    assert marked.status_code == 200, marked.text
    body = marked.json()
    assert body["room_id"] == room["id"] and body["item_ids"] == ids[1:]
    checklist = await _checklist(ian, inspection["id"])
    assert [i["result"] for i in checklist["rooms"][0]["items"]] == ["na"] + ["ok"] * (len(ids) - 1)
    assert checklist["rooms"][0]["checked"] == len(ids)
    [entry] = await _audit(inspection["id"], "room_ok")
    assert _details(entry)["item_ids"] == ids[1:] and _details(entry)["room"] == room["name"]

    # Someone re-marks one of them meanwhile: the undo leaves that one alone.
    await ian.post(f"{base}/items/{ids[1]}", json={"result": "ok"})
    undone = await ian.post(f"{base}/rooms/{room['id']}/ok/{body['batch_id']}/undo")
    assert undone.status_code == 200 and undone.json() == {"room_id": room["id"], "item_ids": ids[2:]}
    results = {r["item"]: r["result"] for r in await ItemResult.select(ItemResult.item, ItemResult.result).run()}
    assert results == {ids[0]: "na", ids[1]: "ok"}
    [entry] = await _audit(inspection["id"], "room_ok_undo")
    assert _details(entry)["item_ids"] == ids[2:]

    again = await ian.post(f"{base}/rooms/{room['id']}/ok/{body['batch_id']}/undo")
    assert again.status_code == 200 and again.json()["item_ids"] == []
    assert len(await _audit(inspection["id"], "room_ok_undo")) == 1
    assert (await ian.post(f"{base}/rooms/{room['id']}/ok/not-a-batch/undo")).status_code == 404
    assert (await ian.post(f"{base}/rooms/999999/ok")).status_code == 404
    assert (await (await personas.api("sam")).post(f"{base}/rooms/{room['id']}/ok")).status_code == 403


async def test_only_cs_staff_or_an_admin_override_and_only_with_a_reason_which_is_audited(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian, carol = await personas.api("ian"), await personas.api("carol")
    url = f"/api/v1/inspections/{inspection['id']}/complete"
    total = (await _checklist(ian, inspection["id"]))["total"]

    inspector = await ian.post(url, json={"override_reason": "业主催促"})
    assert inspector.status_code == 403
    for reason in ("", "  "):
        empty = await carol.post(url, json={"override_reason": reason})
        assert empty.status_code == 400
        assert empty.json()["errors"] == {"override_reason": "请填写未检查完就完成验房的原因。"}
        assert len(empty.json()["unchecked"]) > 0
    assert (await Inspection.objects().get(Inspection.id == inspection["id"]).run()).status == "in_progress"
    assert await _audit(inspection["id"], "complete_override") == []

    overridden = await carol.post(url, json={"override_reason": "精装样板间，已由质量中心另行验收"})

    assert overridden.status_code == 200 and overridden.json()["status"] == "passed"
    assert (await Unit.objects().get(Unit.id == unit["id"]).run()).status == "passed"
    [entry] = await _audit(inspection["id"], "complete_override")
    assert entry["actor_id"] == personas.user("carol").id
    details = _details(entry)
    assert details["reason"] == "精装样板间，已由质量中心另行验收"
    assert details["count"] == total and len(details["unchecked"]) == total


async def test_a_delivery_walkthrough_is_not_held_to_the_checklist(personas):
    """The owner's walk on delivery day records what the owner points out in
    a unit that already passed; confirming delivery finishes it as it is."""
    from server.inspections import services

    unit, inspection = await unit_under_inspection(personas)
    walk, _ = await services.inspection_create(actor=None, unit_id=unit["id"], kind="delivery_walkthrough")
    await services.inspection_start(actor=None, inspection=walk)
    done, notices = await services.inspection_complete(actor=None, inspection=walk)
    assert done.status == "passed" and notices == []
    acceptance = await Inspection.objects().get(Inspection.id == inspection["id"]).run()
    assert acceptance.status == "in_progress"


async def test_a_defect_names_an_item_of_its_own_checklist_or_is_refused(personas):
    """The item a defect is recorded against counts as checked, so it must be one of this checklist's."""
    from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate, Defect

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    template = ChecklistTemplate(name="另一个")
    await template.save().run()
    room = ChecklistRoom(template=template.id, name="阳台")
    await room.save().run()
    foreign = ChecklistItem(room=room.id, title="别的检查表的一项", category="wall")
    await foreign.save().run()
    for bad in ("abc", str(foreign.id), "999999"):
        r = await ian.post(f"{base}/defects", files=photo_files(1), data=defect_form(
            personas.parties["builder_a"].id, checklist_item_id=bad))
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["errors"] == {"checklist_item_id": "此检查清单中没有这一项。"}
    assert await Defect.count().run() == 0


async def test_the_openapi_schema_documents_the_checklist_endpoints(personas):
    carol = await personas.api("carol")
    schema = (await carol.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/api/v1/inspections/{inspection_id}/rooms/{room_id}/ok",
                 "/api/v1/inspections/{inspection_id}/rooms/{room_id}/ok/{batch_id}/undo",
                 "/api/v1/inspections/{inspection_id}/items/{item_id}"):
        assert "post" in paths[path], path
    complete = paths["/api/v1/inspections/{inspection_id}/complete"]["post"]
    assert "override_reason" in complete["description"]
    assert "unchecked" in complete["responses"]["409"]["description"]


async def test_two_phones_tapping_whole_room_ok_at_once_mark_each_item_once(personas):
    import asyncio

    _, inspection = await unit_under_inspection(personas)
    ian, carol = await personas.api("ian"), await personas.api("carol")
    room = (await _checklist(ian, inspection["id"]))["rooms"][1]
    url = f"/api/v1/inspections/{inspection['id']}/rooms/{room['id']}/ok"
    first, second = await asyncio.gather(ian.post(url), carol.post(url))
    assert (first.status_code, second.status_code) == (200, 200)
    assert sorted([len(first.json()["item_ids"]), len(second.json()["item_ids"])]) == [0, room["total"]]
    assert await ItemResult.count().run() == room["total"]


async def test_a_mark_after_the_inspection_was_finished_elsewhere_is_refused(personas):
    """A phone that read the inspection before someone else finished it cannot change its checklist after."""
    import pytest

    from server.errors import Conflict
    from server.inspections import checklists

    _, inspection = await unit_under_inspection(personas)
    stale = await Inspection.objects().get(Inspection.id == inspection["id"]).run()  # read while in progress
    ian = await personas.api("ian")
    room = (await _checklist(ian, inspection["id"]))["rooms"][0]
    batch, _ids = await checklists.room_ok(actor=None, inspection=stale, room_id=room["id"])
    await check_all(ian, inspection["id"])
    assert (await ian.post(f"/api/v1/inspections/{inspection['id']}/complete")).status_code == 200
    marks = await ItemResult.select(ItemResult.item, ItemResult.result).order_by(ItemResult.id).run()

    with pytest.raises(Conflict):
        await checklists.item_mark(actor=None, inspection=stale, item_id=room["items"][0]["id"], result="na",
                                   note="晚到的标记")
    with pytest.raises(Conflict):
        await checklists.room_ok_undo(actor=None, inspection=stale, room_id=room["id"], batch=batch)
    assert await ItemResult.select(ItemResult.item, ItemResult.result).order_by(ItemResult.id).run() == marks
