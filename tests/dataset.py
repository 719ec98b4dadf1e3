"""A small, demo-like dataset with one of everything, made through the API as
people would: a project with units and a unit type, an inspection plan, an
inspection with defects and photos (processed by the real worker), their
rectification notices (dispatched, so they reach the inbox), a rectified
defect and a supervisor's check, key handovers with a meter photo and
signatures, a delivery batch with its preparation procedure and a document,
owners with codes, a booking, the walkthrough, a signed confirmation, the
keys to the owner, a published announcement, a checklist template.

`build(personas)` answers the ids, and adds sales, property and the owner to
`personas` so there is a signed-in client for every role.
"""
from __future__ import annotations

from typing import Any

from tests.delivery.support import PHONES, owner_api, ready_batch, signature, slot_day
from tests.handover.test_key_handover import body as handover_body
from tests.inspections.support import complete, defect_form, new_id, photo_files
from tests.procedures.support import PDF, department_user
from tests.support import csrf, make_client

OWNER = PHONES[0]
PDF_DIGEST = "f" * 64
"""The content hash of the kept PDF of each document in the dataset."""


def _ok(response: Any, status: int = 200) -> dict:
    assert response.status_code == status, (response.request.url, response.status_code, response.text[:300])
    return response.json()


async def _inspection_with_defects(personas: Any, unit_id: int) -> dict:
    """An inspection of `unit_id` with two defects for Builder A and photos; completed, so a notice is made."""
    carol, ian = await personas.api("carol"), await personas.api("ian")
    inspection = _ok(await carol.post("/api/v1/inspections", json={
        "unit_id": unit_id, "inspector_id": personas.user("ian").id}), 201)
    base = f"/api/v1/inspections/{inspection['id']}"
    _ok(await ian.post(f"{base}/start"))
    party = personas.parties["builder_a"].id
    open_defect = _ok(await ian.post(f"{base}/defects", data=defect_form(party, description="墙面空鼓"),
                                     files=photo_files(2)), 201)
    fixed = _ok(await ian.post(f"{base}/defects", data=defect_form(party, description="地漏堵塞"),
                               files=photo_files(1)), 201)
    _ok(await complete(ian, inspection["id"]))
    return {"inspection": inspection["id"], "defect": open_defect["id"], "fixed_defect": fixed["id"],
            "photo": open_defect["photos"][0]["id"]}


async def _delivery_day(personas: Any, batch_id: int, unit_id: int) -> dict:
    """The owner books, is checked in and walked through, signs; the keys go to them."""
    owner = await owner_api(personas, OWNER)
    carol = await personas.api("carol")
    slot = _ok(await owner.get(f"/api/v1/delivery-batches/{batch_id}/slots"))["items"][0]
    appointment = _ok(await owner.post(f"/api/v1/units/{unit_id}/appointment", json={"slot_id": slot["id"]}), 201)
    _ok(await carol.post(f"/api/v1/appointments/{appointment['id']}/check-in"))
    walk = _ok(await carol.post(f"/api/v1/appointments/{appointment['id']}/walkthrough"))
    _ok(await carol.post(f"/api/v1/inspections/{walk['walkthrough_inspection_id']}/defects",
                         data=defect_form(personas.parties["builder_a"].id, description="卧室门把手松动"),
                         files=photo_files(1)), 201)
    confirmation = _ok(await carol.post(f"/api/v1/appointments/{appointment['id']}/confirmation", json={
        "owner_name": "业主1", "manual_handed_over": True, "guarantee_handed_over": True, "signature": signature(),
        "client_id": new_id()}), 201)
    keys = _ok(await carol.post(f"/api/v1/units/{unit_id}/key-handovers", json=handover_body(
        None, to="owner", giver_name="王客服", receiver_name="业主1")), 201)
    return {"appointment": appointment["id"], "confirmation": confirmation["id"], "owner_handover": keys["id"],
            "walkthrough": walk["walkthrough_inspection_id"]}


