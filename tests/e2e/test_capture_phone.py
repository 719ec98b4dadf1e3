"""The capture form on a 360 px phone (issue 10.4, 10.5): the construction unit
filled in from the building's assignment (and the offer to remember one), a
picked file that is not a photo refused at once by name, a quick phrase's
blank that must be filled, and a description over the limit refused, not cut."""

from server import clock
from server.inspections.tables import Defect, TradeAssignment
from server.org.tables import Unit
from tests.e2e.conftest import assert_accessible, sign_in
from tests.photos.images import plain_jpeg
from tests.support import PASSWORD


async def _inspection(personas):
    from server.inspections.services import inspection_create, inspection_start
    from server.org.services import building_create, project_create, units_bulk_create

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().where(Unit.building == building.id).first().run()
    await TradeAssignment.insert(TradeAssignment(building=building.id, category="wall",
                                                 party=personas.parties["builder_a"].id)).run()
    inspection, _ = await inspection_create(actor=None, unit_id=unit.id, inspector_id=personas.user("ian").id,
                                            scheduled_for=clock.today())
    await inspection_start(actor=personas.user("ian"), inspection=inspection)
    return building, inspection


async def _error(page, name):
    slot = page.locator(f'[data-error-for="{name}"]')
    return "" if await slot.is_hidden() else (await slot.inner_text()).strip()


async def test_the_capture_form_fills_the_unit_in_refuses_non_photos_blanks_and_overlong_text(
        personas, phone360, screens, tmp_path):
    building, inspection = await _inspection(personas)
    photo, report = tmp_path / "crack.jpg", tmp_path / "验收报告.pdf"
    photo.write_bytes(plain_jpeg(size=(800, 600)))
    report.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n")
    page = await sign_in(phone360, "ian", PASSWORD)
    await page.goto(f"/inspections/{inspection.id}/defects/new")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    # The unit follows the category: assigned for walls, asked (with "remember") for floors.
    await page.locator("input[name=category][value=wall]").check(force=True)
    assert await page.input_value("select[name=construction_unit_id]") == str(personas.parties["builder_a"].id)
    assert await page.locator("input[name=remember_party]").is_hidden()
    await page.locator("input[name=category][value=floor]").check(force=True)
    assert await page.input_value("select[name=construction_unit_id]") == ""
    assert await page.locator("input[name=remember_party]").is_visible()
    assert "1号楼" in await page.locator('[data-party-hint="unassigned"]').inner_text()

    # A PDF among the photos: refused at once, by name; the photo is kept.
    await page.set_input_files("input[data-gallery]", [str(photo), str(report)])
    assert "验收报告.pdf" in await _error(page, "photos")
    assert "不是照片" in await _error(page, "photos")
    assert await page.locator(".shot").count() == 1
    await screens.shot(page, "capture-not-a-photo")

    # A phrase with a blank: the cursor lands in the blank; unfilled, it is not saved.
    await page.locator("input[name=room]").first.check(force=True)
    await page.locator("button.phrase", has_text="墙面裂缝长").click()
    text = await page.input_value("textarea[name=description]")
    assert text == "墙面裂缝长 __ cm"
    assert await page.evaluate("[document.activeElement.name, document.activeElement.selectionStart,"
                               " document.activeElement.selectionEnd]") == ["description", 6, 8]
    await page.select_option("select[name=construction_unit_id]", label=personas.parties["builder_b"].name)
    await page.check("input[name=remember_party]")
    await page.click("button[data-save]")
    assert await _error(page, "description") == "请填写快捷短语中的空白（__）。"
    assert await page.evaluate("[document.activeElement.name, document.activeElement.selectionStart]") == [
        "description", 6]
    await screens.shot(page, "capture-blank-unfilled")
    await assert_accessible(page, "capture-blank-unfilled")
    assert await Defect.count().run() == 0

    # Over the limit: refused with the limit shown, nothing cut.
    await page.fill("textarea[name=description]", "裂" * 2001)
    await page.click("button[data-save]")
    assert await _error(page, "description") == "最多 2000 个字符（现有 2001 个）。"
    assert len(await page.input_value("textarea[name=description]")) == 2001
    await screens.shot(page, "capture-too-long")
    assert await Defect.count().run() == 0

    # Filled in: saved, and the hand-picked unit is remembered for 1号楼's floors.
    await page.fill("textarea[name=description]", "墙面裂缝长 30 cm")
    async with page.expect_navigation():
        await page.click("button[data-save]")
    defect = await Defect.objects().first().run()
    assert (defect.description, defect.construction_unit) == ("墙面裂缝长 30 cm", personas.parties["builder_b"].id)
    remembered = await TradeAssignment.select(TradeAssignment.category, TradeAssignment.party).where(
        TradeAssignment.building == building.id).order_by(TradeAssignment.category).run()
    assert remembered == [{"category": "floor", "party": personas.parties["builder_b"].id},
                          {"category": "wall", "party": personas.parties["builder_a"].id}]


async def test_the_building_page_sets_the_units_per_category_on_a_phone(personas, phone360, screens):
    building, _ = await _inspection(personas)
    page = await sign_in(phone360, "alice", PASSWORD)
    await page.goto(f"/admin/buildings/{building.id}")
    await page.select_option("select[name=trade_floor]", label=personas.parties["builder_b"].name)
    async with page.expect_navigation():
        await page.click("#trades button[type=submit]")
    assert await TradeAssignment.count().where(
        (TradeAssignment.building == building.id) & (TradeAssignment.category == "floor")
        & (TradeAssignment.party == personas.parties["builder_b"].id)).run() == 1
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.locator("#trades").scroll_into_view_if_needed()
    await screens.shot(page, "building-trades")
    await assert_accessible(page, "building-trades")
