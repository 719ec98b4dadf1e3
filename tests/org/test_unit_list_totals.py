"""A building's units as a page: the total is right whether the page shows it (no count needed,
pagination.total_shown_by) or not, and an unknown building is still 404."""
from __future__ import annotations

import pytest

from server.org.services import building_create, project_create, units_bulk_create


@pytest.fixture
async def building():
    project = await project_create(actor=None, name="阳光花园")
    full = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=full.id, floor_from=1, floor_to=6, units_per_floor=2)
    empty = await building_create(actor=None, project_id=project.id, name="2号楼")
    return full.id, empty.id


@pytest.mark.parametrize("query, items, total", [
    ("", 12, 12),  # fits on the page: its rows are the total
    ("?limit=12", 12, 12),  # exactly a page: the row read beyond it is not there
    ("?limit=5", 5, 12),  # more follow: counted
    ("?limit=5&offset=10", 2, 12),  # the last page
    ("?limit=5&offset=40", 0, 12),  # past the end: no rows, so counted
])
async def test_the_total_of_a_buildings_units(personas, building, query, items, total):
    api = await personas.api("carol")
    body = (await api.get(f"/api/v1/buildings/{building[0]}/units{query}")).json()
    assert (len(body["items"]), body["total"]) == (items, total)


async def test_an_empty_building_lists_nothing_and_an_unknown_one_is_not_found(personas, building):
    api = await personas.api("carol")
    assert (await api.get(f"/api/v1/buildings/{building[1]}/units")).json() == {"items": [], "total": 0}
    assert (await api.get(f"/api/v1/buildings/{building[1] + 100}/units")).status_code == 404


@pytest.mark.parametrize("query, tiles, info", [
    ("", 12, None),
    ("?limit=5", 5, "第 1–5 条，共 12 条"),
])
async def test_the_building_page_shows_the_same_totals(personas, building, query, tiles, info):
    page = (await (await personas.browser("alice")).get(f"/admin/buildings/{building[0]}{query}")).text
    assert page.count('class="unit-tile"') == tiles
    assert '<span class="num">12 套</span>' in page  # the building's count of units, above its tiles
    if info:
        assert info in page
