"""Inquiry service levels (regulation 5): a project's hours per category (API and page; bad hours are 400 in
Chinese and store nothing), the inquiry's project, lateness on the lists (red), and the cron that escalates a
late inquiry to the CS manager and a late sheet reply to its department, once per breach."""
from __future__ import annotations

import datetime as dt

from server.audit.tables import AuditEntry
from server.inquiries import sla
from server.inquiries.tables import Inquiry, InquiryBreach, InquirySla
from server.notifications.tables import InboxMessage
from tests.inquiries.test_sheets import ZH, asked, department, later


async def _project() -> tuple[int, int]:
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    return project.id, (await Unit.objects().first().run()).id


async def test_hours_per_category_are_saved_and_bad_hours_are_400(personas):
    project_id, _unit = await _project()
    carol = await personas.api("carol")
    url = f"/api/v1/projects/{project_id}/inquiry-sla"
    r = await carol.get(url)
    assert r.json() == {"project_id": project_id, "items": [], "default_response_hours": "4.00",
                        "default_answer_hours": "72.00"}
    for bad in ("0", "-2", "abc", "1.234"):
        r = await carol.put(url, json={"items": [{"category": "报修", "response_hours": bad, "answer_hours": "8"}]},
                            headers=ZH)
        assert r.status_code == 400, bad
        assert r.json()["errors"] == {"items.0.response_hours": "请输入大于 0 的小时数，例如 2 或 0.25。"}
    r = await carol.put(url, headers=ZH, json={"items": [{"category": "报修", "response_hours": "2", "answer_hours": "8"},
                                                          {"category": "报修", "response_hours": "2", "answer_hours": "1"}]})
    assert r.json()["errors"] == {"items.1.category": "每个类别只能设置一次。",
                                  "items.1.answer_hours": "答复时限不能短于首次响应时限。"}
    assert await InquirySla.count().run() == 0
    r = await carol.put(url, json={"items": [{"category": "", "response_hours": 8, "answer_hours": "48"},
                                             {"category": "报修", "response_hours": "0.5", "answer_hours": "24"}]})
    assert r.status_code == 200, r.text
    assert [(i["category"], i["response_hours"], i["answer_hours"]) for i in r.json()["items"]] == [
        ("", "8.00", "48.00"), ("报修", "0.50", "24.00")]
    assert (await (await personas.api("paul")).put(url, json={"items": []})).status_code == 403
    assert (await (await personas.api("olga")).get(url)).status_code == 403
    assert (await carol.get("/api/v1/projects/999999/inquiry-sla")).status_code == 404
    # the page: what was typed stays, nothing stored
    browser = await personas.browser("carol")
    page = await browser.post(f"/inquiries/projects/{project_id}/sla", data={
        "rows": "1", "category_0": "物业", "response_hours_0": "-1", "answer_hours_0": "4"})
    assert page.status_code == 400 and "请输入大于 0 的小时数" in page.text and 'value="物业"' in page.text
    assert await InquirySla.count().run() == 2


async def test_the_inquiry_belongs_to_its_units_project_or_the_one_chosen(personas):
    project_id, unit_id = await _project()
    carol = await personas.api("carol")
    base = {"asker_name": "王先生", "asker_phone": "13900000001", "channel": "phone", "question": "何时交房"}
    assert (await carol.post("/api/v1/inquiries", json={**base, "unit_id": unit_id})).json()["project_id"] == project_id
    assert (await carol.post("/api/v1/inquiries", json={**base, "project_id": project_id})).json()[
        "project_id"] == project_id
    r = await carol.post("/api/v1/inquiries", json={**base, "project_id": 999999}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"project_id": "没有这个项目。"}
    assert await Inquiry.count().run() == 2


async def test_late_inquiries_and_sheet_replies_are_red_and_escalated_once(personas):
    project_id, unit_id = await _project()
    carol = await personas.api("carol")
    await carol.put(f"/api/v1/projects/{project_id}/inquiry-sla", json={"items": [
        {"category": "报修", "response_hours": "1", "answer_hours": "4"}]})
    late = (await carol.post("/api/v1/inquiries", json={
        "asker_name": "王先生", "asker_phone": "13900000001", "channel": "phone", "category": "报修",
        "question": "卫生间漏水", "unit_id": unit_id})).json()["id"]
    other = (await carol.post("/api/v1/inquiries", json={
        "asker_name": "王先生", "asker_phone": "13900000001", "channel": "phone", "category": "物业",
        "question": "物业电话", "unit_id": unit_id})).json()["id"]
    sales = await department(personas, "sally", "销售公司")
    sent = await asked(carol)
    sheet = (await carol.post(f"/api/v1/inquiries/{sent}/escalate", json={
        "departments": [{"party_id": sales, "reply_by": later(1)}]})).json()["sheets"][0]["id"]
    created = (await Inquiry.objects().get(Inquiry.id == late).run()).created_at
    # two hours on: the 报修 inquiry missed its first response (1 h); the 物业 one has the default 4 h
    now = created + dt.timedelta(hours=2)
    found = await sla.overdue_of(await Inquiry.select().run(), now)
    assert {k: v["stage"] for k, v in found.items()} == {late: "response"}
    assert await sla.sla_escalate(now) == 1
    assert await sla.sla_escalate(now + dt.timedelta(minutes=5)) == 0, "once per breach"
    told = await InboxMessage.select(InboxMessage.user, InboxMessage.link).where(
        InboxMessage.link == f"/inquiries/{late}").run()
    assert told == [{"user": personas.user("alice").id, "link": f"/inquiries/{late}"}]
    # three days on: the sheet's reply date passed; the department and the CS manager are told; the others' answers
    # are late too (4 h and the default 72 h)
    now = created + dt.timedelta(days=3, hours=1)
    assert await sla.sla_escalate(now) == 4
    assert {r["stage"] for r in await InquiryBreach.select(InquiryBreach.stage).run()} == {"response", "answer", "reply"}
    assert await InboxMessage.count().where((InboxMessage.party == sales)
                                            & (InboxMessage.link == f"/sheets/{sheet}")).run() == 2
    assert await AuditEntry.count().where(AuditEntry.action == "sla_overdue").run() == 5
