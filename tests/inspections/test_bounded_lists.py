"""Lists that stay cheap with millions of defects (bench/inspections.py): the grouped task lists read only as
many defects as their page needs, and long lists count their matches up to a bound, saying so."""
import datetime as dt

from server.inspections.rectification_reads import units_in_order
from server.inspections.tables import Defect, Inspection, RectificationNotice
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.timezone.utc)


async def _units_with_defects(personas) -> list[int]:
    """12 homes and their defects: open, rectified and closed ones, deadlines past, future, equal and missing,
    and one home with 100 open defects due first (more than a first read of 64 rows holds)."""
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="星河湾")
    building = await building_create(actor=None, project_id=project.id, name="2号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=3, units_per_floor=4)
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).order_by(Unit.id).run()]
    party = personas.parties["builder_a"].id
    rows = []
    for n, unit in enumerate(units):
        inspection = Inspection(unit=unit, status="rectifying")
        await inspection.save().run()
        notice = RectificationNotice(inspection=inspection.id, party=party, number=f"ZG-T{unit}", deadline=NOW)
        await notice.save().run()
        count = 100 if n == 5 else 1 + n % 4
        for k in range(count):
            status = "open" if n == 5 else ("open", "rectified", "closed")[(n + k) % 3]
            hours = None if n in (7, 10) else (n * 7 + k * 3) % 11 - 4 - (50 if n == 5 else 0)
            rows.append(Defect(inspection=inspection.id, unit=unit, room="客厅", category="wall", severity="minor",
                               construction_unit=party, status=status, notice=notice.id,
                               deadline=None if hours is None else NOW + dt.timedelta(hours=hours)))
    await Defect.insert(*rows).run()
    return units


def _expected_order(defects: list[dict]) -> list[int]:
    """The task lists' order, from its definition: homes with an open defect by its earliest deadline, then the
    others by their earliest deadline, then those without deadlines by home; equal deadlines by the first
    recorded defect."""
    keys: dict[int, tuple] = {}
    for unit in {d["unit"] for d in defects}:
        mine = [d for d in defects if d["unit"] == unit and d["deadline"] is not None]
        open_ones = [d for d in mine if d["status"] == "open"]
        if open_ones:
            first = min(open_ones, key=lambda d: (d["deadline"], d["id"]))
            keys[unit] = (0, first["deadline"], first["id"])
        elif mine:
            first = min(mine, key=lambda d: (d["deadline"], d["id"]))
            keys[unit] = (1, first["deadline"], first["id"])
        else:
            keys[unit] = (2, NOW, unit)
    return sorted(keys, key=lambda u: keys[u])


async def test_units_come_in_the_task_lists_order_for_any_page_length(personas):
    units = await _units_with_defects(personas)
    mine = Defect.unit.is_in(units)
    defects = await Defect.select(Defect.id, Defect.unit, Defect.status, Defect.deadline).where(mine).run()
    expected = _expected_order(defects)
    assert len(expected) == 12 and expected[0] == units[5]  # the home with the earliest open deadlines leads
    for wanted in (1, 3, 7, 12, 20):
        assert await units_in_order(mine, wanted) == expected[:wanted]
    rectified_only = mine & (Defect.status == "rectified")
    rectified_order = _expected_order([d for d in defects if d["status"] == "rectified"])
    assert await units_in_order(rectified_only, 20) == rectified_order
    assert await units_in_order(rectified_only, 20, open_first=False) == rectified_order


async def test_a_long_list_counts_to_the_bound_and_says_there_are_more(personas, monkeypatch):
    from server import pagination

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    for _ in range(5):
        r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                           data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))
        assert r.status_code == 201, r.text
    await complete(ian, inspection["id"])
    bob = await personas.api("bob")
    exact = (await bob.get("/api/v1/defects?limit=2")).json()
    assert (exact["total"], exact["total_is_lower_bound"]) == (5, False)

    monkeypatch.setattr(pagination, "COUNT_BOUND", 3)
    first = (await bob.get("/api/v1/defects?limit=2")).json()
    assert (len(first["items"]), first["total"], first["total_is_lower_bound"]) == (2, 3, True)
    # A page past the bound counts to its own end, so the last page knows it is the last.
    last = (await bob.get("/api/v1/defects?limit=2&offset=4")).json()
    assert (len(last["items"]), last["total"], last["total_is_lower_bound"]) == (1, 5, False)


async def test_the_pager_says_more_than_and_keeps_next(personas, monkeypatch):
    from server.inspections import rectification_reads

    units = await _units_with_defects(personas)
    assert len(units) == 12
    monkeypatch.setattr(rectification_reads, "UNIT_COUNT_BOUND", 4)
    page = await (await personas.browser("bob")).get("/tasks?status=all&limit=2")
    assert page.status_code == 200
    assert "第 1–2 条，超过 4 条" in page.text
    assert 'rel="next"' in page.text and 'rel="next" aria-disabled' not in page.text
