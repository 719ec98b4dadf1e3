"""An administrator keeps inspection checklists through the admin pages, as in a browser.

Read in English (the `lang` cookie), so these tests speak of behaviour.
"""
from __future__ import annotations

import re

import pytest

from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def app(migrated_db):
    """The app with these pages, also before server.app registers them."""
    from server.app import create_app
    from server.inspections.template_pages import TEMPLATE_PAGES

    app = create_app()
    if "/admin/checklists" not in {route.path for route in app.routes}:
        for controller in TEMPLATE_PAGES:
            app.register(controller)
    return app


async def browser(personas, name: str = "alice"):
    client = await personas.browser(name)
    client.cookies.set("lang", "en", domain="testserver.local")
    return client


async def a_project() -> dict:
    from server.org.services import building_create, project_create, unit_create, unit_type_create

    project = await project_create(actor=None, name="阳光花园")
    a1 = await unit_type_create(actor=None, project_id=project.id, name="A1")
    b2 = await unit_type_create(actor=None, project_id=project.id, name="B2")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    unit = await unit_create(actor=None, building_id=building.id, number="101", floor=1, unit_type_id=a1.id)
    return {"project": project.id, "a1": a1.id, "b2": b2.id, "unit": unit.id}


def room_names(html: str) -> list[str]:
    return re.findall(r'id="room-\d+">\s*<h2[^>]*>([^<]+)</h2>', html)


def item_titles(html: str, room_id: int) -> list[str]:
    section = html.split(f'id="room-{room_id}"', 1)[1].split('class="app-section__title"', 1)[0]
    return re.findall(r'/items/\d+/edit">([^<]+)</a>', section)


async def test_the_list_shows_which_checklist_each_unit_type_gets(personas):
    from server.inspections.template_admin import template_create

    org = await a_project()
    await template_create(actor=None, name="A1 三房", unit_type_id=org["a1"])
    page = await (await browser(personas)).get("/admin/checklists")
    assert page.status_code == 200
    text = page.text
    assert "Global default" in text and "阳光花园" in text
    assert "Unit type A1" in text and "A1 三房" in text and ">Own<" in text
    b2_cell = text.split("Unit type B2", 1)[1].split("</a>", 1)[0]
    assert "Gets the global default" in b2_cell
    assert f'/admin/checklists/new?unit_type_id={org["b2"]}' in text
    assert f'/admin/checklists/new?project_id={org["project"]}' in text


