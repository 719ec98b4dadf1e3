"""The `is_first` flag of an inspection agrees with the pass-rate rule: the first
*performed* acceptance inspection of a unit is the first, not the first one planned.
A planned inspection called off (cancelled) before it took place, or planned
beside another that took place first, does not make the one performed a repeat.

There is no endpoint that cancels an inspection today (rows come cancelled from
an import or an operator), so the test sets that status in the table."""
from __future__ import annotations

from server.inspections.tables import Inspection
from server.reports.stats import Filters, pass_rate
from tests.inspections.support import complete


async def _unit(personas) -> dict:
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().where(Unit.building == building.id).first().run()
    return {"id": unit.id, "project": project.id}


async def _plan(carol, personas, unit_id: int) -> dict:
    r = await carol.post("/api/v1/inspections", json={"unit_id": unit_id, "inspector_id": personas.user("ian").id})
    assert r.status_code == 201, r.text
    return r.json()


async def _cancel(inspection_id: int) -> None:
    await Inspection.update({Inspection.status: "cancelled"}).where(Inspection.id == inspection_id).run()


async def test_a_cancelled_first_plan_leaves_the_performed_inspection_first(personas):
    unit = await _unit(personas)
    carol, ian = await personas.api("carol"), await personas.api("ian")
    called_off = await _plan(carol, personas, unit["id"])
    assert called_off["is_first"] is True
    await _cancel(called_off["id"])

    performed = await _plan(carol, personas, unit["id"])
    assert performed["is_first"] is True  # was False: the cancelled plan counted as an earlier inspection
    r = await ian.post(f"/api/v1/inspections/{performed['id']}/start")
    assert r.status_code == 200 and r.json()["is_first"] is True
    r = await complete(ian, performed["id"])
    assert r.json()["status"] == "passed" and r.json()["is_first"] is True
    page = await (await personas.browser("carol")).get(f"/inspections/{performed['id']}")
    assert page.status_code == 200 and "再次验房" not in page.text  # "Repeat inspection"
    assert await pass_rate(Filters(project_id=unit["project"])) == {
        "units_inspected": 1, "first_time_passed": 1, "first_time_pass_rate_percent": "100.00"}


async def test_two_planned_the_first_cancelled_the_second_becomes_first_when_performed(personas):
    unit = await _unit(personas)
    carol, ian = await personas.api("carol"), await personas.api("ian")
    first_plan = await _plan(carol, personas, unit["id"])
    second_plan = await _plan(carol, personas, unit["id"])
    assert (first_plan["is_first"], second_plan["is_first"]) == (True, False)  # as planned, before either took place
    await _cancel(first_plan["id"])
    r = await ian.post(f"/api/v1/inspections/{second_plan['id']}/start")
    assert r.status_code == 200 and r.json()["is_first"] is True
    assert (await Inspection.select(Inspection.is_first).where(
        Inspection.id == second_plan["id"]).first().run())["is_first"] is True


async def test_an_inspection_after_a_performed_one_is_a_repeat(personas):
    unit = await _unit(personas)
    carol, ian = await personas.api("carol"), await personas.api("ian")
    # Two planned at once; the later-planned one takes place first: it is the first.
    early, late = await _plan(carol, personas, unit["id"]), await _plan(carol, personas, unit["id"])
    assert (await ian.post(f"/api/v1/inspections/{late['id']}/start")).json()["is_first"] is True
    assert (await ian.post(f"/api/v1/inspections/{early['id']}/start")).json()["is_first"] is False
    assert (await Inspection.select(Inspection.is_first).where(
        Inspection.id == early["id"]).first().run())["is_first"] is False
