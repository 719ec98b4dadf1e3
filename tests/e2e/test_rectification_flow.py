"""Regulation 4 end to end in real Chromium on a phone, page by page, as the people would do it:
inspect and record three defects for two construction units, notices reach the group robots,
contractor A sees only A's work, rectifies, the supervisor checks, the CS center rechecks
(two pass, one fails), A fixes again, the unit passes, the keys are signed over, and the
unit's history shows every step."""

from server import clock
from server.handover.tables import KeyHandover
from server.inspections.services import checklist_of
from server.inspections.tables import Defect, Inspection
from server.org.tables import Unit
from tests.e2e.conftest import assert_accessible, fill_key_handover, sign_in, whole_room_ok
from tests.inspections.support import WebhookReceiver
from tests.photos.images import plain_jpeg
from tests.photos.support import run_worker
from tests.support import PASSWORD


async def _setup(personas, receiver):
    """Data an administrator would have set up: a unit to inspect today, parties with robots."""
    from server.inspections.services import inspection_create
    from server.org.services import building_create, party_update, project_create, units_bulk_create

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=2)
    unit = await Unit.objects().where(Unit.building == building.id).order_by(Unit.id).first().run()
    for key in ("builder_a", "builder_b"):
        await party_update(actor=None, party_id=personas.parties[key].id, webhook_url=receiver.url(f"/robot/{key}"))
    inspection, _ = await inspection_create(actor=None, unit_id=unit.id, inspector_id=personas.user("ian").id,
                                            scheduled_for=clock.today())
    return unit, inspection


async def _record_defect(page, inspection_id, photo_path, party_name, phrase_index):
    await page.goto(f"/inspections/{inspection_id}/defects/new")
    await page.set_input_files("input[data-gallery]", photo_path)
    await page.locator("input[name=room]").first.check(force=True)
    await page.locator("input[name=category][value=wall]").check(force=True)
    await page.locator("input[name=severity][value=major]").check(force=True)
    await page.locator("button.phrase").nth(phrase_index).click()
    await page.keyboard.type("20")  # fills the phrase's blank ("墙面空鼓约 __ cm²"), selected by the tap
    await page.select_option("select[name=construction_unit_id]", label=party_name)
    async with page.expect_navigation():
        await page.click("button[data-save]")


async def _confirm(page):
    """Answer the app's own confirm dialog (it asks once, in words)."""
    await page.locator("#app-confirm [data-answer=yes]").click()


