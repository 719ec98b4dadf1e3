"""Issue 10.1 in real Chromium on a phone: an inspector starts a unit, tries
to finish at once and is shown what is left, room by room; 整间合格 in each
room (one undone and done again) moves the counters without a reload; then
finishing asks in words and the unit passes. Not applicable needs a reason."""

from server import clock
from server.inspections.services import checklist_of, inspection_create
from server.inspections.tables import Inspection
from server.org.tables import Unit
from tests.e2e.conftest import assert_accessible, sign_in, whole_room_ok
from tests.support import PASSWORD


async def test_a_unit_is_finished_only_when_every_room_is_checked(personas, phone, screens):
    from server.org.services import building_create, project_create, units_bulk_create

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().where(Unit.building == building.id).first().run()
    inspection, _ = await inspection_create(actor=None, unit_id=unit.id, inspector_id=personas.user("ian").id,
                                            scheduled_for=clock.today())
    rooms = await checklist_of(inspection)
    total = sum(r["total"] for r in rooms)

    ian = await sign_in(phone, "ian", PASSWORD)
    await ian.goto(f"/inspections/{inspection.id}")
    async with ian.expect_navigation():
        await ian.click(f"form[action='/inspections/{inspection.id}/start'] button")

    # ---- finishing at once is refused, with what is left
    async with ian.expect_navigation():
        await ian.click(f"form[action='/inspections/{inspection.id}/finish'] button")
    assert ian.url.endswith(f"/inspections/{inspection.id}?unchecked=1#unchecked")
    listed = ian.locator("#unchecked")
    assert f"还有 {total} 个检查项未检查" in await listed.locator("h2").inner_text()
    assert await listed.locator("h3").count() == len(rooms)
    assert await listed.locator("li a").count() == total
    await screens.shot(ian, "finish-refused-list")
    await assert_accessible(ian, "finish-refused-list")
    assert (await Inspection.objects().get(Inspection.id == inspection.id).run()).status == "in_progress"

    # ---- 不适用 needs a reason; then it counts, without a reload
    await ian.evaluate("window.__samePage = true")
    assert (await ian.inner_text("#checklist-total")).strip() == f"已检查 0/{total} 项"
    na = rooms[0]["items"][0]
    await ian.click(f"#item-{na['id']} details.na summary")
    await ian.click(f"#item-{na['id']} .na__btn")
    assert (await ian.inner_text(f"#na-e-{na['id']}", timeout=15000)).strip() == "请填写此项不适用的原因。"
    await screens.shot(ian, "not-applicable-needs-a-reason")
    await assert_accessible(ian, "not-applicable-needs-a-reason")
    await ian.fill(f"#na-{na['id']}", "本户型无此项")
    await ian.click(f"#item-{na['id']} .na__btn")
    await ian.wait_for_function("([id, text]) => document.getElementById(id).textContent.trim() === text",
                                arg=[f"room-count-{rooms[0]['id']}", f"1/{rooms[0]['total']}"], timeout=15000)
    assert "不适用：本户型无此项" in await ian.inner_text(f"#item-{na['id']}")

    # ---- 整间合格, room by room, without a reload
    await whole_room_ok(ian, rooms[0])
    assert (await ian.inner_text("#checklist-total")).strip() == f"已检查 {rooms[0]['total']}/{total} 项"
    assert await listed.locator("h3").count() == len(rooms) - 1  # the list of what is left follows
    assert await listed.locator("li a").count() == total - rooms[0]["total"]
    await screens.shot(ian, "whole-room-ok-with-undo")
    await assert_accessible(ian, "whole-room-ok-with-undo")
    # Undo gives the room back unchecked; then it is done again.
    await ian.click(f"#room-body-{rooms[0]['id']} form[action$='/undo'] button")
    await ian.wait_for_function("([id, text]) => document.getElementById(id).textContent.trim() === text",
                                arg=[f"room-count-{rooms[0]['id']}", f"1/{rooms[0]['total']}"], timeout=15000)
    for room in rooms:
        await whole_room_ok(ian, room)
    assert await ian.evaluate("window.__samePage === true")  # every change came without a reload
    assert (await ian.inner_text("#checklist-total")).strip() == f"{total} 项已全部检查"
    assert await ian.locator("#unchecked").inner_text() == ""  # nothing left to list
    await screens.shot(ian, "every-room-checked")
    await assert_accessible(ian, "every-room-checked")

    # ---- now finishing asks in words, and the unit passes
    await ian.click(f"form[action='/inspections/{inspection.id}/finish'] button")
    question = await ian.inner_text("#app-confirm .weui-dialog__bd")
    assert question == f"确定完成 {unit.number} 的验房吗？未记录任何问题，房屋将验收通过。"
    async with ian.expect_navigation():
        await ian.locator("#app-confirm [data-answer=yes]").click()
    await screens.shot(ian, "finished-passed")
    assert (await Inspection.objects().get(Inspection.id == inspection.id).run()).status == "passed"
    assert (await Unit.objects().get(Unit.id == unit.id).run()).status == "passed"
