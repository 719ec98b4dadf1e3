"""Offline-first capture in real Chromium and in real WebKit (Safari's engine, no
Background Sync: the page sends the outbox itself). The network really fails: the
server is stopped, or a proxy drops the answer after the server took the request
(tests/e2e/cutting_proxy.py). Nothing recorded is lost and nothing arrives twice.
One scenario code for both browsers (tests/e2e/offline_steps.py, tests/e2e/phones.py)."""
from __future__ import annotations

import pytest

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.e2e.conftest import until
from tests.e2e.cutting_proxy import CuttingProxy
from tests.e2e.offline_steps import fill_defect, outbox_empties, save, shot_path, sign_in, waiting_count_is
from tests.inspections.support import unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.support import PASSWORD

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.parametrize("browser", ["chromium", "webkit"])]


@pytest.fixture
def wall_photo(tmp_path):
    path = tmp_path / "wall.jpg"
    path.write_bytes(plain_jpeg(size=(1200, 900)))
    return str(path)


async def test_five_defects_recorded_without_signal_arrive_once_each(browser, personas, open_phone, stoppable_server,
                                                                     screens, tmp_path):
    from workers.settings import WorkerSettings

    from tests.photos.support import run_worker

    photo = tmp_path / "wall.jpg"
    photo.write_bytes(plain_jpeg(size=(3000, 2250)))  # over 2560 px: downscaled in the browser
    _, inspection = await unit_under_inspection(personas)
    phone = await open_phone(browser, stoppable_server.url)
    await sign_in(phone, "ian")
    await phone.controlled(f"/inspections/{inspection['id']}")
    await phone.click("[data-offline-card] [data-offline-download]")
    await phone.wait_for("return document.querySelector('[data-offline-card]').dataset.offlineReady === 'yes'",
                         what="downloaded for offline")
    await phone.wait_text("[data-offline-card] [data-offline-state]", "已可离线使用")
    await phone.screenshot(shot_path(screens, browser, "downloaded"))
    await phone.goto(f"/inspections/{inspection['id']}/defects/new")

    stoppable_server.stop()
    try:
        for n in range(1, 6):
            await fill_defect(phone, [str(photo)], phrase=n % 3)
            await save(phone)
            await waiting_count_is(phone, n)
            await phone.wait_for("return document.querySelectorAll('.shot').length === 0",
                                 what="the form ready for the next one")
        await phone.wait_text("#app-toast", "已保存在本机")
        await phone.screenshot(shot_path(screens, browser, "five-waiting"))

        # Reload with no server: the downloaded page comes from the service worker, the outbox from IndexedDB.
        await phone.reload()
        await phone.wait_for("return !!document.querySelector('form[data-capture]')", what="the capture form offline")
        await waiting_count_is(phone, 5)
        await phone.click("[data-outbox-open]")
        await phone.wait_for("return document.querySelectorAll('[data-outbox-record]').length === 5",
                             what="five records in the outbox")
        await phone.wait_for("return [...document.querySelectorAll('[data-outbox-record] img')]"
                             ".every(img => img.complete && img.naturalWidth > 0)", what="each record's photo shown")
        await phone.screenshot(shot_path(screens, browser, "outbox-offline"))
        await phone.click("[data-outbox-close]")
        assert await Defect.count().where(Defect.inspection == inspection["id"]).run() == 0
    finally:
        stoppable_server.start()

    await phone.reload()  # app start: the outbox is sent
    await outbox_empties(phone)
    await phone.wait_hidden("[data-outbox-open]")
    await phone.screenshot(shot_path(screens, browser, "synced"))
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 5 and len({d.client_id for d in defects}) == 5
    assert all(d.captured_at is not None for d in defects)
    photos = await Photo.objects().where(Photo.subject_id.is_in([d.id for d in defects])).run()
    assert len(photos) == 5 and all(p.client_id for p in photos)
    await run_worker(WorkerSettings)
    # Downscaled in the browser where its canvas writes JPEG (Chromium, Safari); WebKit's Linux
    # build writes only PNG, so there the photo goes as taken and the server makes the display copy.
    size = (2560, 1920) if browser == "chromium" else (3000, 2250)
    for p in await Photo.objects().where(Photo.subject_id.is_in([d.id for d in defects])).run():
        assert (p.status, p.width, p.height) == ("ready", *size)  # the right way up
        assert p.captured_at is not None  # from the phone: the canvas dropped any EXIF


