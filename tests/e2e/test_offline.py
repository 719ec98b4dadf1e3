"""Offline-first capture in real Chromium: the network really fails (the
server is stopped, or an answer is cut off after the server took the
request), because Playwright's offline switch does not reach the service
worker. Nothing recorded is lost and nothing arrives twice."""
from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.inspections.support import unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
async def ian_phone(chromium, stoppable_server):
    context = await chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                         locale="zh-CN", base_url=stoppable_server.url)
    yield context
    await context.close()


async def _controlled(page, url: str) -> None:
    """Open url in a page the service worker controls."""
    await page.goto(url)
    await page.evaluate("navigator.serviceWorker.ready")
    if not await page.evaluate("navigator.serviceWorker.controller !== null"):
        await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller !== null")


async def _fill(page, photo: str, *, room: bool = True, phrase: int = 0) -> None:
    await page.set_input_files("input[data-gallery]", photo)
    if room:
        await page.locator("input[name=room]").first.check(force=True)
    await page.locator("input[name=category][value=wall]").check(force=True)
    await page.locator("input[name=severity][value=major]").check(force=True)
    await page.locator("button.phrase").nth(phrase).click()
    await page.keyboard.type("20")  # fills the phrase's blank ("墙面空鼓约 __ cm²"), selected by the tap
    await page.select_option("select[name=construction_unit_id]", label="Builder A")


async def _outbox_size(page) -> int:
    return await page.evaluate("Outbox.all().then(r => r.length)")


async def _empty(page) -> bool:
    return await _outbox_size(page) == 0


async def _until(check, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_five_defects_recorded_without_signal_arrive_once_each(personas, ian_phone, stoppable_server, screens,
                                                                     tmp_path):
    from workers.settings import WorkerSettings

    from tests.photos.support import run_worker

    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(3000, 2250)))  # over 2560 px: downscaled in the browser
    _, inspection = await unit_under_inspection(personas)
    page = await sign_in(ian_phone, "ian", PASSWORD)
    await _controlled(page, f"/inspections/{inspection['id']}")
    card = page.locator("[data-offline-card]")
    await card.locator("[data-offline-download]").click()
    await expect(card).to_have_attribute("data-offline-ready", "yes")
    await expect(card.locator("[data-offline-state]")).to_contain_text("已可离线使用")
    await screens.shot(page, "downloaded")
    capture = f"/inspections/{inspection['id']}/defects/new"
    await page.goto(capture)

    stoppable_server.stop()
    try:
        for n in range(1, 6):
            await _fill(page, str(photo), phrase=n % 3)
            await page.click("button[data-save]")
            await expect(page.locator("[data-outbox-count]")).to_have_text(f"{n} 条待同步")
            await expect(page.locator("[data-outbox-open]")).to_be_visible()
            await expect(page.locator(".shot")).to_have_count(0)  # the form is ready for the next one
        await expect(page.locator("#app-toast")).to_contain_text("已保存在本机")
        await screens.shot(page, "five-waiting")

        # Reload with no server: the downloaded page comes from the service worker, the outbox from IndexedDB.
        await page.reload()
        await expect(page.locator("form[data-capture]")).to_be_visible()
        await expect(page.locator("[data-outbox-count]")).to_have_text("5 条待同步")
        await page.click("[data-outbox-open]")
        await expect(page.locator("[data-outbox-record]")).to_have_count(5)
        await screens.shot(page, "outbox-offline")
        await assert_accessible(page, "outbox")
        await page.click("[data-outbox-close]")
        assert await Defect.count().run() == 0
    finally:
        stoppable_server.start()

    await page.reload()  # app start: the outbox is sent
    await _until(lambda: _empty(page))
    await expect(page.locator("[data-outbox-open]")).to_be_hidden()
    await screens.shot(page, "synced")
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 5 and len({d.client_id for d in defects}) == 5
    assert all(d.captured_at is not None for d in defects)
    photos = await Photo.objects().where(Photo.subject_id.is_in([d.id for d in defects])).run()
    assert len(photos) == 5 and all(p.client_id for p in photos)
    await run_worker(WorkerSettings)
    for p in await Photo.objects().where(Photo.subject_id.is_in([d.id for d in defects])).run():
        assert (p.status, p.width, p.height) == ("ready", 2560, 1920)  # downscaled, the right way up
        assert p.captured_at is not None  # from the phone: the canvas dropped any EXIF


