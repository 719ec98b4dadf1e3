"""The procedure engine through its API: templates, starting, documents, completion, approval, audit, access."""
from __future__ import annotations

import datetime as dt

import pytest

from server import clock
from server.audit.tables import AuditEntry
from server.procedures import services
from server.procedures.tables import (
    Procedure, ProcedureStep, StepApproval, StepCompletion, StepDocument, TemplateStep,
)
from tests.procedures.support import PDF, department_user, project, started, upload, xlsx_bytes


@pytest.fixture(autouse=True)
async def templates():
    await services.templates_ensure()


def step(procedure: dict, position: int) -> dict:
    return next(s for s in procedure["steps"] if s["position"] == position)


async def test_both_regulation_templates_are_seeded_with_10_and_12_steps(personas):
    carol = await personas.api("carol")
    r = await carol.get("/api/v1/procedure-templates")
    assert r.status_code == 200
    templates = {t["code"]: t for t in r.json()["items"]}
    assert [s["position"] for s in templates["delivery_preparation"]["steps"]] == list(range(1, 11))
    assert len(templates["pm_tender"]["steps"]) == 12
    first = templates["delivery_preparation"]["steps"][0]
    assert first["title"].startswith("由项目部制作《商品住宅使用说明书》") and first["responsible_role"] == "project_staff"
    assert templates["pm_tender"]["steps"][4]["responsible_role"] == "pr"  # 品牌公关部 publishes the tender notice
    await services.templates_ensure()  # idempotent
    assert await TemplateStep.count().run() == 22


async def test_starting_copies_the_steps_in_order_with_due_dates_from_the_start_date(personas):
    start = dt.date(2026, 12, 1)
    procedure = await started(personas, start_date=start, subject_id=7)
    assert procedure["url"] == f"/procedures/{procedure['id']}" and procedure["status"] == "in_progress"
    assert [s["position"] for s in procedure["steps"]] == list(range(1, 11))
    assert all(s["status"] == "open" for s in procedure["steps"])
    assert step(procedure, 1)["due_date"] == "2026-12-21"       # + 20 days
    assert step(procedure, 10)["due_date"] == "2027-01-30"      # + 60 days
    assert step(procedure, 2)["needs_approval"] and step(procedure, 2)["approver_role"] == "cs_staff"
    # A later edit of the template does not change the running procedure.
    await TemplateStep.update({TemplateStep.title: "改过的标题"}).where(TemplateStep.position == 1).run()
    carol = await personas.api("carol")
    again = (await carol.get(f"/api/v1/procedures/{procedure['id']}")).json()
    assert step(again, 1)["title"].startswith("由项目部制作")
    # One per subject and template: a second start is a 409 that creates nothing.
    r = await carol.post("/api/v1/procedures", json={"template_code": "delivery_preparation",
                                                      "subject_kind": "delivery_batch", "subject_id": 7,
                                                      "project_id": procedure["project_id"]})
    assert r.status_code == 409 and await Procedure.count().run() == 1
    audit = await AuditEntry.objects().where(AuditEntry.object_type == "procedure").first().run()
    assert audit.action == "start" and audit.actor_id == personas.user("carol").id


async def test_the_service_functions_other_modules_call(personas):
    p = await project()
    carol = personas.user("carol")
    procedure = await services.start_procedure("pm_tender", "project", p.id, p.id, dt.date(2027, 1, 1), carol)
    assert (await services.procedure_for("project", p.id)).id == procedure.id
    assert (await services.procedure_for("project", p.id, "pm_tender")).id == procedure.id
    assert await services.procedure_for("project", p.id, "delivery_preparation") is None
    assert await services.procedure_for("delivery_batch", p.id) is None
    assert await ProcedureStep.count().where(ProcedureStep.procedure == procedure.id).run() == 12
    with pytest.raises(services.Invalid):
        await services.start_procedure("no_such_template", "project", p.id, p.id, None, carol)


async def test_completing_without_the_required_documents_is_refused_and_changes_nothing(personas):
    procedure = await started(personas)
    paul = await personas.api("paul")
    first = step(procedure, 1)
    r = await paul.post(f"/api/v1/procedure-steps/{first['id']}/complete", json={"note": ""})
    assert r.status_code == 400
    assert "《商品住宅使用说明书》" in r.json()["detail"] and "请先上传" in r.json()["detail"]
    english = await paul.post(f"/api/v1/procedure-steps/{first['id']}/complete", json={},
                              headers={"Accept-Language": "en"})
    assert english.status_code == 400 and english.json()["detail"].startswith("Upload the required documents first")
    assert (await ProcedureStep.objects().get(ProcedureStep.id == first["id"]).run()).status == "open"
    assert await StepCompletion.count().run() == 0
    assert not await AuditEntry.exists().where(AuditEntry.action == "complete").run()


