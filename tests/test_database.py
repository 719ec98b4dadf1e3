"""The SQLite tuning: one connection per GET, and no "database is locked" under concurrent writers."""
import os
import subprocess
import sys

import pytest

from server.db import TunedSQLiteEngine, engine

sqlite_only = pytest.mark.skipif(not isinstance(engine(), TunedSQLiteEngine), reason="SQLite-specific")


@sqlite_only
async def test_a_get_runs_all_its_queries_on_one_connection(personas, monkeypatch):
    admin = await personas.api("alice")
    project = (await admin.post("/api/v1/projects", json={"name": "P"})).json()
    building = (await admin.post(f"/api/v1/projects/{project['id']}/buildings", json={"name": "B"})).json()
    await admin.post(f"/api/v1/buildings/{building['id']}/units/bulk",
                     json={"floor_from": 1, "floor_to": 10, "units_per_floor": 4})
    opened = []
    original = TunedSQLiteEngine.get_connection

    async def counting(self):
        opened.append(1)
        return await original(self)

    monkeypatch.setattr(TunedSQLiteEngine, "get_connection", counting)
    r = await admin.get(f"/api/v1/buildings/{building['id']}/units?limit=40")
    assert r.status_code == 200 and len(r.json()["items"]) == 40
    assert len(opened) == 1  # auth, access check, list and count shared it


WRITER = """
import asyncio, sys
from server import db
from server.org.services import project_create
async def main():
    await db.start_pool()
    for i in range(60):
        await project_create(actor=None, name=f"{sys.argv[1]}-{i}")
asyncio.run(main())
"""


async def test_concurrent_writer_processes_never_hit_a_locked_database(client):
    from server.org.tables import Project

    processes = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}"], env=dict(os.environ),
                                  stderr=subprocess.PIPE, text=True) for n in range(4)]
    # Read while they write.
    for _ in range(30):
        await Project.count().run()
    for p in processes:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    assert await Project.count().run() == 240


@sqlite_only
async def test_a_long_select_does_not_hold_up_the_other_requests(client):
    """Short SELECTs run on the event loop's thread (server.db TunedSQLiteEngine.fetch); one
    still running after INLINE_READ_SECONDS is stopped and finished in the connection's thread."""
    import asyncio

    from server import db

    counted = "SELECT COUNT(*) AS n FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c " \
              "WHERE x < 2000000) SELECT x FROM c)"
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.ensure_future(ticking())
    try:
        async with db.read_transaction():
            rows = await engine().run_ddl(counted)
    finally:
        ticker.cancel()
    assert rows == [{"n": 2_000_000}]
    assert ticks > 20  # the loop went on while the count ran


async def test_ids_in_matches_exactly_the_listed_ids_and_takes_nothing_but_numbers(migrated_db):
    from server.db import ids_in
    from server.org.tables import Project

    made = [(await Project.insert(Project(name=f"ids-{n}")).returning(Project.id).run())[0]["id"] for n in range(4)]
    found = await Project.select(Project.id).where(ids_in(Project.id, [made[0], str(made[2]), made[2]])).run()
    assert sorted(r["id"] for r in found) == [made[0], made[2]]  # "5" is 5; a repeat matches once
    assert await Project.select(Project.id).where(ids_in(Project.id, [])).run() == []
    both = await Project.select(Project.id).where(ids_in(Project.id, made) & (Project.name == "ids-3")).run()
    assert [r["id"] for r in both] == [made[3]]
    with pytest.raises(ValueError):
        ids_in(Project.id, ["1) OR (1=1"])  # never written into the statement


