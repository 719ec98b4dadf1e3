"""An administrator keeps checklist templates per project and unit type through
the API; inspections keep the checklist they were created with."""
from __future__ import annotations

import pytest

from server.audit.tables import AuditEntry
from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate, Inspection

BASE = "/api/v1/checklist-templates"


@pytest.fixture(scope="module")
def app(migrated_db):
    """The app with the template API, also before server.app registers it."""
    from server.app import create_app
    from server.inspections.template_api import TemplateApi

    app = create_app()
    if BASE not in {route.path for route in app.routes}:
        app.register(TemplateApi)
    return app


async def a_project_with_two_unit_types() -> dict:
    """阳光花园 with unit types A1 and B2 and one unit of each in 1号楼."""
    from server.org.services import building_create, project_create, unit_create, unit_type_create

    project = await project_create(actor=None, name="阳光花园")
    a1 = await unit_type_create(actor=None, project_id=project.id, name="A1")
    b2 = await unit_type_create(actor=None, project_id=project.id, name="B2")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    unit_a1 = await unit_create(actor=None, building_id=building.id, number="101", floor=1, unit_type_id=a1.id)
    unit_b2 = await unit_create(actor=None, building_id=building.id, number="102", floor=1, unit_type_id=b2.id)
    return {"project": project.id, "a1": a1.id, "b2": b2.id, "unit_a1": unit_a1.id, "unit_b2": unit_b2.id}


async def api(personas, name: str):
    """A persona's API client that reads messages in English."""
    client = await personas.api(name)
    client.headers["Accept-Language"] = "en"
    return client


def shape(template: dict) -> list:
    """Rooms and items as (name, [(title, category, criteria)]), ids left out."""
    return [(room["name"], [(i["title"], i["category"], i["criteria"]) for i in room["items"]])
            for room in template["rooms"]]


async def start_inspection(personas, unit_id: int) -> dict:
    carol, ian = await personas.api("carol"), await personas.api("ian")
    made = await carol.post("/api/v1/inspections", json={"unit_id": unit_id, "inspector_id": personas.user("ian").id})
    assert made.status_code == 201, made.text
    started = await ian.post(f"/api/v1/inspections/{made.json()['id']}/start")
    assert started.status_code == 200, started.text
    return started.json()


async def checklist(inspection_id: int) -> list:
    from server.inspections.services import checklist_of

    inspection = await Inspection.objects().get(Inspection.id == inspection_id).run()
    return [(room["name"], [(i["id"], i["title"], i["category"]) for i in room["items"]])
            for room in await checklist_of(inspection)]


# ---------------------------------------------------------------- creating by copy

