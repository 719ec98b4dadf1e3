"""The construction unit "filled in from the category" (issue 10.4): the demo has
trade assignments, the administrator sets them on the building page, the
capture form fills the unit in from them, and where none exists it asks once
and remembers the choice for the building and category when asked to.
"""
from __future__ import annotations

import json
import re

from server.audit.tables import AuditEntry
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import Defect, TradeAssignment
from server.org.services import party_create
from tests.inspections.support import defect_form, unit_under_inspection
from tests.pages.test_inspection_pages import HX, browser, record


def selected_option(html: str, select_name: str) -> str:
    """The value of the selected option of one <select> ("" when none is)."""
    block = re.search(r'<select[^>]*name="%s".*?</select>' % select_name, html, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected>', block)
    return chosen.group(1) if chosen else ""


def details_of(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value  # JSON columns come back as text


async def assignments(building_id: int) -> dict[str, int]:
    rows = await TradeAssignment.select().where(TradeAssignment.building == building_id).run()
    return {row["category"]: row["party"] for row in rows}


async def test_the_demo_assigns_a_construction_unit_to_every_category_of_every_building(client):
    from server.demo import seed_demo
    from server.org.tables import Building, Party

    assert await seed_demo() is True
    names = {p["id"]: p["name"] for p in await Party.select(Party.id, Party.name).run()}
    buildings = await Building.objects().order_by(Building.name).run()
    assert [b.name for b in buildings] == ["1号楼", "2号楼"]
    for building in buildings:
        trades = await assignments(building.id)
        assert set(trades) == set(CATEGORIES)
        assert names[trades["wall"]] == "中建三局第一工程公司"
        assert names[trades["door_window"]] == "浙江精装饰工程有限公司"


async def test_the_admin_sets_the_units_on_the_building_page_and_each_change_is_audited(personas):
    unit, _ = await unit_under_inspection(personas)
    building_id = unit["building_id"]
    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    alice = await browser(personas, "alice")
    page = (await alice.get(f"/admin/buildings/{building_id}")).text
    assert 'action="/admin/buildings/%d/trades"' % building_id in page
    assert selected_option(page, "trade_wall") == ""

    saved = await alice.post(f"/admin/buildings/{building_id}/trades",
                             data={"trade_wall": str(a), "trade_door_window": str(b)}, follow_redirects=False)
    assert saved.status_code == 303
    assert await assignments(building_id) == {"wall": a, "door_window": b}
    page = (await alice.get(f"/admin/buildings/{building_id}")).text
    assert "Construction units saved." in page
    assert selected_option(page, "trade_wall") == str(a)
    assert selected_option(page, "trade_door_window") == str(b)
    assert selected_option(page, "trade_floor") == ""

    # A blank removes one; the other changes; each change is one audit entry on the building.
    await alice.post(f"/admin/buildings/{building_id}/trades", data={"trade_wall": str(b), "trade_door_window": ""})
    assert await assignments(building_id) == {"wall": b}
    entries = await AuditEntry.select(AuditEntry.details).where(
        (AuditEntry.object_type == "building") & (AuditEntry.object_id == str(building_id))
        & (AuditEntry.action == "trade_assign")).order_by(AuditEntry.id).run()
    details = [details_of(e["details"]) for e in entries]
    assert [(d["category"], d["from"], d["to"]) for d in details] == [
        ("wall", None, a), ("door_window", None, b), ("wall", a, b), ("door_window", b, None)]


async def test_a_party_that_is_not_a_construction_unit_is_refused_beside_its_category(personas):
    unit, _ = await unit_under_inspection(personas)
    building_id = unit["building_id"]
    supervisor = await party_create(actor=None, name="华信监理", kind="supervision_unit")
    alice = await browser(personas, "alice")
    bad = await alice.post(f"/admin/buildings/{building_id}/trades", headers=HX,
                           data={"trade_wall": str(personas.parties["builder_a"].id), "trade_floor": str(supervisor.id)})
    assert bad.status_code == 400
    assert "<html" not in bad.text  # just the form, for htmx to swap
    assert re.search(r'id="e-trade_floor">Choose a construction unit\.<', bad.text)
    assert selected_option(bad.text, "trade_wall") == str(personas.parties["builder_a"].id)  # what was chosen is kept
    assert await assignments(building_id) == {}


async def test_only_the_admin_may_set_them(personas):
    unit, _ = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    refused = await ian.post(f"/admin/buildings/{unit['building_id']}/trades",
                             data={"trade_wall": str(personas.parties["builder_a"].id)})
    assert refused.status_code == 403  # an admin page: refused by role, not hidden
    assert await assignments(unit["building_id"]) == {}


async def test_the_capture_form_fills_the_unit_in_from_the_building_and_category(personas):
    unit, inspection = await unit_under_inspection(personas)
    a = personas.parties["builder_a"].id
    await TradeAssignment.insert(TradeAssignment(building=unit["building_id"], category="wall", party=a)).run()
    ian = await browser(personas, "ian")
    page = (await ian.get(f"/inspections/{inspection['id']}/defects/new?category=wall&room=客厅")).text
    assert selected_option(page, "construction_unit_id") == str(a)
    # Assigned: the "remember" question is hidden.
    assert re.search(r'data-party-hint="unassigned" hidden', page)
    page = (await ian.get(f"/inspections/{inspection['id']}/defects/new?category=floor&room=客厅")).text
    assert selected_option(page, "construction_unit_id") == ""
    assert re.search(r'<div data-party-hint="unassigned">', page)
    assert 'name="remember_party" value="1"' in page
    assert "Remember it for 1号楼 and this category" in page

    # Saved without a unit where one is assigned: the server fills it in too.
    saved = await record(ian, inspection["id"], defect_form(a, construction_unit_id=""))
    assert saved.status_code == 201, saved.text
    assert (await Defect.objects().first().run()).construction_unit == a


async def test_a_hand_picked_unit_is_remembered_for_the_building_and_category_when_asked(personas):
    unit, inspection = await unit_under_inspection(personas)
    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    ian = await browser(personas, "ian")
    # Not asked to remember: nothing is kept.
    assert (await record(ian, inspection["id"], defect_form(a, category="floor"))).status_code == 201
    assert await assignments(unit["building_id"]) == {}
    # Asked (through the JSON API, as the outbox sends it): kept and audited.
    api = await personas.api("ian")
    form = defect_form(b, category="floor", remember_party="1")
    from tests.inspections.support import photo_files
    sent = await api.post(f"/api/v1/inspections/{inspection['id']}/defects", data=form, files=photo_files(1))
    assert sent.status_code == 201, sent.text
    assert await assignments(unit["building_id"]) == {"floor": b}
    entry = await AuditEntry.objects().get(AuditEntry.action == "trade_assign").run()
    assert entry.object_type == "building" and details_of(entry.details)["how"] == "remembered"
    assert entry.actor_id == personas.user("ian").id
    # The next defect of that category needs no choice.
    page = (await ian.get(f"/inspections/{inspection['id']}/defects/new?category=floor")).text
    assert selected_option(page, "construction_unit_id") == str(b)
    # An existing assignment is never overwritten by "remember".
    again = await record(ian, inspection["id"], defect_form(a, category="floor", remember_party="1"))
    assert again.status_code == 201
    assert await assignments(unit["building_id"]) == {"floor": b}
    assert await Defect.count().where(Defect.category == "floor").run() == 3


async def test_a_description_over_the_limit_is_refused_with_the_limit_not_cut(personas):
    _, inspection = await unit_under_inspection(personas)
    ian = await browser(personas, "ian")
    long_text = "墙" * 2001
    bad = await record(ian, inspection["id"], defect_form(personas.parties["builder_a"].id, description=long_text))
    assert bad.status_code == 400
    assert re.search(r'data-error-for="description">At most 2000 characters \(this has 2001\)\.<', bad.text)
    assert long_text in bad.text  # kept as typed
    assert await Defect.count().run() == 0
    ok = await record(ian, inspection["id"], defect_form(personas.parties["builder_a"].id, description="墙" * 2000))
    assert ok.status_code == 201
    assert len((await Defect.objects().first().run()).description) == 2000
