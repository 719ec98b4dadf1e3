"""The demo's long pages on a 360 px phone in Chromium (issue 10.5), as the CS
clerk, the project department and an owner use them: the comparison table as
cards, the batch and procedure pages folded with what needs action first, the
"done" button waiting for its documents, the owner's records above the times,
and the owner's sign-in and booking saying what is wrong. Each page gets a
screenshot and an axe-core check."""
import pytest

from server.delivery.tables import DeliveryBatch
from server.org.tables import Project
from server.procedures.tables import Procedure, ProcedureStep
from tests.e2e.conftest import NARROW, assert_accessible, fill_key_handover, sign_in
from tests.procedures.support import PDF

PASSWORD = "demo12345"


@pytest.fixture
async def demo():
    from server.demo import seed_demo

    assert await seed_demo() is True
    return {"project": await Project.objects().first().run(), "batch": await DeliveryBatch.objects().first().run()}


async def _height(page) -> int:
    return await page.evaluate("document.documentElement.scrollHeight")


async def _fits(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], "no sideways scroll"


async def test_the_comparison_table_is_a_card_per_unit_on_a_phone_and_keeps_the_unit_in_view_when_wider(
        demo, phone360, screens):
    page = await sign_in(phone360, "kefu", PASSWORD)
    await page.goto(f"/delivery/projects/{demo['project'].id}/table")
    await _fits(page)
    first_row = page.locator("#delivery-table tbody tr").first
    assert await first_row.evaluate("tr => getComputedStyle(tr).display") == "block"
    label = await first_row.locator("td").nth(0).evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"购房人"'
    download = page.locator("a[href$='delivery-table.xlsx'] .icon")
    assert "download.svg" in await download.get_attribute("style")
    await screens.shot(page, "table-cards-360")
    await assert_accessible(page, "table-cards-360")

    await page.set_viewport_size({"width": 720, "height": 900})
    scroller = page.locator("#delivery-table .doc-scroll")
    assert await scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # the money columns scroll
    unit_cell = page.locator("#delivery-table tbody th").first
    before = (await unit_cell.bounding_box())["x"]
    await scroller.evaluate("el => el.scrollLeft = el.scrollWidth")
    assert abs((await unit_cell.bounding_box())["x"] - before) < 1  # the unit column stays put
    last_money = page.locator("#delivery-table tbody tr").first.locator("td").nth(6)
    box = await last_money.bounding_box()
    assert box["x"] + box["width"] <= 720  # reachable
    await screens.shot(page, "table-scrolled-720")


async def test_the_batch_page_puts_units_needing_action_first_and_folds_the_slots(demo, phone360, screens):
    page = await sign_in(phone360, "kefu", PASSWORD)
    await page.goto(f"/delivery/batches/{demo['batch'].id}")
    await _fits(page)
    height = await _height(page)
    assert height < 3600, height  # was about 4,900 px with 32 slots and the form open
    assert await page.locator("details.slot-day[open]").count() == 0
    assert await page.locator("details.slot-day").count() == 2
    assert not await page.locator("#slot-form-fold").evaluate("d => d.open")
    await screens.shot(page, "batch-360")
    await assert_accessible(page, "batch-360")
    await page.locator("details.slot-day summary").first.click()
    assert await page.locator("details.slot-day").first.locator(".weui-cell").count() == 16
    await screens.shot(page, "batch-360-day-open")


async def test_the_procedure_page_shows_what_waits_first_and_done_waits_for_its_documents(
        demo, phone360, screens, tmp_path):
    procedure = await Procedure.objects().where(Procedure.subject_kind == "delivery_batch").first().run()
    first = await ProcedureStep.objects().where(
        (ProcedureStep.procedure == procedure.id) & (ProcedureStep.position == 1)).first().run()
    # The CS center: its own steps listed first, the others' forms folded (was about 7,900 px at 360).
    page = await sign_in(phone360, "kefu", PASSWORD)
    await page.goto(f"/procedures/{procedure.id}")
    await _fits(page)
    assert await _height(page) < 6000, await _height(page)
    assert not await page.locator(f"#step-{first.id} details.proc-act").evaluate("d => d.open")
    await screens.shot(page, "procedure-360-cs")
    await assert_accessible(page, "procedure-360-cs")
    await phone360.clear_cookies()

    page = await sign_in(phone360, "xiangmu", PASSWORD)
    await page.goto(f"/procedures/{procedure.id}")
    await _fits(page)
    waiting = page.locator("nav.proc-next")
    assert await waiting.locator(f"a[href='#step-{first.id}']").count() == 1
    done = page.locator(f"#step-{first.id} form[action$='/complete'] button[type=submit]")
    assert await done.is_disabled()
    await screens.shot(page, "procedure-360")
    await assert_accessible(page, "procedure-360")

    manual = tmp_path / "说明书.pdf"
    manual.write_bytes(PDF)
    step = page.locator(f"#step-{first.id}")
    await step.locator("input[type=file]").set_input_files(str(manual))
    async with page.expect_response(lambda r: r.url.endswith(f"/steps/{first.id}/documents")):
        await step.locator("form[action$='/documents'] button[type=submit]").click()
    done = page.locator(f"#step-{first.id} form[action$='/complete'] button[type=submit]")
    await done.wait_for(state="attached")
    assert await done.is_enabled()  # its one document is there now
    async with page.expect_response(lambda r: r.url.endswith(f"/steps/{first.id}/complete")):
        await done.click()
    # Just done: open, with its message; next time it folds to one line.
    await page.locator(f"#step-{first.id} .app-flash_success").wait_for()
    await page.reload()
    folded = page.locator(f"details#step-{first.id}.proc-step_done")
    assert not await folded.evaluate("d => d.open")
    await screens.shot(page, "procedure-360-step-done")


