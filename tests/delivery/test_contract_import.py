"""Contract data (合同数据) for a project from the sales company's file: every row or none."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from server.delivery.tables import UnitContract
from tests.delivery.test_delivery_table import _project, _units

HEAD = ["楼栋", "房号", "合同面积", "单价", "面积类型", "业主", "手机号"]


def _xlsx(rows, head=HEAD) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_good_file_records_each_units_contract(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    data = _xlsx([["1号楼", "101", 89.5, 30000, "建筑面积", "刘先生", 13800000001],
                  ["1号楼", "102", "90.00", "28,000.00", "套内建筑面积", "王女士", "138 0000 0002"],
                  ["1号楼", "103", "100", "25000", "建筑面积", "", ""]])
    r = await carol.post(f"/api/v1/projects/{project.id}/contracts", files={"file": ("合同.xlsx", data)})
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 3}
    rows = {c["unit"]: c for c in await UnitContract.select().run()}
    first = rows[units["101"]]
    assert Decimal(first["contract_area"]) == Decimal("89.50") and Decimal(first["unit_price"]) == Decimal(30000)
    assert first["area_basis"] == "building_area" and first["buyer_name"] == "刘先生"
    assert first["buyer_phone"] == "13800000001"
    assert rows[units["102"]]["area_basis"] == "interior_area" and rows[units["102"]]["buyer_phone"] == "13800000002"
    assert Decimal(rows[units["102"]]["unit_price"]) == Decimal(28000)
    table = (await carol.get(f"/api/v1/projects/{project.id}/delivery-table")).json()["items"]
    assert {row["buyer_name"] for row in table} == {"刘先生", "王女士", ""}


async def test_one_bad_row_imports_nothing_and_the_report_names_each_row_in_chinese(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    csv = ("楼栋,房号,合同面积,单价,面积类型,业主,手机号\n"
           "1号楼,101,89.5,30000,建筑面积,刘先生,13800000001\n"   # row 2: fine
           "1号楼,999,90,30000,建筑面积,,\n"                        # row 3: no such unit
           "1号楼,102,abc,30000,建筑面积,,\n"                       # row 4: not a number
           "1号楼,103,90,0,建筑面积,,\n"                            # row 5: zero price
           "1号楼,101,90,30000,建筑面积,,\n"                        # row 6: 101 again
           "1号楼,102,90,30000,使用面积,,\n"                        # row 7: bad area type
           "1号楼,103,90,30000,建筑面积,,12345\n")                  # row 8: bad mobile
    r = await carol.post(f"/api/v1/projects/{project.id}/contracts", files={"file": ("合同.csv", csv.encode("gbk"))})
    assert r.status_code == 400
    body = r.json()
    assert {(p["row"], p["field"]) for p in body["report"]} == {
        (3, "unit"), (4, "contract_area"), (5, "unit_price"), (6, "unit"), (7, "unit"), (7, "area_basis"),
        (8, "unit"), (8, "buyer_phone")}  # rows 7 and 8 also repeat 102 and 103
    assert body["detail"].startswith("未导入任何数据")
    messages = {p["row"]: p["message"] for p in body["report"]}
    assert "999" in messages[3] and "第 2 行" in messages[6] and "建筑面积" in messages[7] and "手机" in messages[8]
    assert await UnitContract.count().run() == 0


async def test_missing_columns_and_roles(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/projects/{project.id}/contracts",
                         files={"file": ("合同.csv", "楼栋,房号,合同面积\n1号楼,101,90\n".encode())})
    assert r.status_code == 400 and "单价" in r.json()["errors"]["file"] and "面积类型" in r.json()["errors"]["file"]
    ian = await personas.api("ian")
    data = _xlsx([["1号楼", "101", 89.5, 30000, "建筑面积", "", ""]])
    assert (await ian.post(f"/api/v1/projects/{project.id}/contracts", files={"file": ("c.xlsx", data)})).status_code == 403
    assert (await carol.post("/api/v1/projects/999999/contracts", files={"file": ("c.xlsx", data)})).status_code == 404


async def test_the_import_page_shows_the_report_and_imports_a_good_file(personas):
    from tests.support import csrf

    project = await _project(personas)
    carol = await personas.browser("carol")
    page = await carol.get(f"/delivery/projects/{project.id}/imports")
    assert page.status_code == 200 and "确权面积" in page.text and "合同数据" in page.text
    await csrf(carol)
    bad = _xlsx([["1号楼", "101", 89.5, 30000, "建筑面积", "", ""], ["1号楼", "404", 89.5, 30000, "建筑面积", "", ""]])
    r = await carol.post(f"/delivery/projects/{project.id}/imports/contracts", files={"file": ("c.xlsx", bad)})
    assert r.status_code == 400 and "未导入任何数据" in r.text
    assert '<td class="num">3</td><td>本项目中没有 1号楼 404 这套房屋。</td>' in r.text  # the row and the unit named
    assert await UnitContract.count().run() == 0
    areas = "楼栋,房号,确权面积\n1号楼,101,93\n".encode()
    r = await carol.post(f"/delivery/projects/{project.id}/imports/confirmed-areas", files={"file": ("a.csv", areas)},
                         follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/delivery/projects/{project.id}/table"
    good = _xlsx([["1号楼", "101", 89.5, 30000, "建筑面积", "", ""]])
    r = await carol.post(f"/delivery/projects/{project.id}/imports/contracts", files={"file": ("c.xlsx", good)},
                         follow_redirects=False)
    assert r.status_code == 303 and await UnitContract.count().run() == 1
    table = await carol.get(r.headers["location"])
    assert "已导入 1 行" in table.text and "80,550.00" in table.text
