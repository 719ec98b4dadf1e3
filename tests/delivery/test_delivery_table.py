"""Contract data, the confirmed-area import (all rows or none), the comparison table and its Excel export."""
import io

from openpyxl import Workbook, load_workbook

from server.delivery.tables import ConfirmedArea


async def _project(personas):
    from server.org.services import building_create, project_create, units_bulk_create

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=3)
    return project


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "房号", "确权面积"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _units(client, project_id):
    buildings = (await client.get(f"/api/v1/projects/{project_id}/buildings")).json()["items"]
    return {u["number"]: u["id"] for u in (await client.get(
        f"/api/v1/buildings/{buildings[0]['id']}/units")).json()["items"]}


async def test_a_good_file_imports_and_the_table_settles_each_unit(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    for number, area in (("101", "89.50"), ("102", "89.50"), ("103", "100.00")):
        r = await carol.post(f"/api/v1/units/{units[number]}/contracts",
                             json={"contract_area": area, "unit_price": "30000.00", "buyer_name": "刘先生"})
        assert r.status_code == 201, r.text
    data = _xlsx([["1号楼", "101", 93.00], ["1号楼", "102", "90.00"], ["1号楼", "103", "100"]])
    r = await carol.post(f"/api/v1/projects/{project.id}/confirmed-areas", files={"file": ("确权面积.xlsx", data)})
    assert r.status_code == 201 and r.json() == {"imported": 3}
    table = {row["unit"]: row for row in (await carol.get(f"/api/v1/projects/{project.id}/delivery-table")).json()["items"]}
    assert table["101"]["flagged"] is True and table["101"]["settlement"]["buyer_pays"] == "80550.00"
    assert table["102"]["flagged"] is False and table["102"]["settlement"]["buyer_pays"] == "15000.00"
    assert table["103"]["settlement"]["lines"] == []
    export = await carol.get(f"/api/v1/projects/{project.id}/delivery-table.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet["A1"].value == "阳光花园" and sheet["B3"].value == "101" and float(sheet["I3"].value) == 80550.0


async def test_one_bad_row_imports_nothing_and_the_report_names_each_row(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    csv = "楼栋,房号,确权面积\n1号楼,101,89.5\n1号楼,999,90\n1号楼,102,abc\n1号楼,103,-1\n1号楼,101,88\n1号楼,102,0\n"
    r = await carol.post(f"/api/v1/projects/{project.id}/confirmed-areas",
                         files={"file": ("areas.csv", csv.encode("gbk"))})
    assert r.status_code == 400
    body = r.json()
    problems = {(p["row"], p["field"]) for p in body["report"]}
    # row 7 repeats 102 (already on row 4) and has a zero area: two problems
    assert problems == {(3, "unit"), (4, "registered_area"), (5, "registered_area"), (6, "unit"),
                        (7, "unit"), (7, "registered_area")}
    assert body["detail"].startswith("未导入任何数据")
    assert all(p["message"] for p in body["report"])
    assert await ConfirmedArea.count().run() == 0


async def test_a_file_without_the_columns_is_refused(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/projects/{project.id}/confirmed-areas",
                         files={"file": ("areas.csv", "unit,area\n101,90\n".encode())})
    assert r.status_code == 400 and "file" in r.json()["errors"]


async def test_contract_data_is_validated_and_only_some_roles_may_record_it(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts", json={"contract_area": "0", "unit_price": "x"})
    assert r.status_code == 400 and {"contract_area", "unit_price"} <= set(r.json()["errors"])
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/units/{units['101']}/contracts", json={"contract_area": "90", "unit_price": "1"})
    assert r.status_code == 403


def test_the_excel_file_rounds_the_error_ratio_as_the_pages_and_the_api_do():
    """3.005 % shows as 3.01 (half up) everywhere, not 3.00 (half to even)."""
    from decimal import Decimal

    from server.delivery.export import workbook
    from server.delivery.settlement import settle

    result = settle(Decimal("200.00"), Decimal("206.01"), Decimal("10000.00"))
    assert result.error_ratio_percent == Decimal("3.005") and str(result.error_ratio_shown) == "3.01"
    row = {"unit": {"building": "1号楼", "number": "101"}, "settlement": result,
           "contract": {"buyer_name": "刘先生", "contract_area": "200.00", "unit_price": "10000.00"},
           "confirmed": {"registered_area": "206.01"}}
    sheet = load_workbook(io.BytesIO(workbook("阳光花园", [row]))).active
    assert Decimal(str(sheet.cell(row=3, column=7).value)) == Decimal("3.01")
