"""Lists run a constant number of queries, however many rows they show (no N+1)."""
from server.db import engine
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection


class QueryCounter:
    def __init__(self, monkeypatch):
        self.count = 0
        db = engine()
        original = type(db).run_querystring

        async def counting(this, querystring, in_pool=True):
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
