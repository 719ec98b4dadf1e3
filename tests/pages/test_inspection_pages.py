"""The inspector and CS pages of house inspection, used as a browser uses them:
plans and schedule, 今日任务, the unit page, recording a defect, thumbnails
that poll until ready, marking up a photo, a defect's page and the history.

The pages are read in English (the `lang` cookie) so these tests speak of
behaviour, not of the Chinese catalog, which has its own test.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from server import clock
from server.inspections.tables import Defect, Inspection, InspectionAttendee, ItemResult
from server.photos.tables import Photo
from tests.inspections.support import (
    check_all,
    check_all_rooms,
    defect_form,
    new_id,
    photo_files,
    unit_under_inspection,
)
from tests.photos.support import run_worker

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def app(migrated_db):
    """The app with these pages, also before server.app registers them."""
    from server.app import create_app
    from server.inspections.pages import PAGES

    app = create_app()
    if "/inspections" not in {route.path for route in app.routes}:
        for controller in PAGES:
            app.register(controller)
    return app


async def browser(personas, name: str):
    client = await personas.browser(name)
    client.cookies.set("lang", "en", domain="testserver.local")
    return client


def builder_a(personas) -> int:
    return personas.parties["builder_a"].id


async def record(client, inspection_id: int, form: dict, photos: int = 1, headers: dict | None = None):
    return await client.post(f"/inspections/{inspection_id}/defects", data=form,
                             files=photo_files(photos) if photos else None,
                             headers=HX if headers is None else headers)


async def first_item(inspection_id: int) -> dict:
    from server.inspections.services import checklist_of

    inspection = await Inspection.objects().get(Inspection.id == inspection_id).run()
    room = (await checklist_of(inspection))[0]
    return {**room["items"][0], "room_name": room["name"]}


# ---------------------------------------------------------------- who sees what

async def test_each_page_opens_for_its_roles_and_refuses_the_others(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    made = await record(ian, inspection["id"], defect_form(builder_a(personas)))
    defect_id = (await Defect.objects().first().run()).id
    assert made.status_code == 201

    pages = {
        "/inspections": {"ian", "carol", "alice"},
        f"/inspections/{inspection['id']}": {"ian", "carol", "alice", "sam"},
        f"/inspections/{inspection['id']}/defects/new": {"ian", "carol", "alice"},
        "/inspection-plans": {"carol", "alice"},
        "/inspection-plans/new": {"carol", "alice"},
        f"/inspections/defects/{defect_id}": {"ian", "carol", "alice", "sam"},
    }
    for name in ("ian", "carol", "alice", "sam", "bob", "olga"):
        client = await browser(personas, name)
        for path, allowed in pages.items():
            response = await client.get(path)
            if name in allowed:
                assert response.status_code == 200, (name, path, response.text[:300])
            else:
                assert response.status_code == 403, (name, path, response.status_code)
    signed_out = await personas.browser("ian")
    await signed_out.post("/logout")
    assert (await signed_out.get("/inspections", follow_redirects=False)).status_code == 303


async def test_a_reader_sees_the_unit_but_not_the_inspectors_buttons(personas):
    _, inspection = await unit_under_inspection(personas)
    sam = await browser(personas, "sam")
    page = (await sam.get(f"/inspections/{inspection['id']}")).text
    assert "Inspecting" in page
    assert "data-capture" not in page and "Finish inspection" not in page
    ian_page = (await (await browser(personas, "ian")).get(f"/inspections/{inspection['id']}")).text
    assert "data-capture" in ian_page and "Finish inspection" in ian_page and 'capture="environment"' in ian_page


# ---------------------------------------------------------------- plans and schedule

async def _project(name: str = "阳光花园"):
    from server.org.services import building_create, project_create, units_bulk_create

    project = await project_create(actor=None, name=name)
    buildings = []
    for building_name in ("1号楼", "2号楼"):
        building = await building_create(actor=None, project_id=project.id, name=building_name)
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=2, units_per_floor=2)
        buildings.append(building)
    return project, buildings


async def test_a_planner_creates_a_plan_and_adds_units_by_building_and_floor(personas):
    project, (first, second) = await _project()
    carol = await browser(personas, "carol")
    today = clock.today()
    created = await carol.post("/inspection-plans", data={
        "project_id": str(project.id), "name": "一期分户验收", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=5)).isoformat()}, follow_redirects=False)
    assert created.status_code == 303
    plan_url = created.headers["location"]
    plan_id = int(plan_url.rsplit("/", 1)[1])

    added = await carol.post(f"{plan_url}/units", data={
        "building_id": str(first.id), "floor_from": "2", "floor_to": "2", "scheduled_for": today.isoformat(),
        "inspector_id": str(personas.user("ian").id)}, follow_redirects=False)
    assert added.status_code == 303
    page = await carol.get(plan_url)
    assert "2 units added to the plan." in page.text
    assert await Inspection.count().where(Inspection.plan == plan_id).run() == 2

    listed = await carol.get(f"/inspection-plans?project_id={project.id}")
    assert "一期分户验收" in listed.text and "0 of 2 units inspected" in listed.text


async def test_a_bad_plan_form_comes_back_with_messages_and_what_was_typed(personas):
    project, (first, _) = await _project()
    carol = await browser(personas, "carol")
    bad = await carol.post("/inspection-plans", data={"project_id": str(project.id), "name": "二期",
                                                       "starts_on": "2026-12-10", "ends_on": "2026-12-01"})
    assert bad.status_code == 400
    assert "The end date must not be before the start date." in bad.text and 'value="二期"' in bad.text

    from server.inspections.services import plan_create

    plan = await plan_create(actor=None, project_id=project.id, name="一期", starts_on=dt.date(2026, 12, 1),
                             ends_on=dt.date(2026, 12, 3))
    no_units = await carol.post(f"/inspection-plans/{plan.id}/units", data={
        "building_id": str(first.id), "floor_from": "7", "floor_to": "9", "scheduled_for": "2026-12-02"},
        headers=HX)
    assert no_units.status_code == 400
    assert "This building has no units on these floors." in no_units.text and 'value="7"' in no_units.text
    outside = await carol.post(f"/inspection-plans/{plan.id}/units", data={
        "building_id": str(first.id), "floor_from": "1", "floor_to": "1", "scheduled_for": "2027-01-01"})
    assert outside.status_code == 400 and "within the plan" in outside.text
    assert await Inspection.count().run() == 0


async def test_the_schedule_shows_planned_against_done_in_percent(personas):
    from server.inspections import plans, services
    from server.org.tables import Unit

    project, (first, second) = await _project()
    plan = await services.plan_create(actor=None, project_id=project.id, name="一期", starts_on=dt.date(2026, 12, 1),
                                      ends_on=dt.date(2026, 12, 3))
    ids = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == first.id).order_by(Unit.id).run()]
    await plans.plan_add_units(actor=None, plan=plan, unit_ids=ids, scheduled_for=dt.date(2026, 12, 1),
                               inspector_id=None)
    done = await Inspection.objects().where(Inspection.plan == plan.id).first().run()
    await services.inspection_start(actor=None, inspection=done)
    await check_all_rooms(done)
    await services.inspection_complete(actor=None, inspection=done)

    page = await (await browser(personas, "carol")).get(f"/inspection-plans/{plan.id}")
    assert page.status_code == 200
    assert "25%" in page.text and 'aria-valuenow="25"' in page.text
    assert "1号楼" in page.text and "2026-12-01" in page.text and "1 of 4" in page.text


# ---------------------------------------------------------------- 今日任务

async def test_today_lists_my_inspections_by_building_and_floor_with_status_and_open_defects(personas):
    from server.inspections.services import inspection_create
    from server.org.tables import Unit

    unit, inspection = await unit_under_inspection(personas)
    today = clock.today()
    await Inspection.update({Inspection.scheduled_for: today}).where(Inspection.id == inspection["id"]).run()
    other_unit = await Unit.objects().where((Unit.building == unit["building_id"]) & (Unit.floor == 2)).first().run()
    await inspection_create(actor=None, unit_id=other_unit.id, inspector_id=personas.user("ian").id,
                            scheduled_for=today + dt.timedelta(days=3))
    await inspection_create(actor=None, unit_id=other_unit.id, inspector_id=personas.user("carol").id,
                            scheduled_for=today)  # someone else's
    ian = await browser(personas, "ian")
    await record(ian, inspection["id"], defect_form(builder_a(personas)))

    page = (await ian.get("/inspections")).text
    today_part, others_part = page.split('id="others"')
    assert "1号楼" in today_part and ">101<" in today_part and "Inspecting" in today_part
    assert "1 open defect" in today_part
    assert ">201<" in others_part and "Planned" in others_part and "2F" in others_part
    assert page.count('class="task-tile"') == 2


async def test_today_is_the_china_date_whatever_the_server_clock_says(personas, monkeypatch):
    """From 00:00 to 08:00 in China the server's UTC date is still yesterday;
    an inspector's 今日任务 follow the China date (server/clock.py)."""
    _, inspection = await unit_under_inspection(personas)
    china_day = dt.date.today() + dt.timedelta(days=40)  # a day the server's own clock is not on
    await Inspection.update({Inspection.scheduled_for: china_day}).where(Inspection.id == inspection["id"]).run()
    monkeypatch.setattr(clock, "today", lambda: china_day)
    ian = await browser(personas, "ian")
    today_part, others_part = (await ian.get("/inspections")).text.split('id="others"')
    assert today_part.count('class="task-tile"') == 1
    assert 'class="task-tile"' not in others_part


