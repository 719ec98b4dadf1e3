"""The repair lists (API, the CS page, the owner's page, the repair unit's job list)
run a fixed number of queries however many requests they show: delivery days,
warranty terms, photos, places and agreed visits are read for the whole page at
once, and the total is counted once, or not at all when the list fits on its page
(pagination.total_shown_by: the one query more of a full page is that count)."""
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
    # The API's 23 fit its page of 50; the pages' 20 of 23 are counted.
    assert [count for count, _ in many] == [count + extra for (count, _), extra in zip(one, (0, 0, 1, 1))]


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


async def _dispatched(unit_ids: list[int], how_many: int, party_id: int, other_party_id: int) -> None:
    """`how_many` requests across these homes, each with a standing assignment to `party_id`; every third went
    to the other unit first (a superseded assignment), and the other unit holds as many jobs of its own."""
    import datetime as dt
    import uuid

    from server.repairs.job_tables import RepairAssignment
    from server.repairs.tables import RepairRequest
    from server.db import write_transaction

    async with write_transaction():
        for index in range(how_many * 2):
            repair = RepairRequest(client_id=uuid.uuid4(), unit=unit_ids[index % len(unit_ids)],
                                   component="waterproofing", location="卫生间", description="卫生间顶棚漏水",
                                   reported_on=dt.date(2025, 6, 1), channel="phone",
                                   status=("assigned", "in_repair", "completed")[index % 3], urgency="normal")
            await repair.save().run()
            mine = index % 2 == 0
            if mine and index % 3 == 0:
                await RepairAssignment(repair=repair.id, party=other_party_id, superseded=True).save().run()
            await RepairAssignment(repair=repair.id, party=party_id if mine else other_party_id,
                                   visit_at=dt.datetime(2030, 1, 2, 2, tzinfo=dt.timezone.utc) if index % 4 else None
                                   ).save().run()


async def test_the_job_list_costs_the_same_for_5_jobs_or_50(personas, monkeypatch):
    """The repair unit's page and its API list: the same queries for 5 jobs as for 50 (homes in two projects,
    reassigned jobs, another unit's jobs beside them), a page of 20, and the total of the unit's own."""
    import re

    from server.org.services import party_create
    from tests.repairs.jobs_support import repair_unit

    party, _rita = await repair_unit(personas)
    other = await party_create(actor=None, name="别家维修", kind="repair_unit")
    units = []
    for name in ("阳光花园", "翠湖苑"):
        project = await project_create(actor=None, name=name)
        building = await building_create(actor=None, project_id=project.id, name="1号楼")
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=3, units_per_floor=2)
        units += [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).run()]
    carol = await personas.api("carol")
    for index, unit in enumerate(units):
        await carol.post(f"/api/v1/units/{unit}/delivered", json={"delivered_on": "2024-0%d-01" % (index % 9 + 1)})
    rita_api, rita = await personas.api("rita"), await personas.browser("rita")
    paths = [(rita_api, "/api/v1/repairs"), (rita, "/repairs/jobs")]

    await _dispatched(units, 5, party.id, other.id)
    few = [await _count(monkeypatch, client, path) for client, path in paths]
    assert json.loads(few[0][1])["total"] == 5 and few[1][1].count('data-job="') == 5
    await _dispatched(units, 45, party.id, other.id)
    many = [await _count(monkeypatch, client, path) for client, path in paths]
    assert json.loads(many[0][1])["total"] == 50
    assert many[1][1].count('data-job="') == 20  # a page, not every job
    assert re.search(r'class="pager__info">第 1–20 条，共 50 条<', many[1][1])
    # The API's 50 fit its page of 50; the page's 20 of 50 are counted.
    assert [count for count, _ in many] == [count + extra for (count, _), extra in zip(few, (0, 1))]


async def test_a_repair_has_one_standing_assignment_which_the_job_count_relies_on(personas):
    """The job list counts a unit's standing assignments: the database refuses a second one for a repair."""
    import pytest

    from server.repairs.job_tables import RepairAssignment
    from tests.repairs.jobs_support import assigned, repair_unit

    party, _rita = await repair_unit(personas)
    _h, repair_id = await assigned(personas, party.id)
    with pytest.raises(Exception) as refused:
        await RepairAssignment(repair=repair_id, party=party.id).save().run()
    assert "unique" in str(refused.value).lower()
    await RepairAssignment(repair=repair_id, party=party.id, superseded=True).save().run()  # history is fine
    assert await RepairAssignment.count().where(RepairAssignment.repair == repair_id).run() == 2
