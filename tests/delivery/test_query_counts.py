"""The owner's home page and the delivery comparison table (page, JSON, Excel) run a
fixed number of queries however many homes or units they show (issue 9.7); the owner
sees every home they own, not the first 20."""
from __future__ import annotations

from decimal import Decimal

from server.accounts.tables import UnitOwner
from server.delivery import day
from server.delivery.tables import ConfirmedArea, UnitContract
from server.org.services import building_create, project_create, units_bulk_create
from server.org.tables import Unit
from tests.delivery.support import PHONES, owner_api, ready_batch
from tests.inspections.test_query_counts import QueryCounter


async def _count(monkeypatch, client, path: str) -> tuple[int, str]:
    counter = QueryCounter(monkeypatch)
    r = await client.get(path)
    monkeypatch.undo()
    assert r.status_code == 200, r.text
    return counter.count, r.text


async def _units(floors: int, per_floor: int, name: str) -> list[int]:
    project = await project_create(actor=None, name=name)
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=floors,
                            units_per_floor=per_floor)
    return [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).order_by(Unit.id).run()]


async def test_the_owner_home_page_costs_the_same_for_one_home_or_24_and_shows_them_all(personas, monkeypatch):
    setup = await ready_batch(personas)
    client = await owner_api(personas, PHONES[0])
    owner = personas.users[PHONES[0]]
    slots = await day.slots_of(setup["batch"]["id"], upcoming_only=True)
    await day.book(actor=owner, unit_id=setup["units"][0], slot_id=slots[0]["id"])
    one, text = await _count(monkeypatch, client, "/owner")
    assert text.count('class="app-card owner-home"') == 1

    # 23 more homes: the other three of the batch (one booked) and 20 of another project, in no batch.
    more = setup["units"][1:] + await _units(4, 5, "二期")
    await UnitOwner.insert(*[UnitOwner(unit=u, user=owner.id) for u in more]).run()
    await day.book(actor=owner, unit_id=setup["units"][1], slot_id=slots[0]["id"])
    many, text = await _count(monkeypatch, client, "/owner")
    assert text.count('class="app-card owner-home"') == 24
    for unit_id in [setup["units"][0], *more]:
        assert f'id="unit-{unit_id}"' in text
    assert 0 < one == many


async def _settled_project(name: str, floors: int) -> int:
    units = await _units(floors, 3, name)
    await UnitContract.insert(*[UnitContract(unit=u, contract_area=Decimal("89.57"), unit_price=Decimal("12345.68"),
                                             buyer_name="刘先生", rule={}) for u in units]).run()
    await ConfirmedArea.insert(*[ConfirmedArea(unit=u, registered_area=Decimal("92.26")) for u in units]).run()
    return (await Unit.select(Unit.building.project.as_alias("project")).where(Unit.id == units[0]).first().run()
            )["project"]


async def test_the_delivery_table_costs_the_same_for_3_units_or_30(personas, monkeypatch):
    few, many = await _settled_project("一期", 1), await _settled_project("二期", 10)
    carol_api, carol = await personas.api("carol"), await personas.browser("carol")
    counts = {}
    for project_id, rows in ((few, 3), (many, 30)):
        for label, client, path in (
                ("json", carol_api, f"/api/v1/projects/{project_id}/delivery-table"),
                ("xlsx", carol_api, f"/api/v1/projects/{project_id}/delivery-table.xlsx"),
                ("page", carol, f"/delivery/projects/{project_id}/table")):
            count, text = await _count(monkeypatch, client, path)
            counts.setdefault(label, []).append(count)
            if label == "page":
                assert text.count('href="/delivery/units/') == 2 * rows  # the unit and its statement link
    for label, (a, b) in counts.items():
        assert 0 < a == b, (label, a, b)