# ---------------------------------------------------------------- the unit page

async def test_start_attendees_and_finish_through_the_page(personas):
    from server.inspections.services import inspection_create
    from server.org.tables import Unit

    unit, running = await unit_under_inspection(personas)
    other = await Unit.objects().where(Unit.building == unit["building_id"]).order_by(Unit.id, ascending=False) \
        .first().run()
    inspection, _ = await inspection_create(actor=None, unit_id=other.id, inspector_id=personas.user("ian").id)
    ian = await browser(personas, "ian")
    url = f"/inspections/{inspection.id}"

    started = await ian.post(f"{url}/start", follow_redirects=False)
    assert started.status_code == 303
    assert "Inspection started" in (await ian.get(url)).text

    missing = await ian.post(f"{url}/attendees", data={"kind": "supervision_unit", "person": " "}, headers=HX)
    assert missing.status_code == 400 and "This field is required." in missing.text
    assert 'value="supervision_unit" checked' in missing.text
    added = await ian.post(f"{url}/attendees", data={"kind": "supervision_unit", "person": "周监理"}, headers=HX)
    assert added.status_code == 200 and "周监理" in added.text and "Supervision unit" in added.text
    assert await InspectionAttendee.count().run() == 1

    await record(ian, inspection.id, defect_form(builder_a(personas)))
    page = (await ian.get(url)).text
    await check_all(await personas.api("ian"), inspection.id)
    page = (await ian.get(url)).text
    assert "1 open defects go to 1 construction units" in page  # the finish button asks in words
    finished = await ian.post(f"{url}/finish", follow_redirects=False)
    assert finished.status_code == 303
    page = (await ian.get(url)).text
    assert "1 rectification notice sent: ZG" in page and "Builder A" in page
    assert "Rectifying" in page and "Finish inspection" not in page
    assert (await ian.post(f"/inspections/{running['id']}/start")).status_code == 409  # already started


