"""Reference rows (projects, buildings, unit types, parties, trade assignments) are remembered
between requests, never past a change committed by any process (server/reference_cache.py)."""
from __future__ import annotations

import asyncio

import pytest

from server import db
from server.db import TunedSQLiteEngine, engine, generation
from server.inspections import trades
from server.inspections.selectors import parties_of_kinds
from server.org import access, selectors, services
from server.org.tables import Building
from server.watched_writes import REFERENCE, kinds_written, writes_reference
from tests.accounts.test_sign_in_cache import counting_queries, in_another_process

sqlite_only = pytest.mark.skipif(not isinstance(engine(), TunedSQLiteEngine), reason="SQLite's snapshots")


async def settled() -> None:
    """Until the notices of the changes just made have come back (PostgreSQL), as the sign-in
    cache's test does for the credentials."""
    for _ in range(200):
        before = generation(REFERENCE)
        await asyncio.sleep(0.01)
        if before is not None and generation(REFERENCE) == before:
            return
    raise AssertionError("the reference generation never settled")


async def _building_with_trades(personas) -> tuple[int, int, int]:
    alice = personas.user("alice")
    project = await services.project_create(actor=alice, name="Riverside")
    building = await services.building_create(actor=alice, project_id=project.id, name="B1")
    party_a = personas.parties["builder_a"]
    await trades.trades_set(actor=alice, building_id=building.id, chosen={"wall": str(party_a.id)})
    await settled()
    return project.id, building.id, party_a.id


def test_which_statements_change_reference_rows():
    assert writes_reference('INSERT INTO "party" ("name", "kind") VALUES ($1, $2)')
    assert writes_reference('UPDATE "building" SET "name" = ? WHERE "id" = ?')
    assert writes_reference('DELETE FROM "trade_assignment" WHERE "building" = 3')
    assert writes_reference('DELETE FROM unit_type WHERE id = 3')
    assert writes_reference('TRUNCATE "defect", "unit" RESTART IDENTITY CASCADE')
    # "project" as a column of another table's write is not a change to projects.
    assert not writes_reference('INSERT INTO "inspection_plan" ("project", "name") VALUES ($1, $2)')
    assert not writes_reference('UPDATE "unit" SET "building" = 2 WHERE "id" = 1')
    assert not writes_reference('SELECT * FROM "party"')
    assert kinds_written('UPDATE "app_user" SET "role" = $1') == ("credentials",)
    assert kinds_written('UPDATE "party" SET "name" = $1') == ("reference",)


async def test_the_building_page_reads_its_reference_rows_once(personas, monkeypatch):
    _, building_id, _ = await _building_with_trades(personas)
    alice = await personas.browser("alice")
    assert (await alice.get(f"/admin/buildings/{building_id}")).status_code == 200
    queries = counting_queries(monkeypatch)
    response = await alice.get(f"/admin/buildings/{building_id}")
    assert response.status_code == 200 and "Riverside" in response.text
    read = [q for q in queries if any(f'FROM "{t}"' in q for t in ("trade_assignment", "unit_type", "project", "party"))]
    assert read == []
    assert [q for q in queries if 'FROM "unit"' in q], "the units themselves are read on every visit"


async def test_a_change_through_the_app_is_seen_by_the_next_read(personas):
    project_id, building_id, party_a = await _building_with_trades(personas)
    alice = personas.user("alice")
    assert (await trades.trades_of(building_id))["wall"] == party_a
    assert (await access.building_for(alice, building_id)).name == "B1"
    party_b = personas.parties["builder_b"]
    await trades.trades_set(actor=alice, building_id=building_id, chosen={"wall": str(party_b.id)})
    await services.building_update(actor=alice, building_id=building_id, name="B1 north")
    assert (await trades.trades_of(building_id))["wall"] == party_b.id
    assert (await access.building_for(alice, building_id)).name == "B1 north"
    await services.unit_type_create(actor=alice, project_id=project_id, name="A2")
    assert [t["name"] for t in await selectors.unit_types_of(project_id, limit=50)] == ["A2"]


async def test_a_change_committed_by_another_process_is_seen_by_the_next_read(personas):
    _, building_id, party_a = await _building_with_trades(personas)
    before = [p["name"] for p in await parties_of_kinds(["construction_unit"])]
    assert "Builder A" in before
    assert (await selectors.parties_of_kind("construction_unit", limit=50))[0][1] == "Builder A"

    in_another_process(f'UPDATE "party" SET "name" = \'Aardvark Builders\' WHERE "id" = {party_a}')
    assert (await selectors.parties_of_kind("construction_unit", limit=50))[0] == (party_a, "Aardvark Builders")
    assert "Aardvark Builders" in [p["name"] for p in await parties_of_kinds(["construction_unit"])]
    in_another_process(f'DELETE FROM "trade_assignment" WHERE "building" = {building_id}')
    assert dict(await trades.trades_of(building_id)) == {}
    in_another_process(f'UPDATE "building" SET "name" = \'Renamed\' WHERE "id" = {building_id}')
    assert (await access.building_for(personas.user("alice"), building_id)).name == "Renamed"


async def test_what_a_write_transaction_reads_is_neither_remembered_nor_taken_from_memory(personas):
    _, building_id, party_a = await _building_with_trades(personas)
    party_b = personas.parties["builder_b"]
    assert (await trades.trades_of(building_id))["wall"] == party_a

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with db.write_transaction():
            await trades.trade_remember(actor=None, building_id=building_id, category="floor", party_id=party_b.id)
            assert (await trades.trades_of(building_id)).get("floor") == party_b.id  # its own change
            raise Undo
    assert (await trades.trades_of(building_id)).get("floor") is None  # rolled back, not remembered


async def test_a_remembered_building_is_a_new_object_each_time(personas):
    _, building_id, _ = await _building_with_trades(personas)
    alice = personas.user("alice")
    first = await access.building_for(alice, building_id)
    first.name = "changed in memory only"
    again = await access.building_for(alice, building_id)
    assert isinstance(again, Building) and again.name == "B1"
    with pytest.raises(TypeError):
        (await trades.trades_of(building_id))["wall"] = 0  # shared answers cannot be changed


@sqlite_only
async def test_a_read_transaction_older_than_a_change_does_not_remember_its_rows(personas):
    """SQLite: a GET's read transaction sees the database as it was at its first query. If another
    process commits a change after that, what it reads is older than the generation: read, used,
    but not remembered under the new generation."""
    _, building_id, party_a = await _building_with_trades(personas)
    async with db.read_transaction():
        assert (await selectors.parties_of_kind("construction_unit", limit=50))[0][1] == "Builder A"
        in_another_process(f'UPDATE "party" SET "name" = \'Zebra Builders\' WHERE "id" = {party_a}')
        names = [name for _, name in await selectors.parties_of_kind.uncached("construction_unit", limit=50)]
        assert "Zebra Builders" not in names  # the snapshot is older than the change
        assert "Zebra Builders" not in [n for _, n in await selectors.parties_of_kind("construction_unit", limit=50)]
    assert "Zebra Builders" in [n for _, n in await selectors.parties_of_kind("construction_unit", limit=50)]