async def test_an_answer_lost_after_the_server_took_the_upload_is_neither_lost_nor_doubled(
        personas, chromium, stoppable_server, tmp_path):
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(1200, 900)))
    _, inspection = await unit_under_inspection(personas)
    # Playwright's routing does not see requests of a page a service worker controls:
    # without one here, the page sends the outbox itself (as on a phone before the worker is installed).
    ian_phone = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                           base_url=stoppable_server.url, service_workers="block")
    page = await sign_in(ian_phone, "ian", PASSWORD)
    cut = {"defects": 0, "photos": 0}

    async def deliver_then_drop(route):
        # The server receives and stores the upload; the phone never hears back.
        kind = "photos" if "/photos" in route.request.url else "defects"
        if cut[kind] == 0:
            cut[kind] += 1
            response = await route.fetch()
            assert response.status in (200, 201)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await ian_phone.route("**/api/v1/inspections/*/defects", deliver_then_drop)
    await ian_phone.route("**/api/v1/defects/*/photos", deliver_then_drop)
    await page.goto(f"/inspections/{inspection['id']}/defects/new")
    await page.set_input_files("input[data-gallery]", [str(photo), str(photo)])
    await _fill(page, str(photo))  # three photos: the defect with the first, then two more
    await page.click("button[data-save]")

    async def sent() -> bool:  # after the lost answers, retried with backoff
        return cut == {"defects": 1, "photos": 1} and await _outbox_size(page) == 0
    await _until(sent)
    await expect(page.locator("[data-outbox-open]")).to_be_hidden()
    await ian_phone.close()
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 1
    assert await Photo.count().where(Photo.subject_id == defects[0].id).run() == 3


async def test_a_refused_defect_stays_with_its_message_until_fixed(personas, ian_phone, screens, tmp_path):
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(1200, 900)))
    _, inspection = await unit_under_inspection(personas)
    page = await sign_in(ian_phone, "ian", PASSWORD)
    await page.goto(f"/inspections/{inspection['id']}/defects/new")
    await _fill(page, str(photo), room=False)  # the server wants a room
    await page.click("button[data-save]")
    await expect(page.locator("[data-error-for=room]")).to_have_text("请选择房间。")
    await expect(page.locator("[data-outbox-count]")).to_have_text("1 条待同步")

    # Elsewhere, later: it is still there, with the server's message, to fix or discard.
    await page.goto("/inspections")
    await page.click("[data-outbox-open]")
    item = page.locator("[data-outbox-record]")
    await expect(item.locator("[data-outbox-state]")).to_contain_text("请选择房间。")
    await screens.shot(page, "refused")
    await page.reload()
    await page.click("[data-outbox-open]")
    async with page.expect_navigation():
        await item.locator("[data-outbox-fix]").click()
    await expect(page.locator("[data-error-for=room]")).to_have_text("请选择房间。")
    await expect(page.locator(".shot")).to_have_count(1)  # the photo came back with it
    await page.locator("input[name=room]").first.check(force=True)
    async with page.expect_navigation():
        await page.click("button[data-save]")
    assert f"/inspections/{inspection['id']}" in page.url
    await expect(page.locator("[data-outbox-open]")).to_be_hidden()
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 1 and defects[0].room
    assert await Photo.count().where(Photo.subject_id == defects[0].id).run() == 1


async def test_signed_out_the_outbox_asks_to_sign_in_and_then_sends(personas, ian_phone, stoppable_server, tmp_path):
    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(1200, 900)))
    _, inspection = await unit_under_inspection(personas)
    page = await sign_in(ian_phone, "ian", PASSWORD)
    await _controlled(page, f"/inspections/{inspection['id']}")
    await page.click("[data-offline-card] [data-offline-download]")
    await expect(page.locator("[data-offline-card]")).to_have_attribute("data-offline-ready", "yes")
    await page.goto(f"/inspections/{inspection['id']}/defects/new")
    stoppable_server.stop()
    try:
        await _fill(page, str(photo))
        await page.click("button[data-save]")
        await expect(page.locator("[data-outbox-count]")).to_have_text("1 条待同步")
    finally:
        stoppable_server.start()
    await ian_phone.clear_cookies()  # the session is gone (expired, or signed out elsewhere)
    await page.evaluate("window.dispatchEvent(new Event('online'))")  # signal again
    signin = page.locator("[data-signin]")
    await expect(signin).to_be_visible()
    await expect(page.locator("[data-sync-text]")).to_contain_text("请重新登录")
    async with page.expect_navigation():
        await signin.click()
    await page.fill("input[name=username]", "ian")
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")
    assert "/defects/new" in page.url  # back where the inspector was
    await _until(lambda: _empty(page))
    assert await Defect.count().where(Defect.inspection == inspection["id"]).run() == 1
