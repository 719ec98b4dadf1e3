"""The property-management tender's records (regulation 3) through the API: the records, the ordering rule
(409, nothing changed), corrections by new records, the public notice, role x action, bad input."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from server import clock
from server.audit.tables import AuditEntry
from server.procedures import services
from server.procedures.tables import ProcedureStep, StepStatus
from server.procedures.tender_tables import TenderBid, TenderExpert, TenderNotice, TenderRecord
from tests.procedures.support import department_user, started, upload


@pytest.fixture(autouse=True)
async def templates():
    await services.templates_ensure()


def step(procedure: dict, position: int) -> dict:
    return next(s for s in procedure["steps"] if s["position"] == position)


async def tender(personas) -> tuple[dict, str]:
    procedure = await started(personas, template_code="pm_tender", subject_kind="project")
    return procedure, f"/api/v1/procedures/{procedure['id']}/tender"


async def companies():
    from server.org.services import party_create

    return (await party_create(actor=None, name="万家物业", kind="property_company"),
            await party_create(actor=None, name="安居物业", kind="property_company"),
            await party_create(actor=None, name="某某建设", kind="construction_unit"))


async def state(client, url: str) -> dict:
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


async def unchanged(check) -> tuple:
    return (await TenderRecord.count().run(), await TenderBid.select(TenderBid.id, TenderBid.score).run(),
            await AuditEntry.count().run(), await ProcedureStep.select(ProcedureStep.id, ProcedureStep.status).run())


async def test_the_ordering_rule_refuses_with_409_and_changes_nothing(personas):
    procedure, url = await tender(personas)
    wanjia, anju, builder = await companies()
    carol = await personas.api("carol")
    bid = (await carol.post(f"{url}/bids", json={"party_id": wanjia.id}))
    assert bid.status_code == 201 and bid.json()["name"] == "万家物业" and bid.json()["score"] is None
    bid_id = bid.json()["id"]

    before = await unchanged(None)
    # No score before experts are drawn; no winner before scores; no filing or contract before a winner.
    r = await carol.post(f"{url}/bids/{bid_id}/score", json={"score": "88"})
    assert r.status_code == 409 and "请先抽取评标专家" in r.json()["detail"]
    r = await carol.post(f"{url}/records", json={"kind": "winner", "bid_id": bid_id})
    assert r.status_code == 409 and "评分" in r.json()["detail"]
    r = await carol.post(f"{url}/records", json={"kind": "winner_filing", "number": "备2027-001",
                                                 "filed_on": clock.today().isoformat()})
    assert r.status_code == 409 and "中标" in r.json()["detail"]
    r = await carol.post(f"{url}/records", json={"kind": "contract", "signed_on": clock.today().isoformat(),
                                                 "starts_on": "2027-03-01", "ends_on": "2029-02-28"})
    assert r.status_code == 409
    # Steps: the evaluation (8) not before step 7 and its experts; step 7 not before the experts are drawn.
    await ProcedureStep.update({ProcedureStep.status: StepStatus.DONE}).where(
        (ProcedureStep.procedure == procedure["id"]) & (ProcedureStep.position < 7)).run()
    for position in (7, 8):
        for name in step(procedure, position)["required_documents"]:
            assert (await upload(carol, step(procedure, position)["id"], name=name)).status_code == 201
    before = await unchanged(None)
    r = await carol.post(f"/api/v1/procedure-steps/{step(procedure, 8)['id']}/complete", json={})
    assert r.status_code == 409 and "第7步尚未完成" in r.json()["detail"] and "请先抽取评标专家" in r.json()["detail"]
    r = await carol.post(f"/api/v1/procedure-steps/{step(procedure, 7)['id']}/complete", json={})
    assert r.status_code == 409 and "请先抽取评标专家" in r.json()["detail"]
    assert await unchanged(None) == before

    # Once the experts are drawn, step 7 can be completed.
    r = await carol.post(f"{url}/experts", json={"name": "李工", "field": "物业管理",
                                                 "drawn_on": clock.today().isoformat()})
    assert r.status_code == 201 and r.json()["field"] == "物业管理"
    r = await carol.post(f"/api/v1/procedure-steps/{step(procedure, 7)['id']}/complete", json={})
    assert r.status_code == 200 and r.json()["status"] == "done"
    # Step 7 is done: its records are closed (reopen it to correct them).
    r = await carol.post(f"{url}/experts", json={"name": "王工", "field": "财务", "drawn_on": "2026-01-05"})
    assert r.status_code == 409 and "重新打开" in r.json()["detail"]
    # Step 8 still waits for every bidder's score.
    r = await carol.post(f"/api/v1/procedure-steps/{step(procedure, 8)['id']}/complete", json={})
    assert r.status_code == 409 and "评分" in r.json()["detail"]


async def test_records_winner_filings_contract_and_corrections_by_new_records(personas):
    procedure, url = await tender(personas)
    wanjia, anju, builder = await companies()
    carol = await personas.api("carol")
    today = clock.today().isoformat()
    for name, field in (("李工", "物业管理"), ("张工", "工程"), ("赵工", "财务")):
        assert (await carol.post(f"{url}/experts", json={"name": name, "field": field, "drawn_on": today})
                ).status_code == 201
    ids = {}
    for body in ({"party_id": wanjia.id}, {"party_id": anju.id}, {"name": "个体投标人"}):
        r = await carol.post(f"{url}/bids", json=body)
        assert r.status_code == 201, r.text
        ids[r.json()["name"]] = r.json()["id"]
    for name, score in (("万家物业", "91.5"), ("安居物业", "87"), ("个体投标人", "95")):
        r = await carol.post(f"{url}/bids/{ids[name]}/score", json={"score": score})
        assert r.status_code == 200
    r = await carol.post(f"{url}/bids/{ids['安居物业']}/score", json={"score": "88.25"})  # a change: audited
    entry = await AuditEntry.objects().where((AuditEntry.object_type == "tender_bid")
                                             & (AuditEntry.action == "score")).order_by(AuditEntry.id,
                                                                                          ascending=False).first().run()
    assert entry.from_state == "87.00" and entry.to_state == "88.25"
    got = await state(carol, url)
    assert [b["name"] for b in got["bids"]] == ["个体投标人", "万家物业", "安居物业"]  # best score first
    assert "bids_scored" in got["facts"] and "experts" in got["facts"]

    # The winner must be a property-company party.
    r = await carol.post(f"{url}/records", json={"kind": "winner", "bid_id": ids["个体投标人"]})
    assert r.status_code == 400 and "物业公司" in r.json()["errors"]["bid_id"]
    r = await carol.post(f"{url}/records", json={"kind": "winner", "bid_id": ids["万家物业"]})
    assert r.status_code == 201 and r.json()["party_id"] == wanjia.id and r.json()["party_name"] == "万家物业"
    # The scores no longer change; the winner's steps (price filing, moving in) now name it.
    r = await carol.post(f"{url}/bids/{ids['安居物业']}/score", json={"score": "99"})
    assert r.status_code == 409
    steps = (await carol.get(f"/api/v1/procedures/{procedure['id']}")).json()
    assert step(steps, 11)["responsible_party_id"] == wanjia.id and step(steps, 12)["responsible_party_id"] == wanjia.id

    r = await carol.post(f"{url}/records", json={"kind": "winner_filing", "number": "备2027-001", "filed_on": today})
    assert r.status_code == 201
    # A correction is a new record with a reason; the old one stays in the history.
    r = await carol.post(f"{url}/records", json={"kind": "winner_filing", "number": "备2027-011", "filed_on": today})
    assert r.status_code == 400 and "更正" in r.json()["errors"]["reason"]
    r = await carol.post(f"{url}/records", json={"kind": "winner_filing", "number": "备2027-011", "filed_on": today,
                                                 "reason": "备案号抄错"})
    assert r.status_code == 201 and r.json()["supersedes_id"] is not None
    # Contract dates: the end after the start.
    bad = {"kind": "contract", "signed_on": today, "starts_on": "2027-03-01", "ends_on": "2027-03-01"}
    r = await carol.post(f"{url}/records", json=bad)
    assert r.status_code == 400 and "结束" in r.json()["errors"]["ends_on"]
    # Price filing: the winning company's own users, after the contract.
    percy = await department_user(personas, "percy", "property")
    from server.accounts.tables import User

    await User.update({User.party: wanjia.id}).where(User.username == "percy").run()
    price = {"kind": "price_filing", "number": "价备2027-9", "filed_on": today}
    assert (await percy.post(f"{url}/records", json=price)).status_code == 409  # no contract yet
    r = await carol.post(f"{url}/records", json={**bad, "ends_on": "2029-02-28"})
    assert r.status_code == 201 and r.json()["ends_on"] == "2029-02-28"
    r = await percy.post(f"{url}/records", json=price)
    assert r.status_code == 201

    got = await state(carol, url)
    assert got["winner_filing"]["number"] == "备2027-011" and got["contract"]["starts_on"] == "2027-03-01"
    assert [h["number"] for h in got["history"]] == ["备2027-001"]
    assert got["price_filing"]["number"] == "价备2027-9"
    # Every record is audited, and the records are only ever added.
    assert await AuditEntry.count().where(AuditEntry.object_type == "tender_record").run() == 5
    assert await TenderRecord.count().run() == 5
    assert await AuditEntry.count().where(AuditEntry.object_type == "tender_expert").run() == 3
    # The database itself refuses to change or remove a legal fact.
    for change in (TenderRecord.update({TenderRecord.number: "改"}).where(TenderRecord.id > 0),
                   TenderRecord.delete().where(TenderRecord.id > 0)):
        with pytest.raises(Exception, match="immutable"):
            await change.run()
    assert [r["number"] for r in await TenderRecord.select(TenderRecord.number).where(
        TenderRecord.kind == "winner_filing").order_by(TenderRecord.id).run()] == ["备2027-001", "备2027-011"]


async def test_bad_input_is_400_in_chinese_and_stores_nothing(personas):
    procedure, url = await tender(personas)
    wanjia, anju, builder = await companies()
    carol = await personas.api("carol")
    before = (await TenderExpert.count().run(), await TenderBid.count().run(), await AuditEntry.count().run())
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    r = await carol.post(f"{url}/experts", json={"name": " ", "field": "工程", "drawn_on": tomorrow})
    assert r.status_code == 400 and r.json()["errors"]["name"] == "此项必填。"
    assert "晚于今天" in r.json()["errors"]["drawn_on"]
    r = await carol.post(f"{url}/experts", json={"name": "李工", "field": "工程", "drawn_on": "昨天"})
    assert r.status_code == 400 and "2026-12-31" in r.json()["errors"]["drawn_on"]
    r = await carol.post(f"{url}/bids", json={"party_id": builder.id})
    assert r.status_code == 400 and "物业公司" in r.json()["errors"]["party_id"]
    r = await carol.post(f"{url}/bids", json={})
    assert r.status_code == 400 and "名称" in r.json()["errors"]["name"]
    r = await carol.post(f"{url}/records", json={"kind": "nonsense"})
    assert r.status_code == 400
    assert (await TenderExpert.count().run(), await TenderBid.count().run(), await AuditEntry.count().run()) == before
    # A score out of range, or with three decimals.
    await carol.post(f"{url}/experts", json={"name": "李工", "field": "工程", "drawn_on": "2026-01-05"})
    bid = (await carol.post(f"{url}/bids", json={"party_id": wanjia.id})).json()
    for score in ("101", "-1", "88.125", "八十"):
        r = await carol.post(f"{url}/bids/{bid['id']}/score", json={"score": score})
        assert r.status_code == 400 and "0 到 100" in r.json()["errors"]["score"], score
    again = await carol.post(f"{url}/bids", json={"party_id": wanjia.id})
    assert again.status_code == 400 and "已" in again.json()["errors"]["party_id"]
    assert (await TenderBid.objects().get(TenderBid.id == bid["id"]).run()).score is None


async def test_a_repeated_client_id_answers_the_first_record(personas):
    procedure, url = await tender(personas)
    carol = await personas.api("carol")
    body = {"name": "李工", "field": "工程", "drawn_on": "2026-01-05", "client_id": str(uuid.uuid4())}
    first = await carol.post(f"{url}/experts", json=body)
    second = await carol.post(f"{url}/experts", json=body)
    assert first.status_code == 201 and second.status_code == 200 and first.json()["id"] == second.json()["id"]
    assert await TenderExpert.count().run() == 1


async def test_role_and_object_access(personas):
    procedure, url = await tender(personas)
    delivery = await started(personas, subject_id=9)
    carol, petra, paul = await personas.api("carol"), await personas.api("petra"), await personas.api("paul")
    bob, olga = await personas.api("bob"), await personas.api("olga")
    notice = {"title": "阳光花园前期物业招标公告", "body": "欢迎符合条件的物业公司投标。",
              "opens_on": "2027-01-10", "closes_on": "2027-01-31"}
    # Outsiders: 403 at the door; a procedure that is no tender, or none at all: 404.
    assert (await bob.get(url)).status_code == 403 and (await olga.get(url)).status_code == 403
    assert (await carol.get(f"/api/v1/procedures/{delivery['id']}/tender")).status_code == 404
    assert (await carol.get("/api/v1/procedures/999999/tender")).status_code == 404
    assert (await petra.post(f"/api/v1/procedures/{delivery['id']}/tender/notice", json=notice)).status_code == 404
    # The notice is Brand & PR's; the experts are the CS center's step (the PR user and the project department
    # may read but not record them).
    assert (await carol.post(f"{url}/notice", json=notice)).status_code == 403
    assert (await paul.post(f"{url}/experts", json={"name": "李工", "field": "工程",
                                                    "drawn_on": "2026-01-05"})).status_code == 403
    assert (await petra.post(f"{url}/experts", json={"name": "李工", "field": "工程",
                                                     "drawn_on": "2026-01-05"})).status_code == 403
    assert (await paul.get(url)).status_code == 200
    assert await TenderNotice.count().run() == 0 and await TenderExpert.count().run() == 0


async def test_the_public_notice_opens_without_sign_in_only_while_published(personas, client):
    procedure, url = await tender(personas)
    petra = await personas.api("petra")
    bad = await petra.post(f"{url}/notice", json={"title": "", "body": "正文", "opens_on": "2027-01-31",
                                                  "closes_on": "2027-01-10"})
    assert bad.status_code == 400 and bad.json()["errors"]["title"] == "此项必填。"
    assert "截止" in bad.json()["errors"]["closes_on"] and await TenderNotice.count().run() == 0
    notice = {"title": "阳光花园前期物业招标公告", "body": "欢迎符合条件的物业公司投标。",
              "opens_on": "2027-01-10", "closes_on": "2027-01-31"}
    r = await petra.post(f"{url}/notice", json=notice)
    assert r.status_code == 200 and r.json()["status"] == "draft" and r.json()["public_url"] is None
    token = (await TenderNotice.objects().first().run()).public_token
    assert (await client.get(f"/tender-notices/{token}")).status_code == 404  # a draft is not public
    assert (await petra.post(f"{url}/notice/unpublish")).status_code == 409
    r = await petra.post(f"{url}/notice/publish")
    assert r.status_code == 200 and r.json()["public_url"].endswith(f"/tender-notices/{token}")
    page = await client.get(f"/tender-notices/{token}")  # nobody signed in
    assert page.status_code == 200 and "阳光花园前期物业招标公告" in page.text and "2027-01-31" in page.text
    assert (await petra.post(f"{url}/notice/publish")).status_code == 409
    # A published notice is not edited in place.
    r = await petra.post(f"{url}/notice", json={**notice, "title": "改过的标题"})
    assert r.status_code == 409 and (await TenderNotice.objects().first().run()).title == notice["title"]
    assert (await petra.post(f"{url}/notice/unpublish")).status_code == 200
    assert (await client.get(f"/tender-notices/{token}")).status_code == 404
    assert (await client.get("/tender-notices/no-such-token")).status_code == 404
    actions = [e.action for e in await AuditEntry.objects().where(AuditEntry.object_type == "tender_notice").order_by(
        AuditEntry.id).run()]
    assert actions == ["write", "publish", "unpublish"]
    # Step 5 (PR publishes the notice) waits for a published notice.
    steps = {s["position"]: s for s in procedure["steps"]}
    await ProcedureStep.update({ProcedureStep.status: StepStatus.DONE}).where(
        (ProcedureStep.procedure == procedure["id"]) & (ProcedureStep.position < 5)).run()
    assert (await upload(petra, steps[5]["id"])).status_code == 201
    r = await petra.post(f"/api/v1/procedure-steps/{steps[5]['id']}/complete", json={})
    assert r.status_code == 409 and "招标公告" in r.json()["detail"]
    assert (await petra.post(f"{url}/notice/publish")).status_code == 200
    assert (await petra.post(f"/api/v1/procedure-steps/{steps[5]['id']}/complete", json={})).status_code == 200


async def test_an_expert_recorded_by_mistake_is_withdrawn_not_deleted(personas):
    procedure, url = await tender(personas)
    carol, paul = await personas.api("carol"), await personas.api("paul")
    expert = (await carol.post(f"{url}/experts", json={"name": "李攻", "field": "工程", "drawn_on": "2026-01-05"})).json()
    assert (await paul.post(f"{url}/experts/{expert['id']}/withdraw", json={"reason": "x"})).status_code == 403
    r = await carol.post(f"{url}/experts/{expert['id']}/withdraw", json={"reason": " "})
    assert r.status_code == 400 and "撤回" in r.json()["errors"]["reason"]
    r = await carol.post(f"{url}/experts/{expert['id']}/withdraw", json={"reason": "姓名写错"})
    assert r.status_code == 200 and r.json()["withdrawn_at"] and r.json()["withdrawn_reason"] == "姓名写错"
    assert (await carol.post(f"{url}/experts/{expert['id']}/withdraw", json={"reason": "再撤"})).status_code == 409
    assert (await carol.post(f"{url}/experts/999999/withdraw", json={"reason": "无"})).status_code == 404
    got = await state(carol, url)
    assert len(got["experts"]) == 1 and "experts" not in got["facts"]  # kept, but no longer counted
    bid = (await carol.post(f"{url}/bids", json={"name": "某物业"})).json()
    assert (await carol.post(f"{url}/bids/{bid['id']}/score", json={"score": "80"})).status_code == 409
    assert await AuditEntry.count().where(AuditEntry.action == "withdraw").run() == 1
