"""The owner's 报修 on a 390×844 phone in real Chromium: reported with two
photos while the network is cut, it waits in the outbox and arrives exactly
once when the network returns; with signal, the page goes to the request.
axe-core finds no serious violation on the form and the request's page."""
from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from server.photos.tables import Photo
from server.repairs.tables import RepairRequest
from tests.e2e.conftest import _phone_context, assert_accessible, sign_in, until
from tests.e2e.repair_steps import fill_repair_form
from tests.photos.images import plain_jpeg
from tests.repairs.support import homes
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_a_leak_reported_without_signal_arrives_once(personas, chromium, live_server, screens, tmp_path):
    h = await homes(personas)
    photo_a, photo_b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    photo_a.write_bytes(plain_jpeg(size=(3000, 2250)))  # over 2560 px: downscaled in the browser
    photo_b.write_bytes(plain_jpeg(size=(800, 600), color=(20, 60, 200)))
    # Without a service worker Playwright's routing sees the page's uploads, so the network can be cut.
    context = await _phone_context(chromium, live_server, service_workers="block")
    try:
        page = await sign_in(context, "olga", PASSWORD)
        await page.goto("/owner")
        await page.click(f"a[href='/owner/units/{h['mine']}/repairs/new']")
        await expect(page.locator("form[data-repair-form]")).to_be_visible()
        await assert_accessible(page, "repair form")

        async def cut(route):
            await route.abort("internetdisconnected")
        await context.route("**/api/v1/units/*/repairs", cut)
        await fill_repair_form(page, [str(photo_a), str(photo_b)], "卫生间顶棚漏水，滴到地面")
        await expect(page.locator(".shot")).to_have_count(2)
        await page.click("button[data-save]")
        await expect(page.locator("#app-toast")).to_contain_text("已保存在本机")
        await expect(page.locator("[data-outbox-count]")).to_have_text("1 条待同步")
        await screens.shot(page, "repair-waiting")
        assert await RepairRequest.count().run() == 0

        await context.unroute("**/api/v1/units/*/repairs", cut)
        await page.reload()  # the app starts again with signal: the outbox is sent
        await until(lambda: page.evaluate("Outbox.all().then(r => r.length === 0)"))
        repairs = await RepairRequest.objects().run()
        assert len(repairs) == 1
        repair = repairs[0]
        assert (repair.unit, repair.component, repair.location, repair.preferred_times, repair.channel) == (
            h["mine"], "waterproofing", "卫生间", "周六上午", "owner_app")
        photos = await Photo.objects().where((Photo.subject_type == "repair") & (Photo.subject_id == repair.id)).run()
        assert len(photos) == 2 and len({p.client_id for p in photos}) == 2
        await page.reload()  # a second start sends nothing again
        await asyncio.sleep(1)
        assert await RepairRequest.count().run() == 1

        # With signal: refused without a component (said beside it, the text and photo kept), then
        # saved, sent at once, and the owner is on the request's page.
        await page.goto(f"/owner/units/{h['mine']}/repairs/new")
        await page.set_input_files("input[data-gallery]", [str(photo_b)])
        await page.fill("#f-description", "厨房水管接口渗水")
        await page.click("button[data-save]")
        await expect(page.locator("[data-error-for=component]")).to_have_text("请选择需要维修的部位。")
        await expect(page.locator("#f-description")).to_have_value("厨房水管接口渗水")
        await expect(page.locator(".shot")).to_have_count(1)
        await assert_accessible(page, "refused repair form")
        assert await RepairRequest.count().run() == 1
        # Tap the chip as a person does: Playwright waits for it to hold still, since the page scrolls
        # smoothly to the message (a forced click during the scroll once landed beside it, CI on PostgreSQL).
        await page.locator("label.pick:has(input[name=component][value=pipes_electrical])").click()
        await expect(page.locator("input[name=component][value=pipes_electrical]")).to_be_checked()
        await page.click("button[data-save]")
        await page.wait_for_url("**/owner/repairs/*")
        await expect(page.locator("[data-description]")).to_have_text("厨房水管接口渗水")
        await expect(page.locator("[data-warranty]")).to_contain_text("不属于保修范围")
        await screens.shot(page, "repair-detail")
        await assert_accessible(page, "repair detail")
        assert await RepairRequest.count().run() == 2
        latest = await RepairRequest.objects().order_by(RepairRequest.id, ascending=False).first().run()
        assert latest.component == "pipes_electrical"
        assert await Photo.count().where((Photo.subject_type == "repair") & (Photo.subject_id == latest.id)).run() == 1
        await page.goto("/owner/repairs")
        await expect(page.locator("[data-repair]")).to_have_count(2)
        await assert_accessible(page, "my repairs")
    finally:
        await context.close()
