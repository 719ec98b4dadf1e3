"""Regulation 2's delivery day in real Chromium on phones: the owner signs in
with the code from their notice and books a time; on the day the CS staff
check them in, walk the unit with them and record a defect with the
inspection's capture page, the owner signs the confirmation on the staff
phone, and the keys go to the owner with a signed handover."""
import asyncio
import re
from urllib.parse import urlsplit

from server.delivery import day, owner_codes
from server.delivery.tables import Appointment, DeliveryConfirmation
from server.handover.tables import KeyHandover
from server.inspections.tables import Defect
from tests.delivery.support import PHONES, ready_batch
from tests.e2e.conftest import PHONE, assert_accessible, draw_signature, fill_key_handover, sign_in
from tests.photos.images import plain_jpeg
from tests.support import PASSWORD


async def _until(check, timeout=20.0):
    for _ in range(int(timeout / 0.25)):
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError("timed out waiting")


async def test_delivery_day_on_phones(personas, phone, chromium, live_server, screens, tmp_path):
    setup = await ready_batch(personas)
    batch_id, unit_id = setup["batch"]["id"], setup["ready_unit"]
    assert await owner_codes.issue_missing(actor=personas.user("carol"), batch_id=batch_id) == 4
    notice = next(n for n in await owner_codes.notices_for_batch(batch_id)
                  if n["unit"] == unit_id)
    assert notice["mobile"] == PHONES[0]

    # ---- the owner, at home, with the printed notice
    owner_context = await chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                               has_touch=True, locale="zh-CN", base_url=live_server)
    owner = await owner_context.new_page()
    link = urlsplit(notice["link"])  # the printed link, opened on this test server
    await owner.goto(f"{link.path}?{link.query}")
    assert await owner.input_value("#f-code") == notice["code"]
    async with owner.expect_navigation():
        await owner.click("form[action='/owner/sign-in'] button[type=submit]")
    assert owner.url.endswith("/owner")
    await owner.locator(".slot").first.click()
    async with owner.expect_navigation():
        await owner.click(f"#unit-{unit_id} .booking button[type=submit]")
    await owner.wait_for_selector("text=交付时间已预约")
    await screens.shot(owner, "owner-booked")
    await assert_accessible(owner, "owner-home")
    appointment = await Appointment.objects().get(Appointment.unit == unit_id).run()
    assert appointment.status == "booked"

    # ---- CS staff on delivery day: the check-in list, then this owner
    carol = await sign_in(phone, "carol", PASSWORD)
    await carol.goto(f"/delivery/batches/{batch_id}")
    async with carol.expect_navigation():
        await carol.click("a[href*='/day?on=']")
    await screens.shot(carol, "check-in-list")
    await assert_accessible(carol, "check-in-list")
    async with carol.expect_navigation():
        await carol.click(f"a[href='/delivery/appointments/{appointment.id}']")
    async with carol.expect_navigation():
        await carol.click(f"form[action='/delivery/appointments/{appointment.id}/check-in'] button")
    await carol.wait_for_selector("text=排号 1")
    async with carol.expect_navigation():
        await carol.click(f"form[action='/delivery/appointments/{appointment.id}/walkthrough'] button")
    walkthrough = (await Appointment.objects().get(Appointment.id == appointment.id).run()).walkthrough
    assert walkthrough

    # ---- the walkthrough: the owner points at a loose door handle
    photo = tmp_path / "handle.jpg"
    photo.write_bytes(plain_jpeg(size=(1600, 1200)))
    await carol.click("a:has-text('记录问题')")
    await carol.wait_for_url(f"**/inspections/{walkthrough}/defects/new")
    await carol.set_input_files("input[data-gallery]", str(photo))
    await carol.locator("input[name=room]").first.check(force=True)
    await carol.locator("input[name=category][value=wall]").check(force=True)
    await carol.locator("input[name=severity][value=minor]").check(force=True)
    await carol.locator("button.phrase").first.click()
    await carol.keyboard.type("20")  # fills the phrase's blank ("墙面空鼓约 __ cm²"), selected by the tap
    await carol.select_option("select[name=construction_unit_id]", label=personas.parties["builder_a"].name)
    await carol.click("button[data-save]")

    async def recorded():
        return await Defect.count().where(Defect.inspection == walkthrough).run() == 1
    await _until(recorded)
    # Once the outbox has sent it, the capture page goes on to the walkthrough's own page.
    await carol.wait_for_url(re.compile(rf"/inspections/{walkthrough}(\?|#|$)"), timeout=15000)

    # ---- the owner signs the delivery confirmation on the staff phone
    await carol.goto(f"/delivery/appointments/{appointment.id}")
    await carol.wait_for_selector(".weui-cells a[href^='/inspections/defects/']")
    await carol.locator("label[for=f-manual_handed_over]").click()
    await carol.locator("label[for=f-guarantee_handed_over]").click()
    await carol.fill("#f-owner_name", "业主1")
    await draw_signature(carol, "canvas[data-signature='f-signature']")
    await screens.shot(carol, "confirmation-form")
    await assert_accessible(carol, "appointment")
    await carol.click("#confirm-form button[type=submit]")
    await carol.wait_for_selector("#keys", timeout=15000)
    confirmation = await DeliveryConfirmation.objects().get(DeliveryConfirmation.unit == unit_id).run()
    assert confirmation.manual_handed_over and confirmation.guarantee_handed_over
    defect = await Defect.objects().get(Defect.inspection == walkthrough).run()
    # Piccolo reads a JSON column back as text on both databases (a record just
    # made holds the list); confirmation_fields is the one reading of it.
    assert day.confirmation_fields(confirmation)["defect_ids"] == [defect.id]
    assert defect.notice is not None  # gone to rectification with a notice

    # ---- keys from the CS center to the owner, both sign
    async with carol.expect_navigation():
        await carol.click(f"a[href='/handover/units/{unit_id}']")
    assert await carol.locator("input[name=to][value=owner]").is_checked()
    await fill_key_handover(carol, "王客服", "业主1")
    await carol.click("#handover-form button[type=submit]")
    await carol.locator("#app-confirm [data-answer=yes]").click()  # it asks once before signing
    await carol.wait_for_url("**/handover/*", timeout=15000)
    await carol.wait_for_selector("text=SHA-256", timeout=15000)
    assert await KeyHandover.count().where((KeyHandover.unit == unit_id) & (KeyHandover.to == "owner")).run() == 1
    await carol.goto(f"/delivery/batches/{batch_id}/day?on={(await _slot_day(appointment))}")
    await carol.wait_for_selector(".chip_green:has-text('钥匙已交接')")
    await screens.shot(carol, "check-in-list-done")

    # ---- the owner sees both records on their phone
    await owner.goto("/owner")
    await owner.wait_for_selector(f"a[href='/delivery/confirmations/{confirmation.id}']")
    await owner.click(f"a[href='/delivery/confirmations/{confirmation.id}']")
    await owner.wait_for_selector(".chip_green:has-text('完整')")
    await screens.shot(owner, "owner-confirmation")
    await assert_accessible(owner, "owner-confirmation")
    await owner_context.close()


async def _slot_day(appointment):
    from server.clock import CHINA
    from server.delivery.tables import DeliverySlot

    slot = await DeliverySlot.objects().get(DeliverySlot.id == appointment.slot).run()
    return slot.starts_at.astimezone(CHINA).date().isoformat()
