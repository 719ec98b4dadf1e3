"""A repair job after triage through the API: survey and plan by the quality center, the CS center's
decision, dispatch with the unit told, start, checks; bad input and illegal moves change nothing."""
from __future__ import annotations

from server.audit.tables import AuditEntry
from server.notifications.tables import ChannelItem, InboxMessage
from server.photos.tables import Photo
from server.repairs.job_tables import RepairAssignment, RepairCheck, RepairPlan, RepairPlanDocument, RepairSurvey
from server.repairs.tables import RepairRequest
from tests.inspections.support import photo_files
from tests.repairs.jobs_support import PDF, ZH, assigned, planned, repair_unit, surveyed, triaged
from tests.repairs.support import multipart, new_id


async def _status(repair_id: int) -> str:
    return (await RepairRequest.select(RepairRequest.status).where(RepairRequest.id == repair_id).first().run())[
        "status"]


async def _actions(repair_id: int) -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "repair") & (AuditEntry.object_id == str(repair_id))).order_by(AuditEntry.id).run()
    return [r["action"] for r in rows]


async def test_survey_plan_approval_dispatch_start_and_checks(personas):
    from server.org.tables import Party

    party, _rita = await repair_unit(personas)
    await Party.update({Party.webhook_url: "https://oapi.example.com/robot/send?access_token=x"}).where(
        Party.id == party.id).run()
    _h, repair_id = await planned(personas)
    carol, quinn, rita = await personas.api("carol"), await personas.api("quinn"), await personas.api("rita")
    job = (await carol.get(f"/api/v1/repairs/{repair_id}/job")).json()
    assert job["status"] == "planned"
    assert [s["findings"] for s in job["surveys"]] == ["卫生间防水层破损，楼板渗水"]
    assert job["surveys"][0]["by_name"] == "Quinn"
    [plan] = job["plans"]
    assert (plan["text"], plan["decision"], plan["decided_by_name"]) == ("凿除地面，重做防水层，闭水试验48小时",
                                                                        "approved", "Carol")
    [doc] = plan["documents"]
    assert (doc["filename"], doc["media_type"]) == ("方案.pdf", "application/pdf")
    got = await quinn.get(doc["url"])
    assert got.status_code == 200 and got.content == PDF
    survey_photos = await Photo.select(Photo.stage).where(
        (Photo.subject_type == "repair") & (Photo.subject_id == repair_id)).run()
    assert survey_photos == [{"stage": "survey"}]

    choices = (await carol.get(f"/api/v1/repairs/{repair_id}/dispatch-choices")).json()
    assert [c["id"] for c in choices["items"]][0] == party.id  # repair units first
    r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={
        "party_id": party.id, "visit_at": "2030-05-01T09:30", "visit_note": "业主上午在家"})
    assert r.status_code == 201, r.text
    a = r.json()["assignment"]
    assert (a["party_name"], a["visit_at"][:16], a["visit_note"]) == ("修缮公司", "2030-05-01T09:30", "业主上午在家")
    assert r.json()["status"] == "assigned"
    # the unit is told: its inbox and its webhook, with the job link
    inbox = await InboxMessage.select().where(InboxMessage.party == party.id).run()
    assert len(inbox) == 1 and inbox[0]["link"].startswith("/rj/") and "新的维修任务" in inbox[0]["title"]
    items = await ChannelItem.select(ChannelItem.link).run()
    assert len(items) == 1 and items[0]["link"].endswith(inbox[0]["link"])

    r = await rita.post(f"/api/v1/repairs/{repair_id}/start")
    assert r.status_code == 200 and r.json()["status"] == "in_repair"
    r = await carol.post(f"/api/v1/repairs/{repair_id}/visit-time", json={"visit_at": "2030-05-02 14:00"})
    assert r.status_code == 200 and r.json()["assignment"]["visit_at"][:16] == "2030-05-02T14:00"
    client_id = new_id()
    for fields, files in (({"aspect": "materials", "result": "ok", "client_id": client_id}, photo_files(1)),
                          ({"aspect": "safety", "result": "not_ok", "note": "未设警示围挡"}, None)):
        r = await carol.post(f"/api/v1/repairs/{repair_id}/checks", files=multipart(fields, files))
        assert r.status_code == 201, r.text
    again = await carol.post(f"/api/v1/repairs/{repair_id}/checks", files=multipart(
        {"aspect": "materials", "result": "ok", "client_id": client_id}))
    assert again.status_code == 200  # a repeat client_id stores nothing
    checks = again.json()["checks"]
    assert [(c["aspect"], c["result"], c["note"]) for c in checks] == [
        ("materials", "ok", ""), ("safety", "not_ok", "未设警示围挡")]
    assert [p["subject_type"] for p in checks[0]["photos"]] == ["repair_check"]
    assert await RepairCheck.count().run() == 2
    assert await _actions(repair_id) == [
        "report", "triage", "survey", "survey_record", "plan", "plan_issue", "plan_approved", "assign", "dispatch",
        "start", "visit_time", "check", "check"]