async def _owner_signs_in(personas: Any, batch_id: int) -> Any:
    """A code for this owner only (the others have none yet); they sign in with it in a browser."""
    from server.delivery import owner_codes

    notice = next(n for n in await owner_codes.notices_for_batch(batch_id) if n["mobile"] == OWNER)
    code = await owner_codes.issue(actor=personas.user("carol"), user_id=notice["user"], unit_id=notice["unit"])
    browser = make_client(personas.app)
    await browser.__aenter__()
    personas._clients.append(browser)
    await csrf(browser)
    r = await browser.post("/owner/sign-in", data={"mobile": OWNER, "code": code}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return browser


async def build(personas: Any) -> dict[str, Any]:
    from server.inspections.notices import notice_link_token
    from server.inspections.tables import RectificationNotice
    from server.inspections.template_admin import template_create
    from server.org.services import unit_type_create
    from server.org.tables import Unit
    from server.procedures.tables import ProcedureStep
    from tests.photos.images import plain_jpeg
    from tests.photos.support import post_floor_plan, run_worker
    from workers.settings import WorkerSettings

    for name, role in (("sally", "sales"), ("percy", "property")):
        await department_user(personas, name, role)
    setup = await ready_batch(personas)
    batch_id, units = setup["batch"]["id"], setup["units"]
    carol, bob, sam = [await personas.api(n) for n in ("carol", "bob", "sam")]

    # A unit type with a floor plan for every unit, so a defect has its pin on a plan.
    unit_type = await unit_type_create(actor=None, project_id=setup["project_id"], name="A户型")
    _ok(await post_floor_plan(await personas.api("alice"), unit_type.id, plain_jpeg(size=(800, 600))), 201)
    await Unit.update({Unit.unit_type: unit_type.id}).where(Unit.id.is_in(units)).run()
    found = await _inspection_with_defects(personas, units[2])
    _ok(await bob.post(f"/api/v1/defects/{found['fixed_defect']}/rectify", data={"note": "已疏通"},
                       files=photo_files(1)))
    await run_worker(WorkerSettings)  # photos become ready; the notice is delivered to the inbox
    notice = await RectificationNotice.objects().order_by(RectificationNotice.id).first().run()

    handover = (await _ok_list(carol, f"/api/v1/units/{units[0]}/key-handovers"))[0]
    meter = _ok(await carol.post(f"/api/v1/units/{units[0]}/photos", data={"stage": "meter_water"},
                                 files=photo_files(1)), 201)
    day = await _delivery_day(personas, batch_id, units[0])
    owner_browser = await _owner_signs_in(personas, batch_id)
    repair = _ok(await carol.post(f"/api/v1/units/{units[0]}/repairs", files=[
        ("client_id", (None, new_id())), ("component", (None, "waterproofing")), ("location", (None, "卫生间")),
        ("description", (None, "卫生间顶棚渗水")), *photo_files(1)]), 201)
    signoff = await _signed_off_repair(personas, carol, units[0])
    job = await _repair_job(personas, units[1])
    await run_worker(WorkerSettings)

    plan = _ok(await carol.post("/api/v1/inspection-plans", json={
        "project_id": setup["project_id"], "name": "一期分户验收", "starts_on": slot_day(1).isoformat(),
        "ends_on": slot_day(9).isoformat()}), 201)
    _ok(await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
        "unit_ids": [units[3]], "scheduled_for": slot_day(2).isoformat(), "inspector_id": personas.user("ian").id}),
        201)

    petra = await personas.api("petra")
    draft = _ok(await carol.post(f"/api/v1/delivery-batches/{batch_id}/announcements"), 201)
    _ok(await carol.post(f"/api/v1/announcements/{draft['id']}/approve"))
    _ok(await petra.post(f"/api/v1/announcements/{draft['id']}/publish"))
    from server.delivery.tables import Announcement

    token = (await Announcement.objects().get(Announcement.id == draft["id"]).run()).public_token

    procedure = _ok(await carol.get(f"/api/v1/procedures?subject_kind=delivery_batch&subject_id={batch_id}"))
    procedure_id = procedure["items"][0]["id"]
    first_step = await ProcedureStep.objects().where(ProcedureStep.procedure == procedure_id).order_by(
        ProcedureStep.position).first().run()
    document = _ok(await carol.post(f"/api/v1/procedure-steps/{first_step.id}/documents", data={"name": "交付方案"},
                                    files={"file": ("交付方案.pdf", PDF, "application/pdf")}), 201)

    # Regulation 3's tender, with its notice published (its public page opens without signing in).
    tender = _ok(await carol.post("/api/v1/procedures", json={
        "template_code": "pm_tender", "subject_kind": "project", "subject_id": setup["project_id"],
        "project_id": setup["project_id"]}), 201)
    _ok(await petra.post(f"/api/v1/procedures/{tender['id']}/tender/notice", json={
        "title": "前期物业招标公告", "body": "欢迎投标。", "opens_on": "2027-01-10", "closes_on": "2027-01-31"}))
    tender_token = _ok(await petra.post(f"/api/v1/procedures/{tender['id']}/tender/notice/publish"))[
        "public_url"].rsplit("/", 1)[-1]

    # A checklist of a unit type no unit has yet, so its forms may still be edited.
    unused_type = await unit_type_create(actor=None, project_id=setup["project_id"], name="B户型")
    template = await template_create(actor=personas.user("alice"), name="B户型清单", unit_type_id=unused_type.id)
    from server.inspections.tables import ChecklistItem, ChecklistRoom

    room = await ChecklistRoom.objects().where(ChecklistRoom.template == template.id).first().run()
    item = await ChecklistItem.objects().where(ChecklistItem.room == room.id).first().run()
    _ok(await sam.get(f"/api/v1/defects/{found['fixed_defect']}"))
    knowledge = _ok(await carol.post("/api/v1/knowledge", json={
        "question": "卫生间漏水怎么办", "answer": "先关闭总阀，再联系客服报修。", "category": "报修"}), 201)
    # asked by the owner's phone: linked to their account, so /owner/inquiries/{id} opens too
    inquiry = _ok(await carol.post("/api/v1/inquiries", json={
        "asker_name": "王先生", "asker_phone": OWNER, "channel": "phone", "question": "卫生间漏水怎么办",
        "unit_id": units[0]}), 201)
    from server.clock import today
    from server.inquiries.summary import month_of, summary_make
    from server.org.services import party_create

    department = await party_create(actor=None, name="销售公司", kind="department")
    asked = _ok(await carol.post("/api/v1/inquiries", json={
        "asker_name": "李女士", "asker_phone": "13900000002", "channel": "phone", "question": "车位什么时候卖",
        "project_id": setup["project_id"]}), 201)
    sheet = _ok(await carol.post(f"/api/v1/inquiries/{asked['id']}/escalate", json={
        "departments": [{"party_id": department.id, "reply_by": today().isoformat()}]}), 201)["sheets"][0]

    summary = await summary_make(setup["project_id"], month_of(today()))
    # A kept PDF of each document (server/reports/), so its download route has a file to answer.
    from server.photos.storage import get_storage
    from server.reports.pdf import pdf_key

    for kind, object_id in (("inspection-report", found["inspection"]), ("rectification-notice", notice.id),
                            ("key-handover-receipt", handover["id"]), ("delivery-confirmation", day["confirmation"]),
                            ("settlement-statement", units[0]), ("inquiry-summary", summary.id),
                            ("repair-completion", signoff["repair_id"])):
        await get_storage().put_bytes(pdf_key(kind, object_id, PDF_DIGEST), b"%PDF-1.7\n%%EOF\n")
    return {
        "project_id": setup["project_id"], "building_id": await _building_of(units[0]), "unit_id": units[0],
        "user_id": personas.user("carol").id, "party_id": personas.parties["builder_a"].id,
        "photo_id": found["photo"], "inspection_id": found["inspection"], "defect_id": found["defect"],
        "fixed_defect_id": found["fixed_defect"], "plan_id": plan["id"], "handover_id": handover["id"],
        "meter_photo_id": meter["photos"][0]["id"], "batch_id": batch_id, "announcement_id": draft["id"],
        "announcement_token": token, "appointment_id": day["appointment"],
        "confirmation_id": day["confirmation"], "template_id": template.id, "room_id": room.id, "item_id": item.id,
        "procedure_id": procedure_id, "document_id": document["id"], "notice_id": notice.id, "repair_id": repair["id"],
        "entry_id": knowledge["id"], "tender_id": tender["id"], "tender_token": tender_token, "inquiry_id": inquiry["id"],
        **job,
        "summary_id": summary.id, "sheet_id": sheet["id"],
        "notice_token": notice_link_token(notice.id, notice.party), "owner_browser": owner_browser,
        "signoff_id": signoff["id"], "signoff_token": signoff["token"], "signed_repair_id": signoff["repair_id"],
        "day": slot_day().isoformat(),
    }


