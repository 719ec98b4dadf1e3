"""Customer inquiries (regulation 5, item 1): recording one, answering at once from the knowledge base (the live
suggestions and the one-tap answer on the form), answering later, who may, bad input. SQLite and PostgreSQL."""
from __future__ import annotations

import re

from server.audit.tables import AuditEntry
from server.inquiries.tables import Inquiry
from tests.knowledge.support import add, add_all


async def _unit(personas) -> tuple[int, int]:
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().first().run()
    return building.id, unit.id


async def test_an_inquiry_answered_from_the_knowledge_base_links_its_entry(personas):
    carol = await personas.api("carol")
    ids = await add_all(carol)
    _, unit_id = await _unit(personas)
    r = await carol.post("/api/v1/inquiries", json={
        "asker_name": "王先生", "asker_phone": "13900000001", "unit_id": unit_id, "channel": "phone",
        "category": "报修", "question": "卫生间顶上漏水怎么处理", "knowledge_entry_id": ids[0]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("status", "answer", "knowledge_entry_id", "unit_id", "channel", "owner_id")} == {
        "status": "answered", "answer": "先关闭总阀，拍照后联系客服报修，防水在保修期五年内免费维修。",
        "knowledge_entry_id": ids[0], "unit_id": unit_id, "channel": "phone", "owner_id": None}
    assert (await carol.get(f"/api/v1/inquiries/{body['id']}")).json() == body
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.to_state).where(
        AuditEntry.object_type == "inquiry").run()
    assert audit == [{"action": "record", "to_state": "answered"}]


async def test_an_open_inquiry_is_answered_once(personas):
    carol = await personas.api("carol")
    r = await carol.post("/api/v1/inquiries", json={
        "asker_name": "李女士", "asker_phone": "13900000002", "channel": "wechat", "question": "车位什么时候卖"})
    assert r.status_code == 201 and r.json()["status"] == "open"
    inquiry_id = r.json()["id"]
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "  "},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json()["errors"] == {"answer": "请填写答复。"}
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "销售公司另行通知。"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["answer"]) == ("answered", "销售公司另行通知。")
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/answer", json={"answer": "再答一次"})
    assert r.status_code == 409
    row = await Inquiry.objects().get(Inquiry.id == inquiry_id).run()
    assert (row.answer, row.answered_by) == ("销售公司另行通知。", personas.user("carol").id)
    r = await carol.get("/api/v1/inquiries", params={"status": "answered"})
    assert [i["id"] for i in r.json()["items"]] == [inquiry_id]


async def test_an_owner_account_is_linked_by_phone(personas):
    from tests.dataset import OWNER
    from tests.delivery.support import ready_batch

    await ready_batch(personas)
    carol = await personas.api("carol")
    r = await carol.post("/api/v1/inquiries", json={
        "asker_name": "业主", "asker_phone": OWNER, "channel": "walk_in", "question": "交房要带什么"})
    from server.accounts.tables import User

    owner = await User.objects().get(User.username == OWNER).run()
    assert r.status_code == 201 and r.json()["owner_id"] == owner.id