async def test_a_plan_sent_back_needs_a_reason_and_a_new_plan(personas):
    _h, repair_id = await planned(personas, approve=False)
    carol, quinn = await personas.api("carol"), await personas.api("quinn")
    party, _ = await repair_unit(personas)
    r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={"party_id": party.id}, headers=ZH)
    assert r.status_code == 409 and r.json()["detail"] == "请先批准维修方案，再选择维修单位。"
    r = await carol.post(f"/api/v1/repairs/{repair_id}/plan-decision", json={"decision": "return"}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"]["reason"] == "请说明退回维修方案的原因。"
    r = await carol.post(f"/api/v1/repairs/{repair_id}/plan-decision",
                         json={"decision": "return", "reason": "需补充闭水试验方案"})
    assert r.status_code == 200 and r.json()["status"] == "surveying"
    assert r.json()["plans"][0]["decision"] == "returned"
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/plans", files=multipart({"text": "第二版方案"}))
    assert r.status_code == 201 and [p["decision"] for p in r.json()["plans"]] == ["returned", None]
    assert await _status(repair_id) == "planned"


async def test_bad_input_is_400_in_chinese_and_stores_nothing(personas):
    _h, repair_id = await triaged(personas)
    carol, quinn = await personas.api("carol"), await personas.api("quinn")
    await carol.post(f"/api/v1/repairs/{repair_id}/send-to-survey")
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/surveys", headers=ZH, files=multipart({"findings": " "}))
    assert r.status_code == 400 and r.json()["errors"]["findings"] == "请描述现场勘查发现的情况。"
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/plans", headers=ZH, files=multipart({"text": "方案"}))
    assert r.status_code == 409 and r.json()["detail"] == "请先记录现场勘查，再出具维修方案。"
    await quinn.post(f"/api/v1/repairs/{repair_id}/surveys", files=multipart({"findings": "渗水"}))
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/plans", headers=ZH, files=multipart({"text": ""}))
    assert r.status_code == 400 and r.json()["errors"]["text"] == "请填写维修方案。"
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/plans", headers=ZH, files=multipart(
        {"text": "方案"}, [("documents", ("a.txt", b"just text", "text/plain"))]))
    assert r.status_code == 400 and r.json()["errors"]["documents"].startswith("不接受这种文件"), r.text
    assert await RepairPlan.count().run() == 0 and await RepairPlanDocument.count().run() == 0
    assert await _status(repair_id) == "surveying"

    # a triaged request that needs no survey goes straight to dispatch
    repair_id = await _another(personas)
    for body, field, message in (({"party_id": 999999}, "party_id", "请选择维修单位。"),
                                 ({"party_id": personas.parties["builder_a"].id, "visit_at": "明天上午"}, "visit_at",
                                  "请输入时间，例如 2025-03-01 09:30。")):
        r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json=body, headers=ZH)
        assert r.status_code == 400 and r.json()["errors"][field] == message, r.text
    assert await RepairAssignment.count().run() == 0 and await _status(repair_id) == "triaged"


async def _another(personas) -> int:
    from tests.repairs.support import report

    olga, carol = await personas.api("olga"), await personas.api("carol")
    unit = (await RepairRequest.objects().first().run()).unit
    repair_id = (await report(olga, unit)).json()["id"]
    await carol.post(f"/api/v1/repairs/{repair_id}/triage", json={
        "component": "decoration", "urgency": "normal", "survey_needed": False})
    return repair_id


async def test_checks_need_aspect_result_and_a_note_when_not_ok(personas):
    party, _ = await repair_unit(personas)
    _h, repair_id = await assigned(personas, party.id)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/repairs/{repair_id}/checks", headers=ZH, files=multipart(
        {"aspect": "quality", "result": "ok"}))
    assert r.status_code == 409 and r.json()["detail"] == "维修进行中才能记录检查。"  # not started yet
    await carol.post(f"/api/v1/repairs/{repair_id}/start")
    r = await carol.post(f"/api/v1/repairs/{repair_id}/checks", headers=ZH, files=multipart(
        {"aspect": "colour", "result": "not_ok"}))
    assert r.status_code == 400
    assert r.json()["errors"] == {"aspect": "请选择检查项目。", "note": "请说明存在的问题。"}
    r = await carol.post(f"/api/v1/repairs/{repair_id}/checks", headers=ZH, files=multipart(
        {"aspect": "quality", "result": "ok"}, [("photos", ("x.jpg", b"not an image", "image/jpeg"))]))
    assert r.status_code in (400, 415)
    assert await RepairCheck.count().run() == 0


async def test_illegal_moves_are_409_and_change_nothing(personas):
    party, _ = await repair_unit(personas)
    _h, repair_id = await triaged(personas, survey_needed=False)
    carol, quinn, rita = await personas.api("carol"), await personas.api("quinn"), await personas.api("rita")
    before = await _actions(repair_id)
    attempts = [
        (quinn.post(f"/api/v1/repairs/{repair_id}/surveys", files=multipart({"findings": "x"})), 409),
        (quinn.post(f"/api/v1/repairs/{repair_id}/plans", files=multipart({"text": "x"})), 409),
        (carol.post(f"/api/v1/repairs/{repair_id}/plan-decision", json={"decision": "approve"}), 409),
        (carol.post(f"/api/v1/repairs/{repair_id}/start"), 409),
        (carol.post(f"/api/v1/repairs/{repair_id}/visit-time", json={"visit_at": "2030-01-01T10:00"}), 409),
    ]
    for call, code in attempts:
        r = await call
        assert r.status_code == code, r.text
    assert await _actions(repair_id) == before and await _status(repair_id) == "triaged"
    await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={"party_id": party.id})
    r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={"party_id": party.id})
    assert r.status_code == 409
    r = await carol.post(f"/api/v1/repairs/{repair_id}/send-to-survey")
    assert r.status_code == 409
    assert (await rita.post(f"/api/v1/repairs/{repair_id}/start")).status_code == 200
    assert (await rita.post(f"/api/v1/repairs/{repair_id}/start")).status_code == 409
    assert await RepairAssignment.count().run() == 1 and await RepairSurvey.count().run() == 0