async def test_marking_an_item_ok_swaps_just_its_cell(personas):
    _, inspection = await unit_under_inspection(personas)
    item = await first_item(inspection["id"])
    ian = await browser(personas, "ian")
    page = (await ian.get(f"/inspections/{inspection['id']}")).text
    assert f'id="item-{item["id"]}"' in page and "Not checked" in page

    cell = await ian.post(f"/inspections/{inspection['id']}/items/{item['id']}", headers=HX)
    assert cell.status_code == 200
    assert cell.text.lstrip().startswith(f'<div class="check-item" id="item-{item["id"]}">')
    assert 'aria-pressed="true"' in cell.text and "<html" not in cell.text
    assert (await ItemResult.objects().first().run()).result == "ok"

    plain = await ian.post(f"/inspections/{inspection['id']}/items/{item['id']}", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"].startswith(f"/inspections/{inspection['id']}?room=")


# ---------------------------------------------------------------- recording a defect

async def test_recording_a_defect_returns_to_the_unit_with_it_on_top(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    item = await first_item(inspection["id"])
    form = defect_form(builder_a(personas), room=item["room_name"], category=item["category"],
                       checklist_item_id=str(item["id"]), captured_at="2026-12-01T02:03:04.000Z")
    first = await record(ian, inspection["id"], form, photos=2)
    assert first.status_code == 201
    defect = await Defect.objects().order_by(Defect.id, ascending=False).first().run()
    assert first.headers["HX-Redirect"].endswith(f"#defect-{defect.id}")
    assert defect.checklist_item == item["id"] and defect.captured_at is not None
    assert await Photo.count().where(Photo.subject_id == defect.id).run() == 2

    second = await record(ian, inspection["id"], defect_form(builder_a(personas), description="插座不通电"),
                          headers={})  # a plain form post: 303
    assert second.status_code == 303
    page = (await ian.get(second.headers["location"])).text
    assert "Defect recorded." in page
    rows = re.findall(r'class="defect-row" id="defect-(\d+)"', page)
    assert rows[0] != str(defect.id) and rows[1] == str(defect.id)  # newest on top
    assert "Processing" in page  # its thumbnails are still being made
    assert "1 defect" in page  # the checklist item shows its defect


async def test_a_repeated_client_id_makes_no_second_defect(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    form = defect_form(builder_a(personas))
    assert (await record(ian, inspection["id"], form)).status_code == 201
    again = await record(ian, inspection["id"], form)
    assert again.status_code == 200 and "HX-Redirect" in again.headers
    assert await Defect.count().run() == 1 and await Photo.count().run() == 1


async def test_a_bad_defect_form_comes_back_400_with_messages_and_what_was_typed(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    form = defect_form(builder_a(personas), category="", construction_unit_id="", description="窗框打胶不连续",
                       room="主卧", pin_x="2")
    bad = await record(ian, inspection["id"], form)
    assert bad.status_code == 400
    assert "<html" not in bad.text  # just the form, for the script to read
    assert "Please correct the marked fields." in bad.text
    assert re.search(r'data-error-for="category">Choose a category\.<', bad.text)
    assert re.search(r'data-error-for="pin_x">Enter a number between 0 and 1\.<', bad.text)
    assert "窗框打胶不连续</textarea>" in bad.text
    assert 'value="主卧" checked' in bad.text and 'value="minor" checked' in bad.text
    assert f'value="{form["client_id"]}"' in bad.text
    assert await Defect.count().run() == 0 and await Photo.count().run() == 0


async def test_the_capture_form_is_prefilled_from_the_item_and_says_when_there_is_no_floor_plan(personas):
    from server.inspections.tables import TradeAssignment

    unit, inspection = await unit_under_inspection(personas)
    await TradeAssignment.insert(TradeAssignment(building=unit["building_id"], category="door_window",
                                                 party=personas.parties["builder_b"].id)).run()
    item = next(i for i in [await first_item(inspection["id"])] if i)
    ian = await browser(personas, "ian")
    page = (await ian.get(f"/inspections/{inspection['id']}/defects/new?item={item['id']}")).text
    assert f'name="checklist_item_id" value="{item["id"]}"' in page
    assert f'value="{item["room_name"]}" checked' in page and f'value="{item["category"]}" checked' in page
    assert "has no floor plan yet" in page
    assert "&#34;door_window&#34;: %d" % personas.parties["builder_b"].id in page  # default party per category
    assert 'name="_csrf_token"' not in page.split('id="capture-form"')[1]  # uploads send the header only


# ---------------------------------------------------------------- photos: polling, markup

async def _digest(key: str) -> str:
    from server.photos.storage import get_storage

    return hashlib.sha256(await get_storage().read_bytes(key)).hexdigest()


async def test_thumbnails_poll_until_the_photos_are_ready_then_stop_with_286(personas):
    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    await record(ian, inspection["id"], defect_form(builder_a(personas)), photos=2)
    defect = await Defect.objects().first().run()
    url = f"/inspections/defects/{defect.id}/photos?view=list"

    waiting = await ian.get(url, headers=HX)
    assert waiting.status_code == 200
    assert 'hx-trigger="every 2s"' in waiting.text and "Processing" in waiting.text

    await run_worker(WorkerSettings)
    ready = await ian.get(url, headers=HX)
    assert ready.status_code == 286
    assert "hx-trigger" not in ready.text and ready.text.count('/thumb"') == 2


async def test_a_markup_becomes_a_new_photo_and_leaves_the_original_alone(personas):
    from tests.photos.images import plain_jpeg
    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    await record(ian, inspection["id"], defect_form(builder_a(personas)))
    await run_worker(WorkerSettings)
    defect = await Defect.objects().first().run()
    original = await Photo.objects().first().run()
    before = await _digest(original.original_key)

    page = await ian.get(f"/inspections/defects/{defect.id}/photos/{original.id}/markup")
    assert page.status_code == 200 and f"/photos/{original.id}/display" in page.text

    client_id = new_id()
    marked = await ian.post(f"/inspections/defects/{defect.id}/markup", data={"client_id": client_id},
                            files=[("photos", ("markup.jpg", plain_jpeg(color=(200, 20, 20)), "image/jpeg"))],
                            headers=HX)
    assert marked.status_code == 201 and marked.headers["HX-Redirect"] == f"/inspections/defects/{defect.id}"
    again = await ian.post(f"/inspections/defects/{defect.id}/markup", data={"client_id": client_id},
                           files=[("photos", ("markup.jpg", plain_jpeg(color=(200, 20, 20)), "image/jpeg"))],
                           headers=HX)
    assert again.status_code == 200
    photos = await Photo.objects().where(Photo.subject_id == defect.id).order_by(Photo.id).run()
    assert len(photos) == 2 and photos[1].stage == "found" and photos[1].id != original.id
    unchanged = photos[0]
    assert (unchanged.original_key, unchanged.status, unchanged.byte_size) == (
        original.original_key, original.status, original.byte_size)
    assert await _digest(unchanged.original_key) == before
    sam = await browser(personas, "sam")
    assert (await sam.post(f"/inspections/defects/{defect.id}/markup", files=photo_files(1))).status_code == 403


# ---------------------------------------------------------------- a defect and the history

async def test_the_defect_page_shows_status_overdue_days_reopens_and_its_history(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    await record(ian, inspection["id"], defect_form(builder_a(personas)))
    await check_all(await personas.api("ian"), inspection["id"])
    await ian.post(f"/inspections/{inspection['id']}/finish")
    defect = await Defect.objects().first().run()
    three_days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3, hours=1)
    await Defect.update({Defect.deadline: three_days_ago, Defect.reopen_count: 2}).where(
        Defect.id == defect.id).run()

    page = (await (await browser(personas, "carol")).get(f"/inspections/defects/{defect.id}")).text
    assert "To rectify" in page and "Builder A" in page
    assert '<span class="overdue">Overdue 3 days</span>' in page
    assert "2 times" in page
    assert "Defect recorded" in page and "Ian" in page
    assert "Before" in page  # the photos, by stage


async def test_the_unit_history_reads_as_steps(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    await ian.post(f"/inspections/{inspection['id']}/attendees", data={"kind": "construction_unit", "person": "陈工"})
    await record(ian, inspection["id"], defect_form(builder_a(personas)))
    await check_all(await personas.api("ian"), inspection["id"])
    await ian.post(f"/inspections/{inspection['id']}/finish")
    page = (await ian.get(f"/inspections/{inspection['id']}")).text
    assert f'hx-get="/inspections/{inspection["id"]}/history"' in page  # folded: fetched when opened
    fragment = await ian.get(f"/inspections/{inspection['id']}/history", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    history = fragment.text.split('class="timeline"')[1]
    steps = re.findall(r'<div class="timeline__what">([^<(]+)', history)
    steps = [s.strip() for s in steps]
    assert steps[-1] == "Inspection planned"
    for expected in ("Inspection started", "Attendee recorded: 陈工", "Defect recorded",
                     "Rectification notice issued", "Inspection finished with defects to rectify",
                     "Unit status changed"):
        assert expected in steps, (expected, steps)
    assert "Not inspected → Inspecting" in history and "Carol" in history and "Ian" in history


# ---------------------------------------------------------------- no N+1 behind the lists

async def _queries(monkeypatch, client, path: str) -> int:
    """The queries of a second visit: the first may read reference rows that a change (an
    inspector's trade choice remembered with a defect) made the process forget."""
    from tests.inspections.test_query_counts import QueryCounter

    assert (await client.get(path)).status_code == 200
    counter = QueryCounter(monkeypatch)
    response = await client.get(path)
    monkeypatch.undo()
    assert response.status_code == 200
    return counter.count


async def test_today_and_the_unit_page_cost_the_same_for_few_or_many_rows(personas, monkeypatch):
    from server.inspections.services import inspection_create
    from server.org.tables import Unit

    unit, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    await record(ian, inspection["id"], defect_form(builder_a(personas)))
    few_today = await _queries(monkeypatch, ian, "/inspections")
    few_unit = await _queries(monkeypatch, ian, f"/inspections/{inspection['id']}")

    for other in await Unit.objects().where(Unit.building == unit["building_id"]).run():
        await inspection_create(actor=None, unit_id=other.id, inspector_id=personas.user("ian").id,
                                scheduled_for=clock.today())
    for _ in range(4):
        await record(ian, inspection["id"], defect_form(builder_a(personas)), photos=2)
    assert await _queries(monkeypatch, ian, "/inspections") == few_today
    assert await _queries(monkeypatch, ian, f"/inspections/{inspection['id']}") == few_unit
