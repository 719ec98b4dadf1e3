"""A phone that cannot sync hands its outbox over as a file: exported with no
server at all, imported by CS staff on their own browser (/offline/import),
each record arriving once, even when the file is imported twice and the phone
itself sends them later. Also: the outbox says plainly when what waits is at risk."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.e2e.conftest import PHONE, sign_in
from tests.e2e.offline_steps import fill_defect, outbox_empties
from tests.e2e.phones import ChromiumPhone
from tests.inspections.support import unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _context(chromium, server, **options):
    return chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
                                base_url=server.url, **options)


async def test_an_exported_outbox_imported_by_cs_arrives_once(personas, chromium, stoppable_server, screens, tmp_path):
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(1200, 900)))
    _, inspection = await unit_under_inspection(personas)
    phone = await _context(chromium, stoppable_server, accept_downloads=True)
    desk = await _context(chromium, stoppable_server)
    try:
        page = await sign_in(phone, "ian", PASSWORD)
        on_phone = ChromiumPhone(phone, page, stoppable_server.url)
        await on_phone.controlled(f"/inspections/{inspection['id']}")
        card = page.locator("[data-offline-card]")
        await card.locator("[data-offline-download]").click()
        await expect(card).to_have_attribute("data-offline-ready", "yes")
        await page.goto(f"/inspections/{inspection['id']}/defects/new")

        stoppable_server.stop()
        try:
            for n in range(1, 4):
                await fill_defect(on_phone, [str(photo)], phrase=n % 3)
                await page.click("button[data-save]")
                await expect(page.locator("[data-outbox-count]")).to_have_text(f"{n} 条待同步")
                # The count rises as the record is kept, before the save ends and clears the form: a photo
                # chosen before that would be cleared with it (the run of 19:38 on a loaded machine).
                await expect(page.locator(".shot")).to_have_count(0)
            await page.click("[data-outbox-open]")
            await expect(page.locator("[data-outbox-record]")).to_have_count(3)
            await screens.shot(page, "outbox-with-export")
            async with page.expect_download() as download_info:
                await page.click("[data-outbox-export]")
            download = await download_info.value
            exported = tmp_path / download.suggested_filename
            await download.save_as(exported)
            await expect(page.locator("#app-toast")).to_contain_text("请交给客户服务中心导入")
        finally:
            stoppable_server.start()

        file = json.loads(exported.read_text())
        assert file["format"] == "cs-center-outbox" and len(file["records"]) == 3
        assert all(r["photos"][0]["data"].startswith("data:image/jpeg;base64,") for r in file["records"])
        client_ids = {r["client_id"] for r in file["records"]}

        # CS staff import it on their own browser: every record arrives, with its photo.
        desk_page = await sign_in(desk, "carol", PASSWORD)
        for attempt in ("first", "again"):
            await desk_page.goto("/offline/import")
            await desk_page.set_input_files("[data-import-file]", str(exported))
            await desk_page.click("[data-import-submit]")
            await expect(desk_page.locator("[data-import-result]")).to_have_attribute("data-import-state", "done",
                                                                                   timeout=30000)
            await expect(desk_page.locator("[data-import-result]")).to_contain_text("已全部送达服务器")
            await screens.shot(desk_page, f"imported-{attempt}")
            defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
            assert {str(d.client_id) for d in defects} == client_ids  # three, once each, both times
            photos = await Photo.objects().where(Photo.subject_id.is_in([d.id for d in defects])).run()
            assert len(photos) == 3
        assert await desk_page.evaluate("Outbox.all().then(r => r.length)") == 0

        # The phone gets signal after all: it sends its copies, and nothing is doubled.
        await page.reload()
        await outbox_empties(on_phone)
        assert await Defect.count().where(Defect.inspection == inspection["id"]).run() == 3

        # Not a file of ours: said so, nothing taken.
        bogus = tmp_path / "notes.json"
        bogus.write_text('{"hello": "world"}')
        await desk_page.goto("/offline/import")
        await desk_page.set_input_files("[data-import-file]", str(bogus))
        await desk_page.click("[data-import-submit]")
        await expect(desk_page.locator("[data-import-result]")).to_have_text("这不是从手机待同步列表导出的文件。")
    finally:
        await phone.close()
        await desk.close()


async def test_the_outbox_warns_when_a_record_has_waited_over_a_day(personas, chromium, stoppable_server, screens):
    _, inspection = await unit_under_inspection(personas)
    phone = await _context(chromium, stoppable_server)
    try:
        page = await sign_in(phone, "ian", PASSWORD)
        await page.goto(f"/inspections/{inspection['id']}")
        # Whether this browser promised to keep the site's storage (headless Chromium decides by itself).
        persistent = await page.evaluate("navigator.storage.persist()")
        stoppable_server.stop()  # so the records stay in the outbox
        record = """hours => Outbox.put({client_id: Outbox.uuid(), user_id: Number(document.body.dataset.userId),
            inspection_id: 1, created_at: new Date(Date.now() - hours * 3600 * 1000).toISOString(),
            fields: {room: "客厅", description: "墙面空鼓"}, photos: [], state: "waiting"})"""
        warning = page.locator("[data-outbox-warning]")
        try:
            await page.evaluate(record, 1)
            await page.reload()  # the page asks for persistence when something waits
            await page.click("[data-outbox-open]")
            await expect(page.locator("[data-outbox-export]")).to_be_visible()
            if persistent:
                await expect(warning).to_be_hidden()  # kept, and waiting an hour: nothing to warn of
            else:
                await expect(warning).to_be_visible()  # not promised: said at once
            await page.evaluate(record, 25)
            await expect(warning).to_be_visible()
            await expect(warning).to_contain_text("未同步的记录只保存在本机")
            await screens.shot(page, "waited-a-day")
            await page.evaluate("Outbox.all().then(rs => Promise.all(rs.map(r => Outbox.remove(r.client_id))))")
            await expect(warning).to_be_hidden()
            await expect(page.locator("[data-outbox-export]")).to_be_hidden()
        finally:
            stoppable_server.start()
    finally:
        await phone.close()
