"""The set-up API of API.md: projects, buildings, units, parties, users, owners."""
import pytest

from server.audit.tables import AuditEntry


async def _project_with_building(admin):
    project = (await admin.post("/api/v1/projects", json={"name": "阳光花园"})).json()
    building = (await admin.post(f"/api/v1/projects/{project['id']}/buildings", json={"name": "1号楼"})).json()
    return project, building


async def test_an_admin_sets_up_a_project_as_api_md_describes(personas):
    admin = await personas.api("alice")
    r = await admin.post("/api/v1/projects", json={"name": "阳光花园"})
    assert r.status_code == 201 and r.json()["name"] == "阳光花园"
    project_id = r.json()["id"]
    r = await admin.post(f"/api/v1/projects/{project_id}/buildings", json={"name": "1号楼"})
    assert r.status_code == 201 and r.json()["project_id"] == project_id
    building_id = r.json()["id"]
    r = await admin.post(f"/api/v1/buildings/{building_id}/units", json={"number": "101", "floor": 1})
    assert r.status_code == 201
    unit = r.json()
    assert unit["number"] == "101" and unit["floor"] == 1 and unit["status"] == "not_inspected"
    r = await admin.post("/api/v1/parties", json={"name": "中建三局", "kind": "construction_unit"})
    assert r.status_code == 201
    party_id = r.json()["id"]
    r = await admin.post("/api/v1/users", json={"username": "chen", "password": "long-enough-1",
                                                "role": "contractor", "party_id": party_id})
    assert r.status_code == 201 and r.json()["party_id"] == party_id and "password" not in r.text
    r = await admin.post("/api/v1/users", json={"username": "liu", "password": "long-enough-1", "role": "owner"})
    owner_id = r.json()["id"]
    r = await admin.post(f"/api/v1/units/{unit['id']}/owners", json={"user_id": owner_id})
    assert r.status_code == 201
    got = await admin.get(f"/api/v1/units/{unit['id']}")
    assert got.json()["status"] == "not_inspected" and got.json()["handovers"] == []


async def test_units_are_bulk_created_from_floors_and_units_per_floor(personas):
    admin = await personas.api("alice")
    _, building = await _project_with_building(admin)
    r = await admin.post(f"/api/v1/buildings/{building['id']}/units/bulk",
                         json={"floor_from": 1, "floor_to": 3, "units_per_floor": 2})
    assert r.status_code == 201 and r.json() == {"created": 6}
    again = await admin.post(f"/api/v1/buildings/{building['id']}/units/bulk",
                             json={"floor_from": 1, "floor_to": 4, "units_per_floor": 2})
    assert again.json() == {"created": 2}  # only floor 4 is new
    listed = (await admin.get(f"/api/v1/buildings/{building['id']}/units?limit=100")).json()
    assert listed["total"] == 8
    assert sorted(u["number"] for u in listed["items"]) == ["101", "102", "201", "202", "301", "302", "401", "402"]


async def test_lists_page_with_limit_and_offset(personas):
    admin = await personas.api("alice")
    _, building = await _project_with_building(admin)
    await admin.post(f"/api/v1/buildings/{building['id']}/units/bulk",
                     json={"floor_from": 1, "floor_to": 5, "units_per_floor": 4})
    page = (await admin.get(f"/api/v1/buildings/{building['id']}/units?limit=7&offset=14")).json()
    assert page["total"] == 20 and len(page["items"]) == 6


