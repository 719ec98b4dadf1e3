"""The repair lists (API, the CS page, the owner's page) run a fixed number of queries
however many requests they show: delivery days, warranty terms, photos and places
are read for the whole page at once."""
from __future__ import annotations

import json

from server.accounts.tables import UnitOwner
from server.org.services import building_create, project_create, units_bulk_create
from server.org.tables import Unit
from tests.inspections.support import photo_files
from tests.delivery.test_query_counts import _count
from tests.repairs.support import report


async def test_the_lists_cost_the_same_for_one_request_or_twelve(personas, monkeypatch):
    carol = await personas.api("carol")
    units = []
    for name in ("阳光花园", "翠湖苑"):  # two projects: two sets of warranty terms
        project = await project_create(actor=None, name=name)
        building = await building_create(actor=None, project_id=project.id, name="1号楼")
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=3, units_per_floor=2)
        units += [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).run()]
    await UnitOwner.insert(*[UnitOwner(unit=u, user=personas.user("olga").id) for u in units]).run()
    await carol.post(f"/api/v1/units/{units[0]}/delivered", json={"delivered_on": "2024-03-01"})
    assert (await report(carol, units[0], files=photo_files(1))).status_code == 201
    olga_api, olga, staff = await personas.api("olga"), await personas.browser("olga"), await personas.browser("carol")
    paths = [(carol, "/api/v1/repairs"), (olga_api, "/api/v1/repairs"), (staff, "/repairs"), (olga, "/owner/repairs")]
    one = [await _count(monkeypatch, client, path) for client, path in paths]
    for index, unit in enumerate(units[1:]):
        await carol.post(f"/api/v1/units/{unit}/delivered", json={"delivered_on": "2025-06-0%d" % (index % 9 + 1)})
        assert (await report(carol, unit, files=photo_files(1))).status_code == 201
        assert (await report(carol, unit)).status_code == 201
    many = [await _count(monkeypatch, client, path) for client, path in paths]
    assert [len(json.loads(text)["items"]) for _, text in many[:2]] == [23, 23]
    assert [text.count('data-repair="') for _, text in many[2:]] == [20, 20]  # a page of the pages' size
    assert [count for count, _ in one] == [count for count, _ in many]


async def test_a_homes_timeline_costs_the_same_for_one_event_or_fifty(personas, monkeypatch):
    """The staff unit page, the owner's record page and the owner's home page (with each home's latest events)."""
    import datetime as dt

    from server.delivery.tables import ConfirmedArea
    from server.inspections.tables import Defect, Inspection, Recheck
    from server.repairs.closing_tables import RepairVisit
    from tests.repairs.support import homes

    h = await homes(personas)
    carol = await personas.api("carol")
    assert (await report(carol, h["mine"])).status_code == 201
    staff, olga = await personas.browser("carol"), await personas.browser("olga")
    paths = [(staff, f"/units/{h['mine']}"), (olga, f"/owner/units/{h['mine']}"), (olga, "/owner")]
    one = [await _count(monkeypatch, client, path) for client, path in paths]
    assert [text.count("data-event") for _, text in one] == [1, 1, 1]

    await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": "2024-03-01"})
    for _ in range(6):
        repair = (await report(carol, h["mine"])).json()["id"]
        assert (await carol.post(f"/api/v1/repairs/{repair}/triage", json={
            "component": "waterproofing", "urgency": "normal", "survey_needed": False})).status_code == 200
    inspection = Inspection(unit=h["mine"], kind="delivery_walkthrough", status="completed",
                            started_at=dt.datetime(2024, 2, 28, 2, tzinfo=dt.timezone.utc),
                            completed_at=dt.datetime(2024, 2, 28, 3, tzinfo=dt.timezone.utc))
    await inspection.save().run()
    at = dt.datetime(2024, 2, 28, 2, 30, tzinfo=dt.timezone.utc)
    for index in range(8):
        defect = Defect(inspection=inspection.id, unit=h["mine"], room="客厅", category="wall", severity="minor",
                        description=f"墙面空鼓 {index}", construction_unit=personas.parties["builder_a"].id,
                        status="closed", created_at=at, rectified_at=at, closed_at=at)
        await defect.save().run()
        await Recheck(defect=defect.id, result="pass", created_at=at).save().run()
    await ConfirmedArea(unit=h["mine"], registered_area="89.52", source="api").save().run()
    await RepairVisit.insert(RepairVisit(repair=repair, reached=False),
                             RepairVisit(repair=repair, reached=True, satisfaction=2, comment="还在渗水")).run()
    many = [await _count(monkeypatch, client, path) for client, path in paths]
    staff_events, owner_events = many[0][1].count("data-event"), many[1][1].count("data-event")
    assert staff_events == owner_events == 1 + 1 + 6 * 2 + 2 + 8 * 4 + 1 + 2  # every event, for both audiences
    assert "回访电话：满意度 2 分（满分 5 分）" in many[1][1] and "回访电话：未联系上业主" in many[1][1]
    assert "还在渗水" in many[0][1] and "还在渗水" not in many[1][1]  # what staff wrote of the call stays inside
    assert many[2][1].count("data-event") == 5  # the home page: the latest five
    assert [count for count, _ in one] == [count for count, _ in many]