async def test_raw_rows_answers_as_piccolo_raw_does_and_reads_inside_the_transaction(migrated_db):
    from server.db import raw_rows, write_transaction
    from server.org.tables import Project

    made = [(await Project.insert(Project(name=f"raw-{n}", code=f"R{n}")).returning(Project.id).run())[0]["id"]
            for n in range(3)]
    template = 'SELECT "id", "name", "code" FROM "project" WHERE "id" IN ({}, {}) AND "name" <> {} ORDER BY "id"'
    args = (made[0], made[2], "nobody")
    rows = await raw_rows(Project, template, *args)
    assert rows == await Project.raw(template, *args).run()
    assert rows == [{"id": made[0], "name": "raw-0", "code": "R0"}, {"id": made[2], "name": "raw-2", "code": "R2"}]
    assert all(type(row) is dict for row in rows)
    assert await raw_rows(Project, 'SELECT "id" FROM "project" WHERE "id" = {}', -1) == []
    async with write_transaction():
        await Project.update({Project.name: "renamed"}).where(Project.id == made[1]).run()
        [row] = await raw_rows(Project, 'SELECT "name" FROM "project" WHERE "id" = {}', made[1])
        assert row == {"name": "renamed"}  # the transaction's own connection, its change not yet committed


async def test_read_only_rows_read_as_the_dicts_do(migrated_db):
    from server.db import raw_rows
    from server.org.tables import Project

    made = (await Project.insert(Project(name="只读", code="RO")).returning(Project.id).run())[0]["id"]
    template = 'SELECT "id", "name", "code" FROM "project" WHERE "id" = {}'
    [as_dict] = await raw_rows(Project, template, made)
    [read_only] = await raw_rows(Project, template, made, read_only=True)
    assert dict(read_only) == as_dict == {"id": made, "name": "只读", "code": "RO"}
    assert (read_only["name"], read_only.get("code"), list(read_only.keys())) == ("只读", "RO", ["id", "name", "code"])
    assert await raw_rows(Project, template, -1, read_only=True) == []


async def test_the_unit_list_and_tiles_read_the_same_units_as_piccolo(migrated_db):
    """The building's JSON list and tiles read their units as read-only rows: the values are Piccolo's."""
    from server.org.schemas import unit_item
    from server.org.selectors import unit_tiles_page, units_listed_for_staff
    from server.org.tables import Building, Project, Unit
    from server.pagination import Page

    project = Project(name="列表", code="LS")
    await project.save().run()
    building = Building(project=project.id, name="1号楼")
    await building.save().run()
    await Unit.insert(*[Unit(building=building.id, number=f"{floor}0{n}", floor=floor)
                        for floor in (2, 1) for n in (2, 1)]).run()
    expected = await Unit.select(Unit.id, Unit.building, Unit.number, Unit.floor, Unit.unit_type, Unit.status) \
        .where(Unit.building == building.id).order_by(Unit.floor, Unit.number).run()
    listed = await units_listed_for_staff(building.id, limit=10, offset=0)
    assert sorted((unit_item(row) for row in listed), key=lambda u: (u["floor"], u["number"])) == [
        {"id": r["id"], "building_id": building.id, "number": r["number"], "floor": r["floor"], "unit_type_id": None,
         "status": r["status"], "handovers": []} for r in expected]
    tiles = await unit_tiles_page(building.id, Page(limit=3, offset=0))
    assert [(row["number"], row["floor"]) for row in tiles["rows"]] == [("101", 1), ("102", 1), ("201", 2)]
    assert tiles["total"] == 4


async def test_an_object_loaded_by_id_is_the_one_piccolo_makes(migrated_db):
    from server.db import get_by_id
    from server.org.tables import Building, Project

    project = Project(name="载入", code="L1", city="上海")
    await project.save().run()
    building = Building(project=project.id, name="1号楼")
    await building.save().run()
    for table, made in ((Project, project), (Building, building)):
        got = await get_by_id(table, made.id)
        expected = (await table.objects().where(table.id == made.id).first().run())
        assert type(got) is table and got.to_dict() == expected.to_dict()
        assert got._exists_in_db and got.__dict__ == {**expected.__dict__}
    got = await get_by_id(Building, building.id)
    got.name = "2号楼"
    await got.save().run()  # an update of the row it came from, not a new row
    assert [b.name for b in await Building.objects().where(Building.project == project.id).run()] == ["2号楼"]
    assert await get_by_id(Project, -1) is None
