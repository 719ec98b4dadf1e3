"""An owner reports a leak from the QR code by her door with no signal, in Chromium
and in WebKit (the iPhone in the car park): the request waits on the phone with its
two photos and arrives exactly once when the signal is back (the page sends it:
WebKit has no Background Sync)."""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from server.photos.tables import Photo
from server.repairs.qr import repair_form_url
from server.repairs.tables import RepairRequest
from tests.e2e.offline_steps import outbox_empties, shot_path, waiting_count_is
from tests.photos.images import plain_jpeg
from tests.repairs.support import homes, owner_with_code

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.parametrize("browser", ["chromium", "webkit"])]


async def test_an_owner_reports_a_leak_without_signal_and_it_arrives_once(browser, personas, open_phone,
                                                                         stoppable_server, screens, tmp_path):
    h = await homes(personas)
    owner, code = await owner_with_code(h["theirs"])
    leak, floor = tmp_path / "leak.jpg", tmp_path / "floor.jpg"
    leak.write_bytes(plain_jpeg(size=(3000, 2250)))
    floor.write_bytes(plain_jpeg(size=(800, 600), color=(20, 60, 200)))
    phone = await open_phone(browser, stoppable_server.url)

    form_path = urlsplit(repair_form_url(h["theirs"])).path
    await phone.goto(form_path)
    assert urlsplit(await phone.url()).path == "/owner/sign-in"
    await phone.fill("#f-mobile", owner.username)
    await phone.fill("#f-code", code)
    await phone.submit_and_wait("form[action='/owner/sign-in'] button[type=submit]")
    assert urlsplit(await phone.url()).path == form_path

    stoppable_server.stop()
    try:
        await phone.files("input[data-gallery]", [str(leak), str(floor)])
        await phone.wait_for("return document.querySelectorAll('.shot').length === 2", what="two photos shown")
        await phone.choose("input[name=component][value=waterproofing]")
        await phone.choose("input[name=location][value=卫生间]")
        await phone.fill("#f-description", "卫生间顶棚漏水，滴到地面")
        await phone.fill("#f-preferred_times", "周六上午")
        await phone.click("button[data-save]")
        await phone.wait_text("#app-toast", "已保存在本机")
        await waiting_count_is(phone, 1)
        await phone.screenshot(shot_path(screens, browser, "owner-offline-waiting"))
        assert await RepairRequest.count().run() == 0
    finally:
        stoppable_server.start()

    await phone.run("window.dispatchEvent(new Event('online'))")  # signal again: the page sends it
    await outbox_empties(phone)
    repairs = await RepairRequest.objects().run()
    assert [(r.unit, r.component, r.location, r.description) for r in repairs] == [
        (h["theirs"], "waterproofing", "卫生间", "卫生间顶棚漏水，滴到地面")]
    assert await Photo.count().where((Photo.subject_id == repairs[0].id) & (Photo.stage == "reported")).run() == 2
    await phone.goto(form_path)  # the app starts again with signal: nothing is sent twice
    await asyncio.sleep(1)
    assert await RepairRequest.count().run() == 1