async def test_the_whole_cycle_through_the_pages(personas, phone, screens, tmp_path):
    from workers.settings import WorkerSettings

    photo = tmp_path / "defect.jpg"
    photo.write_bytes(plain_jpeg(size=(1600, 1200)))
    a, b = personas.parties["builder_a"], personas.parties["builder_b"]
    with WebhookReceiver() as receiver:
        unit, inspection = await _setup(personas, receiver)

        # ---- the inspector, on site
        ian = await sign_in(phone, "ian", PASSWORD)
        await ian.goto("/inspections")
        await screens.shot(ian, "inspector-today")
        await assert_accessible(ian, "inspector-today")
        async with ian.expect_navigation():
            await ian.click(f"a[href='/inspections/{inspection.id}']")
        async with ian.expect_navigation():
            await ian.click(f"form[action='/inspections/{inspection.id}/start'] button")
        for party, index in ((a, 0), (a, 1), (b, 2)):
            await _record_defect(ian, inspection.id, str(photo), party.name, index)
        await screens.shot(ian, "inspector-three-defects")
        await assert_accessible(ian, "inspector-three-defects")
        assert await Defect.count().where(Defect.inspection == inspection.id).run() == 3
        for room in await checklist_of(inspection):  # the rest of the unit was fine: 整间合格 room by room
            await whole_room_ok(ian, room)
        await ian.click(f"form[action='/inspections/{inspection.id}/finish'] button")
        async with ian.expect_navigation():
            await _confirm(ian)
        await screens.shot(ian, "inspector-finished")

        await run_worker(WorkerSettings)  # photos processed, notices delivered
        assert sorted(r["path"] for r in receiver.received) == ["/robot/builder_a", "/robot/builder_b"]

    defects = await Defect.select().where(Defect.inspection == inspection.id).order_by(Defect.id).run()
    a_ids = [d["id"] for d in defects if d["construction_unit"] == a.id]
    b_id = next(d["id"] for d in defects if d["construction_unit"] == b.id)

    # ---- contractor A: only A's tasks; B's defect is not there at all
    bob_context = await phone.browser.new_context(viewport=phone.pages[0].viewport_size, base_url=ian.url.split("/inspections")[0])
    bob = await sign_in(bob_context, "bob", PASSWORD)
    await bob.goto("/tasks")
    await screens.shot(bob, "contractor-tasks")
    await assert_accessible(bob, "contractor-tasks")
    listed = await bob.locator("a[href^='/tasks/defects/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert {int(h.rsplit("/", 1)[1]) for h in listed} == set(a_ids)
    assert (await bob.goto(f"/tasks/defects/{b_id}")).status == 404

    async def rectify(defect_id, note):
        await bob.goto(f"/tasks/defects/{defect_id}")
        await bob.set_input_files("#f-photos", str(photo))
        await bob.fill("#rectify-form textarea[name=note]", note)
        await bob.click("#rectify-form button[type=submit]")
        await bob.wait_for_selector("text=" + "等待客服中心复验", timeout=15000)

    for defect_id in a_ids:
        await rectify(defect_id, "已铲除空鼓重新抹灰")
    await screens.shot(bob, "contractor-rectified")

    # contractor B rectifies its own through the API (not the subject of this test)
    bert_api = await personas.api("bert")
    from tests.inspections.support import photo_files
    assert (await bert_api.post(f"/api/v1/defects/{b_id}/rectify", data={"note": "ok"},
                                files=photo_files(1))).status_code == 200

    # ---- the supervisor checks one on site
    sam_context = await phone.browser.new_context(viewport=phone.pages[0].viewport_size, base_url=bob.url.split("/tasks")[0])
    sam = await sign_in(sam_context, "sam", PASSWORD)
    await sam.goto(f"/checks/defects/{a_ids[0]}")
    await sam.fill("#check-form textarea[name=note]", "现场复核平整")
    async with sam.expect_navigation():
        await sam.click("#check-form button[value=ok]")
    await screens.shot(sam, "supervisor-checked")

    # ---- the CS center rechecks: two pass, one fails with a reason
    carol_context = await phone.browser.new_context(viewport=phone.pages[0].viewport_size, base_url=sam.url.split("/checks")[0])
    carol = await sign_in(carol_context, "carol", PASSWORD)
    await carol.goto("/rechecks")
    await screens.shot(carol, "cs-rechecks")
    await assert_accessible(carol, "cs-rechecks")

    async def recheck(defect_id, verdict, reason=""):
        await carol.goto("/rechecks")
        card = carol.locator(f"#recheck-{defect_id}")
        if reason:
            await card.locator("textarea[name=note]").fill(reason)
        await card.locator(f"button[value={verdict}]").click()
        await carol.wait_for_selector(f"#recheck-{defect_id}", state="detached", timeout=15000)

    await recheck(a_ids[0], "pass")
    await recheck(b_id, "pass")
    await recheck(a_ids[1], "fail", "阴角仍有裂缝")
    assert (await Defect.objects().get(Defect.id == a_ids[1]).run()).reopen_count == 1

    await rectify(a_ids[1], "裂缝重新处理")
    await recheck(a_ids[1], "pass")
    assert (await Inspection.objects().get(Inspection.id == inspection.id).run()).status == "passed"
    assert (await Unit.objects().get(Unit.id == unit.id).run()).status == "passed"

    # ---- keys from construction unit A to the CS center, signed on the screen
    await carol.goto(f"/handover/units/{unit.id}")
    await carol.locator("input[name=to][value=cs_center]").check(force=True)
    await carol.select_option("#f-from_party_id", label=a.name)
    await carol.locator("[data-stepper] [data-step='1']").first.click()  # two keys
    await fill_key_handover(carol, "陈工", "王客服")
    # The record can never change once signed: it asks first, and "cancel" signs nothing.
    await carol.click("#handover-form button[type=submit]")
    dialog = carol.locator("#app-confirm .weui-dialog")
    await dialog.wait_for(state="visible")
    assert "无法更改" in await dialog.inner_text()
    await screens.shot(carol, "handover-confirm")
    await assert_accessible(carol, "handover-confirm")
    await dialog.locator("[data-answer=no]").click()
    assert await carol.locator("#app-confirm").get_attribute("hidden") is not None
    assert await KeyHandover.count().run() == 0
    await carol.click("#handover-form button[type=submit]")
    await _confirm(carol)
    await carol.wait_for_url("**/handover/*", timeout=15000)
    await carol.wait_for_selector("text=SHA-256", timeout=15000)
    await screens.shot(carol, "handover-receipt")
    await assert_accessible(carol, "handover-receipt")

    # ---- the unit's history shows every step
    await carol.goto(f"/inspections/{inspection.id}")
    await carol.click("details.fold:has(.fold__body) > summary")  # the folded history loads when opened
    await carol.wait_for_selector(".fold__body .timeline li")
    history = await carol.inner_text(".fold__body .timeline")  # the history only, not the tab bar (待复验)
    await screens.shot(carol, "unit-history")
    await assert_accessible(carol, "unit-history")
    for context in (bob_context, sam_context, carol_context):
        await context.close()
    from server.inspections.selectors import unit_timeline

    actions = {(e["object_type"], e["action"]) for e in await unit_timeline(unit.id)}
    for step in [("inspection", "start"), ("defect", "create"), ("rectification_notice", "create"),
                 ("defect", "rectify"), ("defect", "check"), ("defect", "recheck_pass"), ("defect", "recheck_fail"),
                 ("inspection", "all_closed"), ("unit", "key_handover")]:
        assert step in actions, step
    assert "复验通过：已关闭" in history and "复验不通过：退回整改" in history
