"""One home, one settlement (issue 9.2, 9.3): areas and prices are recorded to 0.01
and more decimals are refused at every door (the API, both imports, the
area-settlement endpoint), naming the field, the row and what was typed; the
statement, the table page, its JSON and its Excel file settle the same stored
values through one function and show the same figures, cell by cell; the
error ratio never reads as the threshold when the verdict is "beyond"."""
from __future__ import annotations

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from server.delivery.settlement import settle
from server.delivery.tables import ConfirmedArea, UnitContract
from tests.delivery.test_contract_import import _xlsx
from tests.delivery.test_delivery_table import _project, _units

D = Decimal


class _Rows(HTMLParser):
    """Every table row of a page as the text of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(html: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows




async def test_more_than_two_decimals_is_refused_at_every_door_naming_the_field_and_what_was_typed(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts",
                         json={"contract_area": "89.567", "unit_price": "12345.675"})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["contract_area"] == "合同面积：填写的 89.567 超过两位小数。面积精确到 0.01 平方米。"
    assert errors["unit_price"] == "单价：填写的 12345.675 超过两位小数。价格精确到 0.01 元。"
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts", json={
        "contract_area": "89.50", "unit_price": "30000", "rule": {"threshold_percent": "2.505"}})
    assert r.status_code == 400 and "2.505" in r.json()["errors"]["rule.threshold_percent"]
    r = await carol.post(f"/api/v1/units/{units['101']}/area-settlement",
                         json={"contract_area": "89.567", "registered_area": "92.5", "unit_price": "12345.68"})
    assert r.status_code == 400 and set(r.json()["errors"]) == {"contract_area"}
    assert "89.567" in r.json()["errors"]["contract_area"]
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts",
                         json={"contract_area": "100000000", "unit_price": "1"})
    assert r.status_code == 400 and r.json()["errors"]["contract_area"] == "合同面积：填写的 100000000 过大。"
    assert await UnitContract.count().run() == 0

    data = _xlsx([["1号楼", "101", "89.57", "12345.68", "建筑面积", "", ""],
                  ["1号楼", "102", "89.567", "12345.675", "建筑面积", "", ""]])
    r = await carol.post(f"/api/v1/projects/{project.id}/contracts", files={"file": ("合同.xlsx", data)})
    assert r.status_code == 400
    assert {(p["row"], p["field"]): p["message"] for p in r.json()["report"]} == {
        (3, "contract_area"): "合同面积：填写的 89.567 超过两位小数。面积精确到 0.01 平方米。",
        (3, "unit_price"): "单价：填写的 12345.675 超过两位小数。价格精确到 0.01 元。"}
    csv = "楼栋,房号,确权面积\n1号楼,101,92.50\n1号楼,102,92.505\n"
    r = await carol.post(f"/api/v1/projects/{project.id}/confirmed-areas",
                         files={"file": ("确权面积.csv", csv.encode("gbk"))})
    assert r.status_code == 400
    assert r.json()["report"] == [{"row": 3, "field": "registered_area",
                                   "message": "确权面积：填写的 92.505 超过两位小数。面积精确到 0.01 平方米。"}]
    assert await UnitContract.count().run() == 0 and await ConfirmedArea.count().run() == 0
    # The import page shows the same report, by row.
    browser = await personas.browser("carol")
    page = await browser.post(f"/delivery/projects/{project.id}/imports/confirmed-areas",
                              files={"file": ("确权面积.csv", csv.encode("gbk"))})
    assert page.status_code == 400
    assert ["3", "确权面积：填写的 92.505 超过两位小数。面积精确到 0.01 平方米。"] in _rows(page.text)


def _money(text: str) -> Decimal:
    return D(re.search(r"-?[\d,]+\.\d\d", text).group(0).replace(",", ""))


async def test_the_statement_the_table_its_json_and_its_excel_settle_the_same_stored_values(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    # 101: contract through the API; 102: through the contract import; 103: a record kept before the
    # precision rule (SQLite holds 89.567 as typed, PostgreSQL rounds it on insert): read as 89.57 everywhere.
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts",
                         json={"contract_area": "89.57", "unit_price": "12345.68", "buyer_name": "刘先生"})
    assert r.status_code == 201, r.text
    data = _xlsx([["1号楼", "102", 89.57, "12,345.68", "建筑面积", "王女士", ""]])
    r = await carol.post(f"/api/v1/projects/{project.id}/contracts", files={"file": ("合同.xlsx", data)})
    assert r.status_code == 201, r.text
    await UnitContract(unit=units["103"], contract_area=D("89.567"), unit_price=D("12345.675"),
                       buyer_name="张先生", rule={}).save().run()
    areas = _xlsx([["1号楼", "101", "92.00"], ["1号楼", "102", 92.26], ["1号楼", "103", "86.88"]],
                  head=["楼栋", "房号", "确权面积"])
    r = await carol.post(f"/api/v1/projects/{project.id}/confirmed-areas", files={"file": ("确权面积.xlsx", areas)})
    assert r.status_code == 201, r.text

    expected = {"101": settle(D("89.57"), D("92.00"), D("12345.68")),   # +2.71 %: within
                "102": settle(D("89.57"), D("92.26"), D("12345.68")),   # +3.0032 %: beyond
                "103": settle(D("89.57"), D("86.88"), D("12345.68"))}   # −3.0032 %: beyond
    shown = {"101": "2.71", "102": "3.003", "103": "-3.003"}
    assert {n: str(s.error_ratio_shown) for n, s in expected.items()} == shown
    want = {n: (s.total("buyer_pays"), s.total("developer_refunds"), s.total("developer_bears"))
            for n, s in expected.items()}

    browser = await personas.browser("carol")
    json_rows = {row["unit"]: row for row in (await carol.get(
        f"/api/v1/projects/{project.id}/delivery-table")).json()["items"]}
    table_rows = {row[0].split()[-1]: row for row in _rows(
        (await browser.get(f"/delivery/projects/{project.id}/table")).text) if row and row[0].startswith("1号楼")}
    sheet = load_workbook(io.BytesIO((await carol.get(
        f"/api/v1/projects/{project.id}/delivery-table.xlsx")).content)).active
    excel_rows = {sheet.cell(row=i, column=2).value: [sheet.cell(row=i, column=c) for c in range(1, 12)]
                  for i in range(3, sheet.max_row + 1)}
    for number in ("101", "102", "103"):
        pays, refunds, bears = want[number]
        # the JSON
        j = json_rows[number]
        assert (j["contract_area"], j["registered_area"]) == ("89.57", str(expected[number].registered_area))
        js = j["settlement"]
        assert (js["buyer_pays"], js["developer_refunds"], js["developer_bears"]) == (f"{pays}", f"{refunds}",
                                                                                       f"{bears}")
        assert js["error_ratio_percent"] == shown[number] and js["unit_price"] == "12345.68"
        beyond = number != "101"
        assert j["flagged"] is beyond
        # the table page
        t = table_rows[number]
        assert t[2] == "89.57" and t[3] == str(expected[number].registered_area)
        assert t[4] == (f"{shown[number]} 超出 ±3%" if beyond else shown[number])
        assert [_money(t[5]), _money(t[6]), _money(t[7])] == [pays, refunds, bears]
        # the Excel file
        x = excel_rows[number]
        assert [D(str(x[i].value)) for i in (3, 4, 5)] == [D("89.57"), expected[number].registered_area,
                                                            D("12345.68")]
        assert D(str(x[6].value)) == D(shown[number]) and x[6].number_format == (
            "0.00" if number == "101" else "0.000")
        assert x[7].value == ("否" if beyond else "是")
        assert [D(str(x[i].value)) for i in (8, 9, 10)] == [pays, refunds, bears]
        # the statement
        page = await browser.get(f"/delivery/units/{units[number]}/statement")
        rows = {row[0]: row[1:] for row in _rows(page.text) if len(row) > 1}
        assert rows["合同约定面积（Ac）"][0].startswith("89.57 m²")
        assert rows["面积误差比（e）"][0].split(" = ")[1] == f"{shown[number]}% " + ("超出 ±3%" if beyond else "±3% 以内")
        assert [_money(rows[k][0]) for k in ("购房人补交", "开发商退还", "开发商承担")] == [pays, refunds, bears]
        assert ("statement__flag" in page.text) is beyond
        # the area-settlement endpoint, given the same values
        r = await carol.post(f"/api/v1/units/{units[number]}/area-settlement", json={
            "contract_area": "89.57", "registered_area": str(expected[number].registered_area),
            "unit_price": "12345.68"})
        assert r.status_code == 200 and r.json() == js


@pytest.mark.parametrize("contract,registered,shown,within", [
    ("100.00", "103.00", "3.00", True),           # exactly +3 %: within
    ("100.00", "97.00", "-3.00", True),           # exactly −3 %
    ("100.01", "103.01", "3.00", True),           # +2.99970 %: within, and 3.00 says so
    ("100.01", "97.01", "-3.00", True),           # −2.99970 %
    ("89.57", "92.26", "3.003", False),           # +3.0032 %: beyond; "3.00" would contradict the chip
    ("89.57", "86.88", "-3.003", False),          # −3.0032 %
    ("10000.00", "10300.01", "3.0001", False),    # +3.0001 %
    ("10000.00", "9699.99", "-3.0001", False),    # −3.0001 %
    ("199.99", "205.99", "3.0002", False),        # +3.00015 %: half up at the fourth place
    ("200.00", "206.01", "3.01", False),          # +3.005 %: 0.01 % is enough
    ("200.00", "193.99", "-3.01", False),         # −3.005 %
    ("1000.00", "1030.04", "3.004", False),       # +3.004 %
    ("1000.00", "969.96", "-3.004", False),       # −3.004 %
])
def test_the_ratio_shown_never_contradicts_the_verdict(contract, registered, shown, within):
    result = settle(D(contract), D(registered), D("10000.00"))
    assert result.within_threshold is within
    assert str(result.error_ratio_shown) == shown
    assert (abs(result.error_ratio_shown) <= 3) is within


async def test_the_pages_show_the_ratio_beyond_the_threshold_with_the_decimals_it_needs(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    for number, area in (("101", "92.26"), ("102", "86.88")):
        r = await carol.post(f"/api/v1/units/{units[number]}/contracts",
                             json={"contract_area": "89.57", "unit_price": "10000"})
        assert r.status_code == 201, r.text
        await ConfirmedArea(unit=units[number], registered_area=D(area)).save().run()
    browser = await personas.browser("carol")
    text = (await browser.get(f"/delivery/units/{units['101']}/statement")).text
    assert "(92.26 − 89.57) ÷ 89.57 × 100% = <strong>3.003%</strong>" in text and "statement__flag" in text
    text = (await browser.get(f"/delivery/units/{units['102']}/statement")).text
    assert "(86.88 − 89.57) ÷ 89.57 × 100% = <strong>-3.003%</strong>" in text and "statement__flag" in text