@pytest.mark.parametrize(
    "path_body",
    [
        ("/api/v1/projects", {"name": "   "}),
        ("/api/v1/parties", {"name": "X", "kind": "bakery"}),
        ("/api/v1/users", {"username": "u1", "password": "short", "role": "inspector"}),
        ("/api/v1/users", {"username": "u2", "password": "long-enough-1", "role": "wizard"}),
        ("/api/v1/users", {"username": "u3", "password": "long-enough-1", "role": "contractor"}),
        ("/api/v1/projects", {"nom": "missing name"}),
        ("/api/v1/projects", "not json"),
    ],
)
async def test_bad_input_is_a_400_with_a_message(personas, path_body):
    admin = await personas.api("alice")
    path, body = path_body
    r = await admin.post(path, json=body) if not isinstance(body, str) else await admin.post(
        path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["detail"]


async def test_a_duplicate_unit_number_names_the_field(personas):
    admin = await personas.api("alice")
    _, building = await _project_with_building(admin)
    await admin.post(f"/api/v1/buildings/{building['id']}/units", json={"number": "101", "floor": 1})
    r = await admin.post(f"/api/v1/buildings/{building['id']}/units", json={"number": "101", "floor": 1})
    assert r.status_code == 400
    assert "number" in r.json()["errors"]


async def test_a_contractor_must_belong_to_a_construction_or_repair_unit(personas):
    admin = await personas.api("alice")
    dept = (await admin.post("/api/v1/parties", json={"name": "工程部", "kind": "department"})).json()
    r = await admin.post("/api/v1/users", json={"username": "x1", "password": "long-enough-1",
                                                "role": "contractor", "party_id": dept["id"]})
    assert r.status_code == 400 and "party_id" in r.json()["errors"]


@pytest.mark.parametrize("persona", ["carol", "ian", "sam", "paul", "bob", "olga", "quinn"])
async def test_only_an_admin_may_set_up(personas, persona):
    caller = await personas.api(persona)
    for path, body in [("/api/v1/projects", {"name": "P"}), ("/api/v1/parties", {"name": "Q", "kind": "department"}),
                       ("/api/v1/users", {"username": "z", "password": "long-enough-1", "role": "admin"})]:
        r = await caller.post(path, json=body)
        assert r.status_code == 403, (persona, path)


async def test_signed_out_callers_get_401(client, personas):
    assert (await client.post("/api/v1/projects", json={"name": "P"})).status_code == 401
    assert (await client.get("/api/v1/projects")).status_code == 401


async def test_an_owner_sees_only_their_own_units(personas):
    admin = await personas.api("alice")
    _, building = await _project_with_building(admin)
    mine = (await admin.post(f"/api/v1/buildings/{building['id']}/units", json={"number": "101", "floor": 1})).json()
    other = (await admin.post(f"/api/v1/buildings/{building['id']}/units", json={"number": "102", "floor": 1})).json()
    await admin.post(f"/api/v1/units/{mine['id']}/owners", json={"user_id": personas.user("olga").id})
    olga = await personas.api("olga")
    assert (await olga.get(f"/api/v1/units/{mine['id']}")).status_code == 200
    assert (await olga.get(f"/api/v1/units/{other['id']}")).status_code == 404
    assert (await olga.get(f"/api/v1/units/{other['id'] + 999}")).status_code == 404


async def test_a_contractor_sees_its_own_party_and_nothing_else(personas):
    bob = await personas.api("bob")
    own, foreign = personas.parties["builder_a"], personas.parties["builder_b"]
    assert (await bob.get(f"/api/v1/parties/{own.id}")).status_code == 200
    assert (await bob.get(f"/api/v1/parties/{foreign.id}")).status_code == 404
    listed = (await bob.get("/api/v1/parties")).json()
    assert [p["id"] for p in listed["items"]] == [own.id]
    admin = await personas.api("alice")
    project, _ = await _project_with_building(admin)
    assert (await bob.get(f"/api/v1/projects/{project['id']}")).status_code == 404


async def test_every_change_is_in_the_audit_trail(personas):
    admin = await personas.api("alice")
    project, building = await _project_with_building(admin)
    await admin.patch(f"/api/v1/projects/{project['id']}", json={"name": "阳光花园二期"})
    rows = await AuditEntry.select().where(AuditEntry.object_type == "project").order_by(AuditEntry.id).run()
    assert [r["action"] for r in rows] == ["create", "update"]
    assert rows[0]["actor_id"] == personas.user("alice").id and rows[0]["actor_name"] == "Alice"


async def test_the_openapi_schema_is_served(client):
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200 and "/api/v1/projects" in r.json()["paths"]


async def test_an_admin_cannot_demote_or_disable_themselves(personas):
    admin = await personas.api("alice")
    own = personas.user("alice").id
    r = await admin.patch(f"/api/v1/users/{own}", json={"role": "cs_staff"})
    assert r.status_code == 400 and "role" in r.json()["errors"]
    r = await admin.patch(f"/api/v1/users/{own}", json={"is_active": False})
    assert r.status_code == 400 and "is_active" in r.json()["errors"]
    assert (await admin.get("/api/v1/auth/me")).json()["role"] == "admin"