async def test_a_new_template_copies_the_rooms_and_items_its_target_gets_now(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")

    project_made = await alice.post(BASE, json={"name": "阳光花园标准", "project_id": org["project"]})
    assert project_made.status_code == 201, project_made.text
    project_template = project_made.json()
    default = await ChecklistTemplate.objects().get(ChecklistTemplate.project.is_null()).run()
    default_json = (await alice.get(f"{BASE}/{default.id}")).json()
    assert project_template["scope"] == "project" and project_template["project_name"] == "阳光花园"
    assert shape(project_template) == shape(default_json)
    assert project_template["items_count"] == default_json["items_count"] > 20
    # Copies, not the same rows.
    assert not {r["id"] for r in project_template["rooms"]} & {r["id"] for r in default_json["rooms"]}

    # The project's template gets a storage room; A1, which now gets the project's, copies that.
    room = await alice.post(f"{BASE}/{project_template['id']}/rooms", json={"name": "储藏室"})
    assert room.status_code == 201
    a1_made = await alice.post(BASE, json={"name": "A1 户型", "unit_type_id": org["a1"]})
    assert a1_made.status_code == 201, a1_made.text
    a1_template = a1_made.json()
    assert a1_template["scope"] == "unit_type" and a1_template["project_id"] == org["project"]
    assert a1_template["unit_type_name"] == "A1" and a1_template["unit_type_ids"] == [org["a1"]]
    assert [r["name"] for r in a1_template["rooms"]][-1] == "储藏室"
    assert shape(a1_template) == shape((await alice.get(f"{BASE}/{project_template['id']}")).json())
    assert await AuditEntry.count().where((AuditEntry.object_type == "checklist_template")
                                          & (AuditEntry.action == "create")).run() == 2


async def test_a_template_can_copy_a_chosen_one(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    a1 = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    await alice.post(f"{BASE}/{a1['id']}/rooms", json={"name": "露台"})
    b2 = await alice.post(BASE, json={"name": "B2", "unit_type_id": org["b2"], "copy_from_id": a1["id"]})
    assert b2.status_code == 201
    assert shape(b2.json()) == shape((await alice.get(f"{BASE}/{a1['id']}")).json())


async def test_the_list_puts_the_default_first_and_says_which_unit_types_use_which(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    a1 = (await alice.post(BASE, json={"name": "A1 户型", "unit_type_id": org["a1"]})).json()
    project = (await alice.post(BASE, json={"name": "阳光花园标准", "project_id": org["project"]})).json()

    listed = (await alice.get(BASE)).json()
    assert listed["total"] == 3
    assert [t["scope"] for t in listed["items"]] == ["default", "project", "unit_type"]
    by_id = {t["id"]: t for t in listed["items"]}
    assert by_id[a1["id"]]["unit_type_ids"] == [org["a1"]]
    assert by_id[project["id"]]["unit_type_ids"] == [org["b2"]]
    assert listed["items"][0]["unit_type_ids"] == []


# ---------------------------------------------------------------- editing

async def test_an_administrator_edits_rooms_and_items(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    template = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    base = f"{BASE}/{template['id']}"

    renamed = await alice.patch(base, json={"name": "A1 三房"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "A1 三房"

    room = (await alice.post(f"{base}/rooms", json={"name": "衣帽间"})).json()
    assert room["position"] == len(template["rooms"])
    moved = await alice.patch(f"{base}/rooms/{room['id']}", json={"name": "衣帽间（主卧）", "position": 0})
    assert moved.status_code == 200 and moved.json()["position"] == 0

    first = await alice.post(f"{base}/rooms/{room['id']}/items",
                             json={"title": "柜门", "category": "door_window", "criteria": "开关顺畅。"})
    second = await alice.post(f"{base}/rooms/{room['id']}/items", json={"title": "照明", "category": "electrical"})
    assert first.status_code == second.status_code == 201
    edited = await alice.patch(f"{base}/items/{second.json()['id']}",
                               json={"criteria": "灯具工作正常。", "position": 0})
    assert edited.status_code == 200
    assert edited.json()["criteria"] == "灯具工作正常。" and edited.json()["position"] == 0

    now = (await alice.get(base)).json()
    assert now["rooms"][0]["name"] == "衣帽间（主卧）"
    assert [r["position"] for r in now["rooms"]] == list(range(len(now["rooms"])))
    assert [(i["title"], i["category"]) for i in now["rooms"][0]["items"]] == [
        ("照明", "electrical"), ("柜门", "door_window")]

    assert (await alice.delete(f"{base}/items/{first.json()['id']}")).status_code == 204
    old_room = now["rooms"][1]
    assert (await alice.delete(f"{base}/rooms/{old_room['id']}")).status_code == 204
    assert not await ChecklistItem.exists().where(ChecklistItem.room == old_room["id"]).run()
    after = (await alice.get(base)).json()
    assert [r["name"] for r in after["rooms"]] == [r["name"] for r in now["rooms"] if r["id"] != old_room["id"]]
    assert [i["title"] for i in after["rooms"][0]["items"]] == ["照明"]

    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "checklist_template") & (AuditEntry.object_id == str(template["id"])))
        .order_by(AuditEntry.id).run()]
    assert actions == ["create", "rename", "room_add", "room_update", "item_add", "item_add", "item_update",
                       "item_delete", "room_delete"]


async def test_a_room_or_item_of_another_template_is_not_found(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    a1 = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    b2 = (await alice.post(BASE, json={"name": "B2", "unit_type_id": org["b2"]})).json()
    room, item = b2["rooms"][0], b2["rooms"][0]["items"][0]
    assert (await alice.patch(f"{BASE}/{a1['id']}/rooms/{room['id']}", json={"name": "x"})).status_code == 404
    assert (await alice.delete(f"{BASE}/{a1['id']}/items/{item['id']}")).status_code == 404
    assert (await alice.get(f"{BASE}/999999")).status_code == 404


# ---------------------------------------------------------------- inspections keep their checklist

async def test_a_template_in_use_refuses_edits_and_the_inspection_keeps_its_checklist(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    template = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    base = f"{BASE}/{template['id']}"
    inspection = await start_inspection(personas, org["unit_a1"])
    before = await checklist(inspection["id"])
    room, item = template["rooms"][0], template["rooms"][0]["items"][0]

    refused = [
        await alice.post(f"{base}/rooms", json={"name": "储藏室"}),
        await alice.patch(f"{base}/rooms/{room['id']}", json={"name": "门厅"}),
        await alice.patch(f"{base}/rooms/{room['id']}", json={"position": 3}),
        await alice.delete(f"{base}/rooms/{room['id']}"),
        await alice.post(f"{base}/rooms/{room['id']}/items", json={"title": "鞋柜", "category": "equipment"}),
        await alice.patch(f"{base}/items/{item['id']}", json={"title": "大门"}),
        await alice.delete(f"{base}/items/{item['id']}"),
        await alice.delete(base),
    ]
    assert [r.status_code for r in refused] == [409] * len(refused)
    assert "used by 1 inspection" in refused[0].json()["detail"]
    assert "Copy it to a new checklist" in refused[0].json()["detail"]
    assert (await alice.get(base)).json()["inspections"] == 1
    assert await checklist(inspection["id"]) == before

    # Renaming changes nothing that was checked, so it stays allowed.
    assert (await alice.patch(base, json={"name": "A1（2025 版）"})).status_code == 200

    # The way forward: copy it for the other unit type and edit the copy.
    copy = await alice.post(BASE, json={"name": "B2", "unit_type_id": org["b2"], "copy_from_id": template["id"]})
    assert copy.status_code == 201
    assert (await alice.post(f"{BASE}/{copy.json()['id']}/rooms", json={"name": "储藏室"})).status_code == 201
    assert await checklist(inspection["id"]) == before


async def test_an_item_with_recorded_results_is_never_deleted(personas):
    """Even when no inspection points at the template any more (older data)."""
    org = await a_project_with_two_unit_types()
    alice, ian = await api(personas, "alice"), await personas.api("ian")
    template = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    inspection = await start_inspection(personas, org["unit_a1"])
    room = template["rooms"][0]
    item_id = room["items"][0]["id"]
    marked = await ian.post(f"/api/v1/inspections/{inspection['id']}/items/{item_id}", json={"result": "ok"})
    assert marked.status_code == 200, marked.text
    await Inspection.update({Inspection.template: None}).where(Inspection.id == inspection["id"]).run()

    item = await alice.delete(f"{BASE}/{template['id']}/items/{item_id}")
    whole_room = await alice.delete(f"{BASE}/{template['id']}/rooms/{room['id']}")
    assert item.status_code == whole_room.status_code == 409
    assert "recorded results" in item.json()["detail"]
    assert await ChecklistItem.exists().where(ChecklistItem.id == item_id).run()


async def test_a_new_inspection_uses_its_unit_types_own_template(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    project = (await alice.post(BASE, json={"name": "阳光花园标准", "project_id": org["project"]})).json()
    a1 = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    await alice.post(f"{BASE}/{a1['id']}/rooms", json={"name": "衣帽间"})

    a1_inspection = await start_inspection(personas, org["unit_a1"])
    b2_inspection = await start_inspection(personas, org["unit_b2"])
    templates = {row["id"]: row["template"] for row in await Inspection.select(Inspection.id, Inspection.template)
                 .run()}
    assert templates == {a1_inspection["id"]: a1["id"], b2_inspection["id"]: project["id"]}
    assert (await checklist(a1_inspection["id"]))[-1][0] == "衣帽间"
    assert "衣帽间" not in [name for name, _items in await checklist(b2_inspection["id"])]


async def test_deleting_an_unused_template_sends_its_units_back_to_the_next_one(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    a1 = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    assert (await alice.delete(f"{BASE}/{a1['id']}")).status_code == 204
    assert not await ChecklistRoom.exists().where(ChecklistRoom.template == a1["id"]).run()
    inspection = await start_inspection(personas, org["unit_a1"])
    default = await ChecklistTemplate.objects().get(ChecklistTemplate.project.is_null()).run()
    assert (await Inspection.objects().get(Inspection.id == inspection["id"]).run()).template == default.id
    # The global default stays, even unused.
    await Inspection.update({Inspection.template: None}).where(Inspection.id == inspection["id"]).run()
    assert (await alice.delete(f"{BASE}/{default.id}")).status_code == 409


# ---------------------------------------------------------------- who may, and bad input

async def test_staff_read_and_only_administrators_write(personas):
    org = await a_project_with_two_unit_types()
    alice, carol, bob = await api(personas, "alice"), await personas.api("carol"), await personas.api("bob")
    template = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    room = template["rooms"][0]

    assert (await carol.get(BASE)).status_code == 200
    assert (await carol.get(f"{BASE}/{template['id']}")).status_code == 200
    writes = [
        await carol.post(BASE, json={"name": "B2", "unit_type_id": org["b2"]}),
        await carol.patch(f"{BASE}/{template['id']}", json={"name": "x"}),
        await carol.post(f"{BASE}/{template['id']}/rooms", json={"name": "x"}),
        await carol.delete(f"{BASE}/{template['id']}/rooms/{room['id']}"),
        await carol.patch(f"{BASE}/{template['id']}/items/{room['items'][0]['id']}", json={"title": "x"}),
        await carol.delete(f"{BASE}/{template['id']}"),
    ]
    assert [r.status_code for r in writes] == [403] * len(writes)
    assert (await bob.get(BASE)).status_code == 403
    assert (await bob.get(f"{BASE}/{template['id']}")).status_code == 403
    assert await ChecklistTemplate.count().run() == 2  # the default and A1


async def test_bad_input_answers_400_with_the_field_to_fix(personas):
    org = await a_project_with_two_unit_types()
    alice = await api(personas, "alice")
    template = (await alice.post(BASE, json={"name": "A1", "unit_type_id": org["a1"]})).json()
    base = f"{BASE}/{template['id']}"
    room = template["rooms"][0]

    cases = [
        (await alice.post(BASE, json={"name": " ", "project_id": org["project"]}), "name"),
        (await alice.post(BASE, json={"name": "无处可用"}), "project_id"),
        (await alice.post(BASE, json={"name": "x", "unit_type_id": 999999}), "unit_type_id"),
        (await alice.post(BASE, json={"name": "x", "project_id": org["project"], "copy_from_id": 999999}),
         "copy_from_id"),
        (await alice.post(BASE, json={"name": "A1 again", "unit_type_id": org["a1"]}), "unit_type_id"),
        (await alice.patch(base, json={"name": "x" * 101}), "name"),
        (await alice.post(f"{base}/rooms", json={"name": room["name"]}), "name"),
        (await alice.patch(f"{base}/rooms/{room['id']}", json={"position": -1}), "position"),
        (await alice.post(f"{base}/rooms/{room['id']}/items", json={"title": "x", "category": "roof"}), "category"),
        (await alice.post(f"{base}/rooms/{room['id']}/items", json={"title": "", "category": "wall"}), "title"),
        (await alice.patch(f"{base}/items/{room['items'][0]['id']}", json={"title": room["items"][1]["title"]}),
         "title"),
    ]
    for response, field in cases:
        assert response.status_code == 400, (field, response.text)
        assert field in response.json().get("errors", {}), (field, response.text)
    # A missing key is refused by the request schema, before any service.
    assert (await alice.post(BASE, json={"project_id": org["project"]})).status_code == 400
    assert shape((await alice.get(base)).json()) == shape(template)
