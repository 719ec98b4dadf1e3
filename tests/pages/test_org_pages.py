"""An administrator sets up a project through the forms, as in a browser."""
from __future__ import annotations

import re

from server.org.tables import Building, Party, Project, Unit, UnitType


def unit_numbers(html: str) -> list[str]:
    return re.findall(r'<span class="unit-tile__number num">([^<]+)</span>', html)


async def test_admin_creates_a_project_a_building_and_units_floor_by_floor(personas):
    alice = await personas.browser("alice")

    form = await alice.get("/admin/projects/new")
    assert form.status_code == 200
    assert 'name="_csrf_token"' in form.text

    created = await alice.post("/admin/projects", data={"name": "滨江花园二期", "code": "BJ2", "city": "杭州"},
                               follow_redirects=False)
    assert created.status_code == 303
    project = await Project.objects().get(Project.name == "滨江花园二期").run()
    assert created.headers["location"] == f"/admin/projects/{project.id}"
    page = await alice.get(created.headers["location"])
    assert "滨江花园二期" in page.text
    assert "项目已创建" in page.text  # the flash message, once
    assert "项目已创建" not in (await alice.get(created.headers["location"])).text

    created = await alice.post(f"/admin/projects/{project.id}/buildings", data={"name": "3号楼"},
                               follow_redirects=False)
    assert created.status_code == 303
    building = await Building.objects().get(Building.project == project.id).run()
    assert created.headers["location"] == f"/admin/buildings/{building.id}"

    bulk = await alice.post(f"/admin/buildings/{building.id}/units/bulk",
                            data={"floor_from": "1", "floor_to": "3", "units_per_floor": "2", "unit_type_id": ""},
                            follow_redirects=False)
    assert bulk.status_code == 303
    page = await alice.get(bulk.headers["location"])
    assert "已创建 6 套房屋" in page.text
    assert unit_numbers(page.text) == ["101", "102", "201", "202", "301", "302"]
    assert "未验房" in page.text  # each unit's status chip has a word

    project_page = await alice.get(f"/admin/projects/{project.id}")
    assert "3号楼" in project_page.text
    assert "6 套" in project_page.text


async def test_a_form_with_an_empty_name_comes_back_with_the_message_and_what_was_typed(personas):
    alice = await personas.browser("alice")
    response = await alice.post("/admin/projects", data={"name": "  ", "code": "XY-9", "city": "苏州"})
    assert response.status_code == 400
    assert "请修改标出的内容" in response.text
    assert "此项必填" in response.text
    assert 'value="XY-9"' in response.text and 'value="苏州"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert await Project.count().run() == 0


async def test_a_bad_bulk_form_keeps_the_building_page_and_the_numbers_typed(personas):
    alice = await personas.browser("alice")
    project = Project(name="P")
    await project.save().run()
    building = Building(project=project.id, name="1号楼")
    await building.save().run()
    response = await alice.post(f"/admin/buildings/{building.id}/units/bulk",
                                data={"floor_from": "5", "floor_to": "2", "units_per_floor": "4"})
    assert response.status_code == 400
    assert "1号楼" in response.text  # the whole page, without JS
    assert "最高楼层不能低于起始楼层" in response.text
    assert 'value="5"' in response.text and 'value="4"' in response.text
    assert await Unit.count().run() == 0


async def test_an_htmx_form_submit_gets_back_only_the_form_or_a_client_redirect(personas):
    alice = await personas.browser("alice")
    htmx = {"HX-Request": "true"}
    bad = await alice.post("/admin/projects", data={"name": ""}, headers=htmx)
    assert bad.status_code == 400
    assert bad.text.lstrip().startswith('<form id="project-form"')
    assert "<html" not in bad.text
    good = await alice.post("/admin/projects", data={"name": "Garden"}, headers=htmx)
    assert good.status_code == 200
    project = await Project.objects().get(Project.name == "Garden").run()
    assert good.headers["HX-Redirect"] == f"/admin/projects/{project.id}"