async def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(personas):
    carol = await personas.api("carol")
    ids = await add_all(carol)
    await carol.post(f"/api/v1/knowledge/{ids[1]}/retire")
    r = await carol.post("/api/v1/inquiries", json={"asker_phone": "abc", "channel": "fax", "question": "",
                                                    "unit_id": 999999, "knowledge_entry_id": ids[1]},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400
    assert r.json()["errors"] == {
        "asker_name": "请填写咨询人。", "asker_phone": "请填写电话号码，例如 13800000000。",
        "channel": "请选择咨询方式。", "question": "请填写问题。", "unit_id": "没有这个房号。",
        "knowledge_entry_id": "这条知识库答复已停用。"}
    assert await Inquiry.count().run() == 0


async def test_only_the_cs_center_records_and_reads_inquiries(personas):
    carol = await personas.api("carol")
    r = await carol.post("/api/v1/inquiries", json={
        "asker_name": "李女士", "asker_phone": "13900000002", "channel": "online", "question": "物业费怎么交"})
    inquiry_id = r.json()["id"]
    assert (await (await personas.api("alice")).get(f"/api/v1/inquiries/{inquiry_id}")).status_code == 200
    for name in ("ian", "sam", "bob", "olga"):
        client = await personas.api(name)
        # an owner reads only their own inquiries: this one is not hers (404)
        assert (await client.get(f"/api/v1/inquiries/{inquiry_id}")).status_code == (
            404 if name == "olga" else 403), name
        assert (await client.post("/api/v1/inquiries", json={
            "asker_name": "x", "asker_phone": "13900000003", "channel": "phone", "question": "q"})).status_code == 403
    assert (await carol.get("/api/v1/inquiries/999999")).status_code == 404
    assert await Inquiry.count().run() == 1


async def test_the_form_suggests_answers_as_the_question_is_typed_and_one_tap_uses_one(personas):
    carol_api = await personas.api("carol")
    ids = await add_all(carol_api)
    await add(carol_api, "漏水怎么报修", "一般三个工作日内上门。")
    building_id, unit_id = await _unit(personas)
    carol = await personas.browser("carol")
    form = await carol.get("/inquiries/new")
    assert 'hx-get="/inquiries/suggestions"' in form.text
    r = await carol.get("/inquiries/suggestions", params={"question": "漏水怎么"}, headers={"HX-Request": "true"})
    # both hold the whole phrase in the question with equal weight: the newer first; nothing else matches
    assert [int(x) for x in re.findall(r'data-suggestion="(\d+)"', r.text)] == [ids[0] + 5, ids[0]]
    assert f'hx-get="/inquiries/answer-box?knowledge_entry_id={ids[0]}"' in r.text
    box = await carol.get("/inquiries/answer-box", params={"knowledge_entry_id": ids[0]})
    assert f'name="knowledge_entry_id" value="{ids[0]}"' in box.text
    assert ">先关闭总阀，拍照后联系客服报修，防水在保修期五年内免费维修。</textarea>" in box.text
    # bad input keeps what was typed, the chosen answer included
    fields = {"asker_name": "王先生", "asker_phone": "", "channel": "phone", "building_id": str(building_id),
              "number": "101", "question": "卫生间漏水怎么办", "answer": "先关阀，我们马上联系维修。",
              "knowledge_entry_id": str(ids[0])}
    r = await carol.post("/inquiries/new", data=fields)
    assert r.status_code == 400
    assert "请填写回访电话。" in r.text and ">卫生间漏水怎么办</textarea>" in r.text
    assert ">先关阀，我们马上联系维修。</textarea>" in r.text and f'data-used="{ids[0]}"' in r.text
    assert await Inquiry.count().run() == 0
    r = await carol.post("/inquiries/new", data={**fields, "asker_phone": "13900000001"}, follow_redirects=False)
    assert r.status_code == 303
    row = await Inquiry.objects().first().run()
    assert (row.status, row.knowledge_entry, row.unit, row.answer) == (
        "answered", ids[0], unit_id, "先关阀，我们马上联系维修。")
    detail = await carol.get(f"/inquiries/{row.id}")
    assert f'href="/knowledge/{ids[0]}" data-entry-link' in detail.text and "已答复" in detail.text
    listed = await carol.get("/inquiries")
    assert [int(x) for x in re.findall(r'data-inquiry="(\d+)"', listed.text)] == [row.id]
    r = await carol.post("/inquiries/new", data={**fields, "asker_phone": "13900000001", "number": "909"})
    assert r.status_code == 400 and "这栋楼没有这个房号。" in r.text


async def test_an_owner_asks_from_her_pages_and_reads_only_her_answers(personas):
    from server.accounts.tables import User
    from tests.dataset import OWNER, _owner_signs_in
    from tests.delivery.support import ready_batch

    setup = await ready_batch(personas)
    owner = await User.objects().get(User.username == OWNER).run()
    carol = await personas.api("carol")
    other = (await carol.post("/api/v1/inquiries", json={
        "asker_name": "李女士", "asker_phone": "13900000002", "channel": "phone", "question": "别人的问题"})).json()
    browser = await _owner_signs_in(personas, setup["batch"]["id"])
    page = await browser.get("/owner/inquiries")
    assert page.status_code == 200 and "您还没有咨询过。" in page.text
    r = await browser.post("/owner/inquiries", data={"question": "  "})
    assert r.status_code == 400 and "请填写问题。" in r.text
    r = await browser.post("/owner/inquiries", data={"question": "小区几点关门"}, follow_redirects=False)
    assert r.status_code == 303
    row = await Inquiry.objects().where(Inquiry.owner == owner.id).first().run()
    assert (row.channel, row.status, row.question) == ("online", "open", "小区几点关门")
    assert (await carol.post(f"/api/v1/inquiries/{row.id}/answer", json={"answer": "晚上十一点。"})).status_code == 200
    page = await browser.get("/owner/inquiries")
    assert [int(x) for x in re.findall(r'data-inquiry="(\d+)"', page.text)] == [row.id]
    assert "晚上十一点。" in page.text and "别人的问题" not in page.text and other["id"] != row.id
    assert (await browser.get("/inquiries")).status_code == 403
    assert (await browser.get(f"/api/v1/inquiries/{other['id']}")).status_code == 404