async def test_upload_the_document_then_complete_and_everything_is_audited(personas):
    procedure = await started(personas)
    paul = await personas.api("paul")
    first = step(procedure, 1)
    r = await upload(paul, first["id"])  # the step needs one document: its name may be left out
    assert r.status_code == 201, r.text
    document = r.json()
    assert document["name"] == "《商品住宅使用说明书》" and document["media_type"] == "application/pdf"
    assert document["filename"] == "文件.pdf" and document["byte_size"] == len(PDF)
    r = await paul.post(f"/api/v1/procedure-steps/{first['id']}/complete", json={"note": "第 1 版"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done" and r.json()["completions"][0]["completed_by_name"] == "Paul"
    assert r.json()["missing_documents"] == []
    trail = await AuditEntry.objects().where(
        (AuditEntry.object_type == "procedure_step") & (AuditEntry.object_id == str(first["id"]))
    ).order_by(AuditEntry.id).run()
    assert [(a.action, a.from_state, a.to_state) for a in trail] == [
        ("add_document", "open", "open"), ("complete", "open", "done")]
    assert all(a.actor_id == personas.user("paul").id and a.at is not None for a in trail)
    # Done: no more documents and no second completion.
    assert (await upload(paul, first["id"])).status_code == 409
    assert (await paul.post(f"/api/v1/procedure-steps/{first['id']}/complete", json={})).status_code == 409


async def test_only_the_responsible_department_or_the_cs_center_completes_a_step(personas):
    procedure = await started(personas)
    sales = await department_user(personas, "sally", "sales")
    ian = await personas.api("ian")  # an inspector: sees procedures, is not responsible for any step
    third = step(procedure, 3)  # 项目部 hands the completion documents over
    assert (await upload(sales, third["id"])).status_code == 403
    assert (await upload(ian, third["id"])).status_code == 403
    carol = await personas.api("carol")
    assert (await upload(carol, third["id"], xlsx_bytes(), filename="清单.xlsx")).status_code == 201
    assert (await sales.post(f"/api/v1/procedure-steps/{third['id']}/complete", json={})).status_code == 403
    r = await carol.post(f"/api/v1/procedure-steps/{third['id']}/complete", json={})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert r.json()["documents"][0]["media_type"].endswith("spreadsheetml.sheet")


async def test_approval_wrong_role_refused_reject_with_reason_then_redo_and_approve(personas):
    procedure = await started(personas)
    sales = await department_user(personas, "sally", "sales")
    second = step(procedure, 2)  # 销售公司: confirmed area + delivery comparison table, approved by the CS center
    sid = second["id"]
    assert (await upload(sales, sid, name="确权面积确认文件")).status_code == 201
    missing = await sales.post(f"/api/v1/procedure-steps/{sid}/complete", json={})
    assert missing.status_code == 400 and "交付对照表" in missing.json()["detail"]
    assert (await upload(sales, sid, xlsx_bytes(), name="交付对照表", filename="对照表.xlsx")).status_code == 201
    r = await sales.post(f"/api/v1/procedure-steps/{sid}/complete", json={})
    assert r.status_code == 200 and r.json()["status"] == "awaiting_approval"
    paul = await personas.api("paul")
    assert (await paul.post(f"/api/v1/procedure-steps/{sid}/approve", json={})).status_code == 403
    assert (await sales.post(f"/api/v1/procedure-steps/{sid}/approve", json={})).status_code == 403
    carol = await personas.api("carol")
    no_reason = await carol.post(f"/api/v1/procedure-steps/{sid}/reject", json={"reason": " "})
    assert no_reason.status_code == 400
    r = await carol.post(f"/api/v1/procedure-steps/{sid}/reject", json={"reason": "面积与交易中心数据不符"})
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert r.json()["approvals"][-1]["decision"] == "rejected"
    assert (await carol.post(f"/api/v1/procedure-steps/{sid}/approve", json={})).status_code == 409
    # Redo: a corrected table, completed again, approved.
    assert (await upload(sales, sid, xlsx_bytes(), name="交付对照表", filename="对照表v2.xlsx")).status_code == 201
    assert (await sales.post(f"/api/v1/procedure-steps/{sid}/complete", json={"note": "已更正"})).status_code == 200
    r = await carol.post(f"/api/v1/procedure-steps/{sid}/approve", json={})
    assert r.status_code == 200 and r.json()["status"] == "done"
    body = r.json()
    assert [c["note"] for c in body["completions"]] == ["", "已更正"]          # history, never edited
    assert [a["decision"] for a in body["approvals"]] == ["rejected", "approved"]
    assert len(body["documents"]) == 3
    assert await StepApproval.count().run() == 2 and await StepCompletion.count().run() == 2
    actions = [a.action for a in await AuditEntry.objects().where(
        (AuditEntry.object_type == "procedure_step") & (AuditEntry.object_id == str(sid))).order_by(AuditEntry.id).run()]
    assert actions == ["add_document", "add_document", "complete", "reject", "add_document", "complete", "approve"]


async def test_the_one_who_completed_a_step_cannot_approve_it(personas):
    procedure = await started(personas)
    carol = await personas.api("carol")
    seventh = step(procedure, 7)  # 客服中心制作交房公告, approved by an administrator
    assert (await upload(carol, seventh["id"])).status_code == 201
    assert (await carol.post(f"/api/v1/procedure-steps/{seventh['id']}/complete", json={})).status_code == 200
    alice = await personas.api("alice")
    r = await alice.post(f"/api/v1/procedure-steps/{seventh['id']}/approve", json={"note": "同意发布"})
    assert r.status_code == 200 and r.json()["approvals"][0]["reason"] == "同意发布"


async def test_due_date_change_and_reopen_are_audited_and_overdue_shows(personas):
    procedure = await started(personas, start_date=clock.today() - dt.timedelta(days=100))
    carol = await personas.api("carol")
    assert all(s["overdue"] for s in procedure["steps"])
    first = step(procedure, 1)
    paul = await personas.api("paul")
    assert (await paul.post(f"/api/v1/procedure-steps/{first['id']}/due-date",
                            json={"due_date": "2030-01-01"})).status_code == 403
    r = await carol.post(f"/api/v1/procedure-steps/{first['id']}/due-date", json={"due_date": "2030-01-01"})
    assert r.status_code == 200 and r.json()["due_date"] == "2030-01-01" and not r.json()["overdue"]
    entry = await AuditEntry.objects().where(AuditEntry.action == "change_due_date").first().run()
    assert entry.from_state == first["due_date"] and entry.to_state == "2030-01-01"
    listed = (await carol.get(f"/api/v1/procedures?project_id={procedure['project_id']}")).json()
    assert listed["total"] == 1 and listed["items"][0]["steps_overdue"] == 9
    # A done step reopened (a correction): its earlier completion stays.
    sixth = step(procedure, 6)  # no documents needed
    assert (await carol.post(f"/api/v1/procedure-steps/{sixth['id']}/complete", json={})).status_code == 200
    r = await carol.post(f"/api/v1/procedure-steps/{sixth['id']}/reopen", json={"reason": "误点"})
    assert r.status_code == 200 and r.json()["status"] == "open" and len(r.json()["completions"]) == 1


async def test_completing_every_step_completes_the_procedure(personas):
    p = await project()
    carol, alice = personas.user("carol"), personas.user("alice")
    procedure = await services.start_procedure("delivery_preparation", "delivery_batch", 3, p.id, None, carol)
    steps = await ProcedureStep.objects().where(ProcedureStep.procedure == procedure.id).run()
    for s in steps:
        for name in services.as_list(s.documents):
            await StepDocument(step=s.id, name=name, filename="x.pdf", media_type="application/pdf", byte_size=1,
                               sha256="0" * 64, storage_key="documents/x.pdf").save().run()
        await services.step_complete(actor=carol, step_id=s.id)
        if s.needs_approval:
            await services.step_approve(actor=alice, step_id=s.id)
    done = await Procedure.objects().get(Procedure.id == procedure.id).run()
    assert done.status == "completed" and done.completed_at is not None
    assert await AuditEntry.exists().where((AuditEntry.object_type == "procedure")
                                           & (AuditEntry.action == "complete")).run()


@pytest.mark.parametrize("name", ["bob", "olga"])
async def test_contractors_and_owners_never_see_procedures(personas, name):
    procedure = await started(personas)
    paul = await personas.api("paul")
    document = (await upload(paul, step(procedure, 1)["id"])).json()
    outsider = await personas.api(name)
    for path in ("/api/v1/procedure-templates", "/api/v1/procedures", f"/api/v1/procedures/{procedure['id']}",
                 document["url"]):
        assert (await outsider.get(path)).status_code == 403, path
    assert (await outsider.post(f"/api/v1/procedure-steps/{step(procedure, 1)['id']}/complete",
                                json={})).status_code == 403


async def test_missing_procedures_steps_and_projects_are_404(personas):
    carol = await personas.api("carol")
    assert (await carol.get("/api/v1/procedures/999999")).status_code == 404
    assert (await carol.post("/api/v1/procedure-steps/999999/complete", json={})).status_code == 404
    assert (await carol.get("/api/v1/procedure-documents/999999/file")).status_code == 404
    r = await carol.post("/api/v1/procedures", json={"template_code": "pm_tender", "subject_kind": "project",
                                                      "subject_id": 1, "project_id": 999999})
    assert r.status_code == 404
    paul = await personas.api("paul")  # project department may see but not start procedures
    p = await project()
    r = await paul.post("/api/v1/procedures", json={"template_code": "pm_tender", "subject_kind": "project",
                                                     "subject_id": p.id, "project_id": p.id})
    assert r.status_code == 403


async def test_documents_refuse_empty_oversize_and_unknown_files_and_serve_back_only_to_staff(personas, monkeypatch):
    from server.procedures import documents

    procedure = await started(personas)
    paul = await personas.api("paul")
    first = step(procedure, 1)["id"]
    empty = await upload(paul, first, b"")
    assert empty.status_code == 400
    text = await upload(paul, first, b"just some text pretending", filename="fake.pdf")
    assert text.status_code == 415
    zipped = await upload(paul, first, b"PK\x03\x04" + b"\0" * 40, filename="broken.xlsx")
    assert zipped.status_code == 415
    monkeypatch.setattr(documents, "max_bytes", lambda: 1024)
    big = await upload(paul, first, PDF + b"0" * 4096)
    assert big.status_code == 413 and "MB" in big.json()["detail"]
    monkeypatch.undo()
    assert await StepDocument.count().run() == 0
    stored = (await upload(paul, first)).json()
    carol = await personas.api("carol")
    r = await carol.get(stored["url"])
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"].startswith("application/pdf")
    assert r.headers["x-content-type-options"] == "nosniff" and "filename*=UTF-8''" in r.headers["content-disposition"]
    bob = await personas.api("bob")
    assert (await bob.get(stored["url"])).status_code == 403


async def test_every_endpoint_is_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/v1/procedure-templates", "/api/v1/procedures", "/api/v1/procedures/{procedure_id}",
                 "/api/v1/procedure-steps/{step_id}/documents", "/api/v1/procedure-steps/{step_id}/complete",
                 "/api/v1/procedure-steps/{step_id}/approve", "/api/v1/procedure-steps/{step_id}/reject",
                 "/api/v1/procedure-steps/{step_id}/due-date", "/api/v1/procedure-documents/{document_id}/file"):
        assert path in paths, path
    started_op = paths["/api/v1/procedures"]["post"]
    assert "requestBody" in started_op and "201" in started_op["responses"]


async def test_a_named_party_narrows_who_of_the_role_may_work_on_the_step(personas):
    from server.accounts.tables import User
    from server.org.services import party_create

    procedure = await started(personas, template_code="pm_tender", subject_kind="project")
    winner = await party_create(actor=None, name="万家物业", kind="property_company")
    loser = await party_create(actor=None, name="别家物业", kind="property_company")
    wanjia = await department_user(personas, "wanjia", "property")
    other = await department_user(personas, "bieja", "property")
    await User.update({User.party: winner.id}).where(User.username == "wanjia").run()
    await User.update({User.party: loser.id}).where(User.username == "bieja").run()
    eleventh = step(procedure, 11)["id"]  # 物业公司 files its prices
    carol = await personas.api("carol")
    assert (await wanjia.post(f"/api/v1/procedure-steps/{eleventh}/responsible",
                              json={"party_id": winner.id})).status_code == 403
    r = await carol.post(f"/api/v1/procedure-steps/{eleventh}/responsible", json={"party_id": winner.id})
    assert r.status_code == 200 and r.json()["responsible_party_name"] == "万家物业"
    assert (await upload(other, eleventh)).status_code == 403
    assert (await upload(wanjia, eleventh)).status_code == 201
    # Allowed to work on it (not a 403), but not before steps 1-10 and the tender's records (409).
    assert (await other.post(f"/api/v1/procedure-steps/{eleventh}/complete", json={})).status_code == 403
    assert (await wanjia.post(f"/api/v1/procedure-steps/{eleventh}/complete", json={})).status_code == 409
    entry = await AuditEntry.objects().where(AuditEntry.action == "change_responsible").first().run()
    assert entry.from_state is None and entry.to_state == str(winner.id)