async def _signed_off_repair(personas: Any, carol: Any, unit_id: int) -> dict:
    """A second repair of the home, done (after-photo) and signed by its owner on the repairer's phone."""
    from server.repairs.signoff import link_token
    from tests.repairs.closing_support import move, signature

    repair = _ok(await carol.post(f"/api/v1/units/{unit_id}/repairs", files=[
        ("client_id", (None, new_id())), ("component", (None, "pipes_electrical")),
        ("description", (None, "厨房插座没电"))]), 201)
    _ok(await carol.post(f"/api/v1/repairs/{repair['id']}/triage",
                         json={"component": "pipes_electrical", "urgency": "normal", "survey_needed": False}))
    await move(personas, repair["id"], "assign", "start")
    _ok(await carol.post(f"/api/v1/repairs/{repair['id']}/complete", files=[("note", (None, "更换插座")),
                                                                            *photo_files(1)]))
    record = _ok(await carol.post(f"/api/v1/repairs/{repair['id']}/sign-off",
                                  json={"signature": signature(), "signer_name": "王业主"}), 201)
    return {"id": record["id"], "token": link_token(repair["id"], record["completion_id"]), "repair_id": repair["id"]}


async def _repair_job(personas: Any, unit_id: int) -> dict:
    """A repair surveyed, planned with an attachment, dispatched to Builder A, started and checked."""
    from server.notifications.tables import InboxMessage

    carol, quinn, bob = await personas.api("carol"), await personas.api("quinn"), await personas.api("bob")
    repair = _ok(await carol.post(f"/api/v1/units/{unit_id}/repairs", files=[
        ("client_id", (None, new_id())), ("component", (None, "waterproofing")), ("description", (None, "阳台渗水"))]),
        201)
    base = f"/api/v1/repairs/{repair['id']}"
    _ok(await carol.post(f"{base}/triage", json={"component": "waterproofing", "urgency": "normal",
                                                 "survey_needed": True}))
    _ok(await carol.post(f"{base}/send-to-survey"))
    _ok(await quinn.post(f"{base}/surveys", files=[("findings", (None, "阳台防水破损")), *photo_files(1)]), 201)
    planned = _ok(await quinn.post(f"{base}/plans", files=[("text", (None, "重做阳台防水")),
                                                           ("documents", ("方案.pdf", PDF, "application/pdf"))]), 201)
    _ok(await carol.post(f"{base}/plan-decision", json={"decision": "approve"}))
    _ok(await carol.post(f"{base}/assign", json={"party_id": personas.parties["builder_a"].id}), 201)
    _ok(await bob.post(f"{base}/start"))
    checked = _ok(await carol.post(f"{base}/checks", files=[("aspect", (None, "materials")), ("result", (None, "ok")),
                                                            *photo_files(1)]), 201)
    link = (await InboxMessage.objects().where(InboxMessage.link.like("/rj/%")).first().run()).link
    return {"job_repair_id": repair["id"], "job_token": link.split("/")[2],
            "plan_document_id": planned["plans"][0]["documents"][0]["id"],
            "check_photo_id": checked["checks"][0]["photos"][0]["id"]}


async def _ok_list(client: Any, url: str) -> list:
    return _ok(await client.get(url))["items"]


async def _building_of(unit_id: int) -> int:
    from server.org.tables import Unit

    return (await Unit.objects().get(Unit.id == unit_id).run()).building