async def test_an_administrator_creates_a_unit_types_checklist_and_edits_it_through_the_forms(personas):
    org = await a_project()
    alice = await browser(personas)

    form = await alice.get(f"/admin/checklists/new?unit_type_id={org['a1']}")
    assert form.status_code == 200
    assert f'value="unit_type:{org["a1"]}" selected' in form.text
    created = await alice.post("/admin/checklists", data={"name": "A1 三房", "target": f"unit_type:{org['a1']}",
                                                          "copy_from_id": ""}, follow_redirects=False)
    assert created.status_code == 303, created.text
    template = await ChecklistTemplate.objects().get(ChecklistTemplate.unit_type == org["a1"]).run()
    assert created.headers["location"] == f"/admin/checklists/{template.id}"
    page = await alice.get(created.headers["location"])
    assert "Checklist created" in page.text
    assert room_names(page.text)[:2] == ["入户门/玄关", "客厅"]
    base = f"/admin/checklists/{template.id}"

    added = await alice.post(f"{base}/rooms", data={"name": "衣帽间"}, follow_redirects=False)
    assert added.status_code == 303
    room = await ChecklistRoom.objects().get((ChecklistRoom.template == template.id)
                                             & (ChecklistRoom.name == "衣帽间")).run()
    assert added.headers["location"] == f"{base}#room-{room.id}"
    assert (await alice.get(f"{base}/rooms/{room.id}/edit")).status_code == 200
    renamed = await alice.post(f"{base}/rooms/{room.id}", data={"name": "主卧衣帽间"}, follow_redirects=False)
    assert renamed.status_code == 303

    item_form = await alice.get(f"{base}/rooms/{room.id}/items/new")
    assert item_form.status_code == 200 and 'value="door_window"' in item_form.text
    for title, category in (("柜门", "door_window"), ("照明", "electrical")):
        made = await alice.post(f"{base}/rooms/{room.id}/items",
                                data={"title": title, "category": category, "criteria": "工作正常。"},
                                follow_redirects=False)
        assert made.status_code == 303, made.text
    light = await ChecklistItem.objects().get((ChecklistItem.room == room.id) & (ChecklistItem.title == "照明")).run()
    edit = await alice.get(f"{base}/items/{light.id}/edit")
    assert edit.status_code == 200 and "工作正常。" in edit.text
    saved = await alice.post(f"{base}/items/{light.id}", data={"title": "灯具", "category": "electrical",
                                                               "criteria": "灯具齐全、开关有效。"},
                             follow_redirects=False)
    assert saved.status_code == 303

    # Moving with htmx answers just the rooms, in their new order.
    moved = await alice.post(f"{base}/items/{light.id}/move", data={"direction": "up"}, headers=HX)
    assert moved.status_code == 200
    assert "<html" not in moved.text and 'id="rooms"' in moved.text
    assert item_titles(moved.text, room.id) == ["灯具", "柜门"]
    # Without JS, a plain form goes back to the page.
    up = await alice.post(f"{base}/rooms/{room.id}/move", data={"direction": "up"}, follow_redirects=False)
    assert up.status_code == 303
    page = await alice.get(base)
    names = room_names(page.text)
    assert names[-2:] == ["主卧衣帽间", "阳台"]

    deleted = await alice.post(f"{base}/items/{light.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    assert item_titles((await alice.get(base)).text, room.id) == ["柜门"]
    gone = await alice.post(f"{base}/rooms/{room.id}/delete", follow_redirects=False)
    assert gone.status_code == 303
    assert "主卧衣帽间" not in room_names((await alice.get(base)).text)

    renamed = await alice.post(base, data={"name": "A1 三房（新）"}, follow_redirects=False)
    assert renamed.status_code == 303
    assert "A1 三房（新）" in (await alice.get(base)).text


async def test_bad_forms_come_back_with_their_messages_and_what_was_typed(personas):
    from server.inspections.template_admin import template_create

    org = await a_project()
    alice = await browser(personas)
    no_name = await alice.post("/admin/checklists", data={"name": " ", "target": f"project:{org['project']}"})
    assert no_name.status_code == 400
    assert "This field is required." in no_name.text
    assert f'value="project:{org["project"]}" selected' in no_name.text
    no_target = await alice.post("/admin/checklists", data={"name": "X", "target": ""}, headers=HX)
    assert no_target.status_code == 400 and "<html" not in no_target.text
    assert 'id="e-target"' in no_target.text and 'value="X"' in no_target.text
    assert await ChecklistTemplate.count().run() == 0

    template = await template_create(actor=None, name="A1", unit_type_id=org["a1"])
    room = await ChecklistRoom.objects().where(ChecklistRoom.template == template.id).first().run()
    bad_item = await alice.post(f"/admin/checklists/{template.id}/rooms/{room.id}/items",
                                data={"title": "鞋柜", "category": "", "criteria": "稳固"})
    assert bad_item.status_code == 400
    assert "Choose a category." in bad_item.text and 'value="鞋柜"' in bad_item.text and "稳固" in bad_item.text
    same_room = await alice.post(f"/admin/checklists/{template.id}/rooms", data={"name": room.name}, headers=HX)
    assert same_room.status_code == 400 and 'id="room-form"' in same_room.text
    assert "already has a room with this name" in same_room.text


async def test_a_checklist_in_use_reads_only_and_refuses_changes(personas):
    from server.inspections.services import inspection_create
    from server.inspections.template_admin import template_create

    org = await a_project()
    template = await template_create(actor=None, name="A1", unit_type_id=org["a1"])
    await inspection_create(actor=None, unit_id=org["unit"])
    alice = await browser(personas)
    page = await alice.get(f"/admin/checklists/{template.id}")
    assert page.status_code == 200
    assert "Used by 1 inspection, so its rooms and items can no longer change" in page.text
    assert "Add a room" not in page.text and "/move" not in page.text
    assert f"/admin/checklists/new?copy_from_id={template.id}" in page.text
    refused = await alice.post(f"/admin/checklists/{template.id}/rooms", data={"name": "储藏室"})
    assert refused.status_code == 409
    assert "Copy it to a new checklist" in refused.text
    assert not await ChecklistRoom.exists().where(ChecklistRoom.name == "储藏室").run()


async def test_only_administrators_open_the_checklist_pages(personas):
    await a_project()
    for name in ("carol", "ian", "bob"):
        client = await browser(personas, name)
        assert (await client.get("/admin/checklists")).status_code == 403, name
        assert (await client.get("/admin/checklists/new")).status_code == 403, name