async def test_a_paged_list_answers_htmx_with_only_its_fragment(personas):
    alice = await personas.browser("alice")
    await Project.insert(*[Project(name=f"Project {n:02d}") for n in range(25)]).run()

    full = await alice.get("/admin/projects?limit=10&offset=0")
    assert full.status_code == 200
    assert "<html" in full.text and "HX-Request" in full.headers["vary"]
    assert full.text.count('class="weui-cell weui-cell_access"') == 10
    assert 'href="/admin/projects?limit=10&amp;offset=10"' in full.text

    fragment = await alice.get("/admin/projects?limit=10&offset=20", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["vary"]
    assert "<html" not in fragment.text and "app-topbar" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="project-list"')
    assert fragment.text.count('class="weui-cell weui-cell_access"') == 5
    assert "21–25" in fragment.text


async def test_the_units_of_a_building_page_by_floor(personas):
    alice = await personas.browser("alice")
    project = Project(name="P")
    await project.save().run()
    building = Building(project=project.id, name="9号楼")
    await building.save().run()
    await Unit.insert(*[Unit(building=building.id, floor=f, number=f"{f}{p:02d}")
                        for f in range(1, 11) for p in (1, 2)]).run()
    first = await alice.get(f"/admin/buildings/{building.id}?limit=6")
    assert unit_numbers(first.text) == ["101", "102", "201", "202", "301", "302"]
    fragment = await alice.get(f"/admin/buildings/{building.id}?limit=6&offset=18", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="units"')
    assert unit_numbers(fragment.text) == ["1001", "1002"]


async def test_admin_adds_a_unit_type_and_a_single_unit_then_edits_it(personas):
    alice = await personas.browser("alice")
    project = Project(name="P")
    await project.save().run()
    building = Building(project=project.id, name="2号楼")
    await building.save().run()

    response = await alice.post(f"/admin/projects/{project.id}/unit-types", data={"name": "A1 三室两厅"},
                                follow_redirects=False)
    assert response.status_code == 303
    unit_type = await UnitType.objects().get(UnitType.project == project.id).run()

    response = await alice.post(f"/admin/buildings/{building.id}/units",
                                data={"number": "1202", "floor": "12", "unit_type_id": str(unit_type.id)},
                                follow_redirects=False)
    assert response.status_code == 303
    unit = await Unit.objects().get(Unit.building == building.id).run()
    assert (unit.number, unit.floor, unit.unit_type) == ("1202", 12, unit_type.id)

    edit = await alice.get(f"/admin/units/{unit.id}/edit")
    assert 'value="1202"' in edit.text
    assert f'<option value="{unit_type.id}" selected>A1 三室两厅</option>' in edit.text
    clash = await alice.post(f"/admin/buildings/{building.id}/units", data={"number": "1202", "floor": "12"})
    assert clash.status_code == 400
    assert "该房号在本楼栋已存在" in clash.text
    saved = await alice.post(f"/admin/units/{unit.id}", data={"number": "1203", "floor": "12", "unit_type_id": ""},
                             follow_redirects=False)
    assert saved.status_code == 303
    assert (await Unit.objects().get(Unit.id == unit.id).run()).number == "1203"


async def test_admin_manages_parties_with_translated_kinds(personas):
    alice = await personas.browser("alice")
    form = await alice.get("/admin/parties/new")
    for label in ("施工单位", "监理单位", "维修单位", "物业公司", "部门"):
        assert label in form.text

    bad = await alice.post("/admin/parties", data={"name": "中建八局", "kind": "",
                                                   "webhook_url": "qyapi.weixin.qq.com/robot"})
    assert bad.status_code == 400
    assert "请选择单位类型" in bad.text
    assert "请输入以 http:// 或 https:// 开头的网址" in bad.text
    assert 'value="中建八局"' in bad.text

    created = await alice.post("/admin/parties", data={"name": "中建八局", "kind": "construction_unit",
                                                       "contact_name": "王工", "phone": "13800000000",
                                                       "email": "wang@example.com",
                                                       "webhook_url": "https://example.com/robot"},
                               follow_redirects=False)
    assert created.status_code == 303
    party = await Party.objects().get(Party.name == "中建八局").run()
    assert party.webhook_url == "https://example.com/robot"

    listing = await alice.get("/admin/parties?kind=construction_unit")
    assert "中建八局" in listing.text and "Builder A" in listing.text
    assert "中建八局" not in (await alice.get("/admin/parties?kind=department")).text

    saved = await alice.post(f"/admin/parties/{party.id}", data={"name": "中建八局", "kind": "repair_unit",
                                                                 "contact_name": "李工"}, follow_redirects=False)
    assert saved.status_code == 303
    assert (await Party.objects().get(Party.id == party.id).run()).kind == "repair_unit"
