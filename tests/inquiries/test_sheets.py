"""Work contact sheets (regulation 5, item 2): an inquiry goes to two departments, both reply, CS drafts, the CS
manager sends it back then approves, staff call (not reached, then reached; each call a record the database keeps
unchanged); who may do what (403/404), moves the table does not allow (409, nothing changed), bad input (400 in
Chinese, nothing stored). SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from server.audit.tables import AuditEntry
from server.clock import today
from server.inquiries.tables import ContactSheet, Inquiry, InquiryCallback
from server.notifications.tables import InboxMessage

ZH = {"Accept-Language": "zh-CN"}


async def department(personas: Any, username: str, party_name: str, kind: str = "department",
                     role: str = "sales") -> int:
    """A party the sheets go to, with one user of it (signed in as `username`)."""
    from server.accounts.tables import User
    from server.org.services import party_create
    from tests.support import _password_hash

    party = await party_create(actor=None, name=party_name, kind=kind)
    user = User(username=username, password_hash=_password_hash(), role=role, party=party.id,
                display_name=username.title())
    await user.save().run()
    personas.users[username] = user
    return party.id


async def asked(carol: Any, question: str = "地下车位什么时候开始销售") -> int:
    r = await carol.post("/api/v1/inquiries", json={
        "asker_name": "李女士", "asker_phone": "13900000002", "channel": "phone", "category": "销售",
        "question": question})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def later(days: int = 2) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


async def escalated(personas: Any) -> dict[str, Any]:
    carol = await personas.api("carol")
    sales = await department(personas, "sally", "销售公司")
    prop = await department(personas, "percy", "万家物业", kind="property_company", role="property")
    inquiry_id = await asked(carol)
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/escalate", json={
        "request": "请答复车位销售时间", "departments": [{"party_id": sales, "reply_by": later()},
                                                      {"party_id": prop, "reply_by": later(3)}]})
    assert r.status_code == 201, r.text
    return {"carol": carol, "inquiry": inquiry_id, "sales": sales, "property": prop, "body": r.json()}


async def test_an_inquiry_goes_to_two_departments_and_is_answered_approved_and_called_back(personas):
    d = await escalated(personas)
    carol, inquiry_id = d["carol"], d["inquiry"]
    body = d["body"]
    assert body["inquiry"]["status"] == "escalated"
    assert [(s["party_id"], s["status"], s["deadline"][:10]) for s in body["sheets"]] == [
        (d["sales"], "waiting", later()), (d["property"], "waiting", later(3))]
    # each department is told, in the inbox its users share
    told = await InboxMessage.select(InboxMessage.party, InboxMessage.link).where(
        InboxMessage.party.is_not_null()).order_by(InboxMessage.party).run()
    assert told == [{"party": d["sales"], "link": f"/sheets/{body['sheets'][0]['id']}"},
                    {"party": d["property"], "link": f"/sheets/{body['sheets'][1]['id']}"}]
    sally, percy = await personas.api("sally"), await personas.api("percy")
    mine = (await sally.get("/api/v1/contact-sheets")).json()
    assert [s["id"] for s in mine["items"]] == [body["sheets"][0]["id"]] and mine["total"] == 1
    # CS cannot draft before every department replied
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "明年三月开售。"})
    assert r.status_code == 409
    r = await sally.post(f"/api/v1/contact-sheets/{body['sheets'][0]['id']}/reply", json={"reply": "预计明年三月开售。"})
    assert r.status_code == 200 and r.json()["status"] == "replied", r.text
    r = await percy.post(f"/api/v1/contact-sheets/{body['sheets'][1]['id']}/reply", json={"reply": "物业费按车位另计。"})
    assert r.status_code == 200
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "车位明年三月开售。"})
    assert r.status_code == 200 and r.json()["status"] == "drafted" and r.json()["answer"] == ""
    alice = await personas.api("alice")
    r = await alice.post(f"/api/v1/inquiries/{inquiry_id}/send-back", json={"reason": "请写明管理费"})
    assert r.json()["status"] == "returned" and r.json()["return_reason"] == "请写明管理费"
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "车位明年三月开售，管理费另计。"})
    assert r.json()["status"] == "drafted"
    r = await alice.post(f"/api/v1/inquiries/{inquiry_id}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["answer"] == "车位明年三月开售，管理费另计。"
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/callback", json={"reached": False, "note": "无人接听"})
    assert r.status_code == 201 and r.json()["inquiry"]["status"] == "approved"
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/callback", json={"reached": True, "satisfied": True})
    assert r.status_code == 201 and r.json()["inquiry"]["status"] == "closed" and r.json()["satisfied"] is True
    assert [c["reached"] for c in await InquiryCallback.select(InquiryCallback.reached).order_by(
        InquiryCallback.id).run()] == [False, True]
    # a callback is a record: the database refuses to change or remove it (a correction is a new callback)
    for change in (InquiryCallback.update({InquiryCallback.satisfied: False}).where(InquiryCallback.id > 0),
                   InquiryCallback.delete().where(InquiryCallback.id > 0)):
        with pytest.raises(Exception, match="immutable"):
            await change.run()
    assert [c["satisfied"] for c in await InquiryCallback.select(InquiryCallback.satisfied).order_by(
        InquiryCallback.id).run()] == [None, True]
    actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "inquiry") & (AuditEntry.object_id == str(inquiry_id))).order_by(
        AuditEntry.id).run()]
    assert actions == ["record", "escalate", "sheet_reply", "sheet_reply", "draft", "send_back", "draft", "approve",
                       "callback_missed", "callback"]
    # the printable sheet shows both replies
    page = await (await personas.browser("carol")).get(f"/inquiries/{inquiry_id}/sheet")
    assert page.status_code == 200 and "预计明年三月开售。" in page.text and "物业费按车位另计。" in page.text


async def test_who_may_do_what(personas):
    d = await escalated(personas)
    carol, inquiry_id = d["carol"], d["inquiry"]
    sales_sheet, property_sheet = (s["id"] for s in d["body"]["sheets"])
    sally = await personas.api("sally")
    # a department's user sees and answers only its own party's sheet; another party's is 404
    assert (await sally.get(f"/api/v1/contact-sheets/{property_sheet}")).status_code == 404
    assert (await sally.post(f"/api/v1/contact-sheets/{property_sheet}/reply", json={"reply": "x"})).status_code == 404
    # departments and contractors do not reach the inquiries themselves; an owner not this one (404, as if it did
    # not exist: an owner reads only their own, test_owner_inquiries.py)
    for name in ("sally", "olga", "bob"):
        client = await personas.api(name)
        assert (await client.get(f"/api/v1/inquiries/{inquiry_id}")).status_code == (404 if name == "olga" else 403)
        assert (await client.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "x"})).status_code == 403
    for name in ("olga", "bob"):
        assert (await (await personas.api(name)).get("/api/v1/contact-sheets")).status_code == 403
    # CS sees every sheet but replies for no department
    assert (await carol.get(f"/api/v1/contact-sheets/{sales_sheet}")).status_code == 200
    assert (await carol.post(f"/api/v1/contact-sheets/{sales_sheet}/reply", json={"reply": "x"})).status_code == 403
    # a staff user of no party sees no sheet
    assert (await (await personas.api("paul")).get("/api/v1/contact-sheets")).json()["total"] == 0
    # only the CS manager (an administrator) approves or sends back
    await ContactSheet.update({ContactSheet.status: "replied"}).where(ContactSheet.inquiry == inquiry_id).run()
    assert (await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "答复"})).status_code == 200
    assert (await carol.post(f"/api/v1/inquiries/{inquiry_id}/approve")).status_code == 403
    assert (await carol.post(f"/api/v1/inquiries/{inquiry_id}/send-back", json={"reason": "x"})).status_code == 403
    assert (await Inquiry.objects().get(Inquiry.id == inquiry_id).run()).status == "drafted"
    assert (await carol.post("/api/v1/inquiries/999999/escalate", json={})).status_code == 404


async def test_moves_the_table_does_not_allow_are_409_and_change_nothing(personas):
    d = await escalated(personas)
    carol, inquiry_id = d["carol"], d["inquiry"]
    alice = await personas.api("alice")
    before = await Inquiry.select().where(Inquiry.id == inquiry_id).first().run()
    for path, payload in (("escalate", {"departments": [{"party_id": d["sales"], "reply_by": later()}]}),
                          ("answer", {"answer": "x"}), ("callback", {"reached": True})):
        r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/{path}", json=payload)
        assert r.status_code == 409, (path, r.text)
    assert (await alice.post(f"/api/v1/inquiries/{inquiry_id}/approve")).status_code == 409
    assert await Inquiry.select().where(Inquiry.id == inquiry_id).first().run() == before
    assert await ContactSheet.count().run() == 2 and await InquiryCallback.count().run() == 0
    sally = await personas.api("sally")
    sheet = d["body"]["sheets"][0]["id"]
    assert (await sally.post(f"/api/v1/contact-sheets/{sheet}/reply", json={"reply": "第一次"})).status_code == 200
    r = await sally.post(f"/api/v1/contact-sheets/{sheet}/reply", json={"reply": "第二次"}, headers=ZH)
    assert r.status_code == 409 and r.json()["detail"] == "该联系单已回复。"
    assert (await ContactSheet.objects().get(ContactSheet.id == sheet).run()).reply == "第一次"


async def test_bad_input_is_400_in_chinese_and_stores_nothing(personas):
    carol = await personas.api("carol")
    sales = await department(personas, "sally", "销售公司")
    builder = personas.parties["builder_a"].id
    inquiry_id = await asked(carol)
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/escalate", json={"departments": []}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"departments": "请至少选择一个部门。"}
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/escalate", headers=ZH, json={"departments": [
        {"party_id": builder, "reply_by": later()}, {"party_id": sales, "reply_by": yesterday}]})
    assert r.status_code == 400 and r.json()["errors"] == {
        "departments.0.party_id": "请选择部门或物业公司。", f"reply_by_{sales}": "回复日期不能早于今天。"}
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/escalate", headers=ZH,
                         json={"departments": [{"party_id": sales, "reply_by": "明天"}]})
    assert r.json()["errors"] == {f"reply_by_{sales}": "请输入回复日期，例如 2026-12-31。"}
    assert await ContactSheet.count().run() == 0
    assert (await Inquiry.objects().get(Inquiry.id == inquiry_id).run()).status == "open"
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/escalate", json={
        "departments": [{"party_id": sales, "reply_by": later()}]})
    sheet = r.json()["sheets"][0]["id"]
    sally = await personas.api("sally")
    r = await sally.post(f"/api/v1/contact-sheets/{sheet}/reply", json={"reply": " "}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"reply": "请输入回复内容。"}
    assert (await ContactSheet.objects().get(ContactSheet.id == sheet).run()).status == "waiting"
    await sally.post(f"/api/v1/contact-sheets/{sheet}/reply", json={"reply": "明年开售"})
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": ""}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"draft": "请填写答复。"}
    await carol.post(f"/api/v1/inquiries/{inquiry_id}/draft", json={"draft": "答复"})
    alice = await personas.api("alice")
    r = await alice.post(f"/api/v1/inquiries/{inquiry_id}/send-back", json={}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"reason": "请填写退回原因。"}
    await alice.post(f"/api/v1/inquiries/{inquiry_id}/approve")
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/callback", json={"reached": "maybe"}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"reached": "请选择“是”或“否”。"}
    r = await carol.post(f"/api/v1/inquiries/{inquiry_id}/callback", json={"reached": True}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"satisfied": "请选择“是”或“否”。"}
    assert await InquiryCallback.count().run() == 0
    assert (await Inquiry.objects().get(Inquiry.id == inquiry_id).run()).status == "approved"
