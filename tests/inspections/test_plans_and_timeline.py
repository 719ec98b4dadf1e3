"""The inspection plan and schedule, and the timeline of a unit and a defect."""

from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection


async def _project_with_units(personas):
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    ids = {}
    for name in ("1号楼", "2号楼"):
        building = await building_create(actor=None, project_id=project.id, name=name)
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=2, units_per_floor=2)
        ids[name] = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).run()]
    return project, ids


async def test_the_schedule_shows_planned_against_done_per_day_and_building(personas):
    project, units = await _project_with_units(personas)
    carol = await personas.api("carol")
    plan = (await carol.post("/api/v1/inspection-plans", json={
        "project_id": project.id, "name": "一期分户验收", "starts_on": "2026-12-01", "ends_on": "2026-12-10"})).json()
    ian_id = personas.user("ian").id
    r = await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
        "unit_ids": units["1号楼"], "scheduled_for": "2026-12-01", "inspector_id": ian_id})
    assert r.json() == {"created": 4}
    again = await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
        "unit_ids": units["1号楼"], "scheduled_for": "2026-12-01", "inspector_id": ian_id})
    assert again.json() == {"created": 0}
    await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
        "unit_ids": units["2号楼"][:2], "scheduled_for": "2026-12-02", "inspector_id": ian_id})
    outside = await carol.post(f"/api/v1/inspection-plans/{plan['id']}/units", json={
        "unit_ids": units["2号楼"][2:], "scheduled_for": "2027-01-01"})
    assert outside.status_code == 400 and "scheduled_for" in outside.json()["errors"]
    # One inspection added to the plan by itself counts too; a unit of another project is refused.
    _other, other_units = await _project_with_units(personas)
    foreign = await carol.post("/api/v1/inspections", json={"unit_id": other_units["1号楼"][0], "plan_id": plan["id"]})
    assert foreign.status_code == 400 and foreign.json()["errors"] == {"plan_id": "请选择该房屋所在项目的验收计划。"}
    one = await carol.post("/api/v1/inspections", json={
        "unit_id": units["2号楼"][2], "plan_id": plan["id"], "scheduled_for": "2026-12-02"})
    assert one.status_code == 201 and one.json()["plan_id"] == plan["id"]

    ian = await personas.api("ian")
    planned = (await ian.get("/api/v1/inspections?status=planned&limit=100")).json()["items"]
    for inspection in [i for i in planned if i["unit_id"] in units["1号楼"][:3]]:
        await ian.post(f"/api/v1/inspections/{inspection['id']}/start")
        await complete(ian, inspection["id"])

    schedule = (await carol.get(f"/api/v1/inspection-plans/{plan['id']}/schedule")).json()
    assert schedule["days"] == [
        {"date": "2026-12-01", "planned": 4, "done": 3, "percent": 75},
        {"date": "2026-12-02", "planned": 3, "done": 0, "percent": 0},
    ]
    assert [(b["name"], b["planned"], b["done"]) for b in schedule["buildings"]] == [("1号楼", 4, 3), ("2号楼", 3, 0)]
    assert schedule["total"] == {"planned": 7, "done": 3, "percent": 43}


async def test_the_timelines_show_every_step(personas):
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    a = personas.parties["builder_a"].id
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects", data=defect_form(a),
                             files=photo_files(1))).json()
    await complete(ian, inspection["id"])
    bob = await personas.api("bob")
    await bob.post(f"/api/v1/defects/{defect['id']}/rectify", data={"note": "修好了"}, files=photo_files(1))
    carol = await personas.api("carol")
    await carol.post(f"/api/v1/defects/{defect['id']}/recheck", json={"result": "pass"})

    steps = [(e["object_type"], e["action"]) for e in
             reversed((await carol.get(f"/api/v1/units/{unit['id']}/timeline")).json()["items"])]
    for expected in [("inspection", "create"), ("inspection", "start"), ("unit", "status"), ("defect", "create"),
                     ("inspection", "complete_with_defects"), ("rectification_notice", "create"),
                     ("defect", "rectify"), ("defect", "recheck_pass"), ("inspection", "all_closed")]:
        assert expected in steps, expected
    assert steps.index(("defect", "rectify")) < steps.index(("defect", "recheck_pass"))
    defect_steps = (await bob.get(f"/api/v1/defects/{defect['id']}/timeline")).json()["items"]
    assert [e["action"] for e in reversed(defect_steps)] == ["create", "rectify", "recheck_pass"]
    assert defect_steps[0]["actor_name"] == "Carol"
    assert (await bob.get(f"/api/v1/units/{unit['id']}/timeline")).status_code == 403


async def test_adding_units_to_a_plan_is_all_or_nothing(personas, monkeypatch):
    import datetime as dt

    from server.audit.tables import AuditEntry
    from server.inspections import plans
    from server.inspections.tables import Inspection, InspectionPlan

    project, units = await _project_with_units(personas)
    plan = InspectionPlan(project=project.id, name="一期验收", starts_on=dt.date(2026, 12, 1),
                          ends_on=dt.date(2026, 12, 31))
    await plan.save().run()

    async def fails_half_way(**kwargs):  # every inspection is written, then the last step fails
        raise RuntimeError("the database went away")

    monkeypatch.setattr(plans, "audit_record", fails_half_way)
    try:
        await plans.plan_add_units(actor=None, plan=plan, unit_ids=units["1号楼"], scheduled_for=dt.date(2026, 12, 1),
                                   inspector_id=personas.user("ian").id)
    except RuntimeError:
        pass
    monkeypatch.undo()
    assert await Inspection.count().run() == 0
    assert await AuditEntry.count().where(AuditEntry.object_type == "inspection").run() == 0
    # A unit that is refused (not of the plan's project) refuses the whole request.
    carol = await personas.api("carol")
    other = await _project_with_units(personas)
    r = await carol.post(f"/api/v1/inspection-plans/{plan.id}/units", json={
        "unit_ids": units["1号楼"] + other[1]["1号楼"][:1], "scheduled_for": "2026-12-01"})
    assert r.status_code == 400 and set(r.json()["errors"]) == {"unit_ids"}
    assert await Inspection.count().run() == 0
    # And then it goes through whole.
    added = await plans.plan_add_units(actor=None, plan=plan, unit_ids=units["1号楼"],
                                       scheduled_for=dt.date(2026, 12, 1), inspector_id=None)
    assert added == len(units["1号楼"]) == await Inspection.count().where(Inspection.plan == plan.id).run()
    assert await AuditEntry.count().where((AuditEntry.object_type == "inspection")
                                          & (AuditEntry.action == "create")).run() == added
