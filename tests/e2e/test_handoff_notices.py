"""Hand-offs in real Chromium on a phone: the contractor rectifies, the
supervisor sees a count on the tab bar and the notice in the inbox, the CS
center sees its recheck count, and the bar updates through htmx after the recheck."""
from server.inspections.tables import Defect
from tests.e2e.conftest import assert_accessible, sign_in
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection
from tests.photos.images import plain_jpeg
from tests.photos.support import run_worker
from tests.support import PASSWORD


async def _badge(page, url: str) -> str | None:
    """The count on a tab bar entry, or None when it shows none."""
    badge = page.locator(f"#app-nav a[href='{url}'] .app-nav__badge")
    return await badge.inner_text() if await badge.count() else None


async def test_a_rectified_defect_reaches_the_supervisor_and_the_cs_center(personas, phone, screens, tmp_path):
    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data=defect_form(personas.parties["builder_a"].id, description="客厅墙面空鼓"),
                       files=photo_files(1))
    assert r.status_code == 201, r.text
    defect_id = r.json()["id"]
    assert (await complete(ian, inspection['id'])).status_code == 200
    await run_worker(WorkerSettings)
    photo = tmp_path / "fixed.jpg"
    photo.write_bytes(plain_jpeg(size=(1200, 900), color=(200, 200, 190)))

    # ---- the contractor rectifies on the phone
    bob = await sign_in(phone, "bob", PASSWORD)
    await bob.goto(f"/tasks/defects/{defect_id}")
    await bob.set_input_files("#f-photos", str(photo))
    await bob.fill("#rectify-form textarea[name=note]", "已铲除空鼓重新抹灰")
    async with bob.expect_navigation(timeout=30000):
        await bob.click("#rectify-form button[type=submit]")
    assert (await Defect.objects().get(Defect.id == defect_id).run()).status == "rectified"
    await screens.shot(bob, "contractor-rectified")
    base = bob.url.split("/tasks")[0]
    await run_worker(WorkerSettings)

    # ---- the supervisor: a count on the tab bar, the notice in the inbox
    sam_context = await phone.browser.new_context(viewport=bob.viewport_size, base_url=base, locale="zh-CN")
    sam = await sign_in(sam_context, "sam", PASSWORD)
    assert await _badge(sam, "/checks") == "1"
    assert await _badge(sam, "/inbox") == "1"
    assert await sam.locator("#app-nav a[href='/checks'] .sr-only").inner_text() == "（1 项待处理）"
    await screens.shot(sam, "supervisor-home-counts")
    await assert_accessible(sam, "supervisor-home-counts")
    await sam.click("#app-nav a[href='/inbox']")
    await sam.wait_for_url("**/inbox")
    item = sam.locator(".inbox__item_unread")
    assert await item.count() == 1
    assert "待检查：阳光花园 1号楼 101" in await item.inner_text()
    await screens.shot(sam, "supervisor-inbox")
    await assert_accessible(sam, "supervisor-inbox")
    async with sam.expect_navigation():
        await item.locator("button.inbox__open").click()
    assert sam.url.endswith(f"/checks/defects/{defect_id}")
    assert await _badge(sam, "/inbox") is None  # read by opening it
    assert await _badge(sam, "/checks") == "1"
    await screens.shot(sam, "supervisor-check-page")

    # ---- the CS center: the recheck count, gone after the recheck without a reload
    carol_context = await phone.browser.new_context(viewport=bob.viewport_size, base_url=base, locale="zh-CN")
    carol = await sign_in(carol_context, "carol", PASSWORD)
    assert await _badge(carol, "/rechecks") == "1"
    await screens.shot(carol, "cs-home-counts")
    await assert_accessible(carol, "cs-home-counts")
    await carol.click("#app-nav a[href='/rechecks']")
    await carol.wait_for_url("**/rechecks")
    assert await _badge(carol, "/rechecks") == "1"
    await carol.locator(f"#recheck-{defect_id} button[value=pass]").click()
    await carol.wait_for_selector(f"#recheck-{defect_id}", state="detached", timeout=15000)
    await carol.wait_for_selector("#app-nav a[href='/rechecks'] .app-nav__badge", state="detached", timeout=15000)
    assert await carol.locator("#app-nav a[href='/rechecks'][aria-current=page]").count() == 1
    await screens.shot(carol, "cs-rechecked-count-gone")
    await assert_accessible(carol, "cs-rechecked")
    for context in (sam_context, carol_context):
        await context.close()