async def test_an_answer_lost_after_the_server_took_the_upload_is_neither_lost_nor_doubled(
        browser, personas, open_phone, live_server, wall_photo):
    _, inspection = await unit_under_inspection(personas)
    port = int(live_server.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, {"defects": r"^POST /api/v1/inspections/\d+/defects",
                                "photos": r"^POST /api/v1/defects/\d+/photos"})
    await proxy.start()
    try:
        phone = await open_phone(browser, proxy.url)
        await sign_in(phone, "ian")
        await phone.goto(f"/inspections/{inspection['id']}/defects/new")
        await fill_defect(phone, [wall_photo, wall_photo, wall_photo])  # the defect with the first, then two more
        await save(phone)

        async def sent() -> bool:  # after the lost answers, sent again (backoff)
            return proxy.cuts == {"defects": 1, "photos": 1} and await phone.outbox_size() == 0
        await until(sent, 60)
        await phone.wait_hidden("[data-outbox-open]")
    finally:
        await proxy.stop()
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 1
    assert await Photo.count().where(Photo.subject_id == defects[0].id).run() == 3


async def test_a_refused_defect_stays_with_its_message_until_fixed(browser, personas, open_phone, live_server, screens,
                                                                  wall_photo):
    _, inspection = await unit_under_inspection(personas)
    phone = await open_phone(browser, live_server)
    await sign_in(phone, "ian")
    await phone.goto(f"/inspections/{inspection['id']}/defects/new")
    await fill_defect(phone, [wall_photo], room=False)  # the server wants a room
    await save(phone)
    await phone.wait_text("[data-error-for=room]", "请选择房间。")
    await waiting_count_is(phone, 1)

    # Elsewhere, later: it is still there, with the server's message, to fix or discard.
    await phone.goto("/inspections")
    await phone.click("[data-outbox-open]")
    await phone.wait_text("[data-outbox-record] [data-outbox-state]", "请选择房间。")
    await phone.screenshot(shot_path(screens, browser, "refused"))
    await phone.reload()
    await phone.click("[data-outbox-open]")
    await phone.wait_for("return !!document.querySelector('[data-outbox-record] [data-outbox-fix]')")
    await phone.submit_and_wait("[data-outbox-record] [data-outbox-fix]")
    await phone.wait_text("[data-error-for=room]", "请选择房间。")
    await phone.wait_for("return document.querySelectorAll('.shot').length === 1", what="the photo came back with it")
    await phone.choose("input[name=room]")
    await phone.submit_and_wait("button[data-save]")
    assert f"/inspections/{inspection['id']}" in await phone.url()
    await phone.wait_hidden("[data-outbox-open]")
    defects = await Defect.objects().where(Defect.inspection == inspection["id"]).run()
    assert len(defects) == 1 and defects[0].room
    assert await Photo.count().where(Photo.subject_id == defects[0].id).run() == 1


async def test_signed_out_the_outbox_asks_to_sign_in_and_then_sends(browser, personas, open_phone, stoppable_server,
                                                                   wall_photo):
    _, inspection = await unit_under_inspection(personas)
    phone = await open_phone(browser, stoppable_server.url)
    await sign_in(phone, "ian")
    await phone.controlled(f"/inspections/{inspection['id']}")
    await phone.click("[data-offline-card] [data-offline-download]")
    await phone.wait_for("return document.querySelector('[data-offline-card]').dataset.offlineReady === 'yes'")
    await phone.goto(f"/inspections/{inspection['id']}/defects/new")
    stoppable_server.stop()
    try:
        await fill_defect(phone, [wall_photo])
        await save(phone)
        await waiting_count_is(phone, 1)
    finally:
        stoppable_server.start()
    await phone.clear_cookies()  # the session is gone (expired, or signed out elsewhere)
    await phone.run("window.dispatchEvent(new Event('online'))")  # signal again
    await phone.wait_text("[data-sync-text]", "请重新登录")
    assert await phone.visible("[data-signin]")
    await phone.submit_and_wait("[data-signin]")
    await phone.fill("input[name=username]", "ian")
    await phone.fill("input[name=password]", PASSWORD)
    await phone.submit_and_wait("form[action='/login'] button[type=submit]")
    assert "/defects/new" in await phone.url()  # back where the inspector was
    await outbox_empties(phone)
    assert await Defect.count().where(Defect.inspection == inspection["id"]).run() == 1