async def test_the_owner_finds_the_statement_above_the_times_and_booking_without_a_time_says_so(
        demo, phone360, screens):
    page = await sign_in(phone360, "13800000000", PASSWORD)
    await page.goto("/owner")
    await _fits(page)
    statement = await page.locator("a[href$='/statement']").first.bounding_box()
    first_time = await page.locator(".slot-day").first.bounding_box()
    assert statement["y"] < first_time["y"]
    assert statement["y"] < NARROW["height"]  # on the first screen
    await screens.shot(page, "owner-home-360")
    await assert_accessible(page, "owner-home-360")

    async with page.expect_navigation():
        await page.click("form.booking button[type=submit]")
    error = page.locator("[id^=booking-error-]")
    assert (await error.inner_text()).strip() == "请从提供的时段中选择。"
    box = await error.bounding_box()
    assert 0 <= box["y"] < NARROW["height"]  # scrolled to, not at the bottom of a long page
    await screens.shot(page, "owner-booking-without-a-time")
    await assert_accessible(page, "owner-booking-without-a-time")


async def test_the_owner_sign_in_names_what_is_missing_and_ignores_spaces(demo, phone360, screens):
    page = await phone360.new_page()
    await page.goto("/owner/sign-in")
    async with page.expect_navigation():
        await page.click("form[action='/owner/sign-in'] button[type=submit]")
    assert (await page.inner_text("#e-mobile")).strip() == "请输入手机号。"
    assert (await page.inner_text("#e-code")).strip() == "请输入交付通知书上的验证码。"
    await _fits(page)
    await screens.shot(page, "owner-sign-in-empty")
    await assert_accessible(page, "owner-sign-in-empty")
    await page.fill("#f-mobile", "138 0000 0000")
    await page.fill("#f-code", "ABCDE-FGHJK")
    async with page.expect_navigation():
        await page.click("form[action='/owner/sign-in'] button[type=submit]")
    assert await page.locator("#e-mobile").count() == 0  # the spaced number is a good number
    assert (await page.inner_text(".form-message")).strip() == "该验证码与手机号不匹配或已失效。请核对，或联系客服中心重新获取。"
    assert await page.input_value("#f-mobile") == "138 0000 0000"  # kept as typed


async def test_the_key_handover_asks_before_it_signs_on_a_phone(personas, phone360, screens):
    from server.handover.tables import KeyHandover
    from tests.delivery.support import ready_batch
    from tests.support import PASSWORD as PERSONA_PASSWORD

    setup = await ready_batch(personas)
    unit_id = setup["ready_unit"]
    page = await sign_in(phone360, "carol", PERSONA_PASSWORD)
    await page.goto("/")
    assert await page.locator("a.app-tile[href='/handover']").is_visible()  # one tap from home on a phone
    await page.goto(f"/handover/units/{unit_id}")
    await page.locator("input[name=to][value=owner]").check(force=True)
    await fill_key_handover(page, "王客服", "业主1")
    await _fits(page)
    await page.click("#handover-form button[type=submit]")
    dialog = page.locator("#app-confirm .weui-dialog")
    await dialog.wait_for(state="visible")
    assert "签署后记录无法更改" in await dialog.inner_text()
    await screens.shot(page, "handover-confirm-360")
    await assert_accessible(page, "handover-confirm-360")
    await dialog.locator("[data-answer=no]").click()
    assert await KeyHandover.count().where(KeyHandover.to == "owner").run() == 0
    await page.click("#handover-form button[type=submit]")
    await dialog.locator("[data-answer=yes]").click()
    await page.wait_for_url("**/handover/*", timeout=15000)
    await page.wait_for_selector("text=SHA-256", timeout=15000)
    assert await KeyHandover.count().where(KeyHandover.to == "owner").run() == 1
    await screens.shot(page, "handover-receipt-360")
