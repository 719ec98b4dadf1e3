"""Lists run a constant number of queries, however many rows they show (no N+1)."""
from server.db import ResilientPostgresEngine, engine
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection


class QueryCounter:
    """Counts the statements run. On PostgreSQL every one goes through the engine's `_run`
    (server.db.raw_rows calls it directly); on SQLite through `run_querystring`."""

    def __init__(self, monkeypatch):
        self.count = 0
        db = engine()
        # The sign-in lookup is not the page's: on SQLite a process remembers a session
        # or token after its first request (server.accounts.services), so it comes and goes.
        if isinstance(db, ResilientPostgresEngine):
            original_run = type(db)._run

            async def counting_run(this, query, args, in_pool):
                if "key_hash" not in query:
                    self.count += 1
                return await original_run(this, query, args, in_pool)

            monkeypatch.setattr(type(db), "_run", counting_run)
            return
        original = type(db).run_querystring

        async def counting(this, querystring, in_pool=True):
            if "key_hash" not in querystring.template:
                self.count += 1
            return await original(this, querystring, in_pool=in_pool)

        monkeypatch.setattr(type(db), "run_querystring", counting)


async def _record(personas, inspection_id: int, how_many: int) -> None:
    ian = await personas.api("ian")
    for _ in range(how_many):
        r = await ian.post(f"/api/v1/inspections/{inspection_id}/defects",
                           data=defect_form(personas.parties["builder_a"].id), files=photo_files(2))
        assert r.status_code == 201


async def _queries_for(personas, monkeypatch, path: str, who: str) -> int:
    client = await personas.api(who)
    counter = QueryCounter(monkeypatch)
    r = await client.get(path)
    assert r.status_code == 200
    monkeypatch.undo()
    return counter.count


async def test_the_defect_list_costs_the_same_for_3_rows_or_30(personas, monkeypatch):
    _, inspection = await unit_under_inspection(personas)
    await _record(personas, inspection["id"], 3)
    await complete(await personas.api("ian"), inspection["id"])
    few = await _queries_for(personas, monkeypatch, "/api/v1/defects?limit=100", "bob")
    _, second = await unit_under_inspection(personas)
    await _record(personas, second["id"], 27)
    many = await _queries_for(personas, monkeypatch, "/api/v1/defects?limit=100", "bob")
    assert 0 < few == many


async def test_the_capture_form_costs_the_same_whatever_is_assigned_per_category(personas, monkeypatch):
    from server.inspections.default_checklist import CATEGORIES
    from server.inspections.trades import trades_set
    from server.org.services import party_create

    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.browser("ian")
    path = f"/inspections/{inspection['id']}/defects/new"

    async def count() -> int:
        counter = QueryCounter(monkeypatch)
        r = await ian.get(path)
        monkeypatch.undo()
        assert r.status_code == 200
        return counter.count

    none_assigned = await count()
    builders = [await party_create(actor=None, name=f"施工单位{i}", kind="construction_unit") for i in range(10)]
    await trades_set(actor=None, building_id=unit["building_id"],
                     chosen={c: b.id for c, b in zip(CATEGORIES, builders)})
    every_category_assigned = await count()
    assert none_assigned == every_category_assigned < len(CATEGORIES)


async def test_adding_units_to_a_plan_costs_the_same_for_2_units_or_8(personas, monkeypatch):
    from server.inspections.checklists import checklist_default_ensure
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=5, units_per_floor=2)
    units = [r["id"] for r in await Unit.select(Unit.id).order_by(Unit.id).run()]
    await checklist_default_ensure()  # made once, on first use: not part of what is measured
    carol = await personas.api("carol")
    plan = (await carol.post("/api/v1/inspection-plans", json={
        "project_id": project.id, "name": "一期验收", "starts_on": "2026-12-01", "ends_on": "2026-12-31"})).json()

    async def add(unit_ids) -> int:
        counter = QueryCounter(monkeypatch)
        r = await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
            "unit_ids": unit_ids, "scheduled_for": "2026-12-01", "inspector_id": personas.user("ian").id})
        monkeypatch.undo()
        assert r.status_code == 201, r.text
        assert r.json()["created"] == len(unit_ids)
        return counter.count

    assert await add(units[:2]) == await add(units[2:])
