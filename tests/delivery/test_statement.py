"""The printable settlement statement of a unit: every line with its formula and
amount to the fen, the ±3 % flag and the buyer's right to cancel, the rule used;
for staff and the unit's own owner only."""
from __future__ import annotations

from server.accounts.tables import UnitOwner
from server.delivery.tables import ConfirmedArea
from tests.delivery.test_delivery_table import _project, _units


async def _settled(personas, contracts: dict, areas: dict) -> dict:
    """Units 101..103 of a fresh project with these contracts {number: json} and confirmed areas {number: area}."""
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    for number, contract in contracts.items():
        r = await carol.post(f"/api/v1/units/{units[number]}/contracts", json=contract)
        assert r.status_code == 201, r.text
    for number, area in areas.items():
        await ConfirmedArea(unit=units[number], registered_area=area, source="确权面积.xlsx").save().run()
    return units


CONTRACT = {"contract_area": "89.50", "unit_price": "30000.00", "buyer_name": "刘先生", "area_basis": "interior_area"}


async def test_beyond_3_percent_the_statement_shows_each_line_and_the_right_to_cancel(personas):
    units = await _settled(personas, {"101": CONTRACT}, {"101": "93.00"})
    carol = await personas.browser("carol")
    page = await carol.get(f"/delivery/units/{units['101']}/statement")
    assert page.status_code == 200
    text = page.text
    for expected in ("阳光花园", "1号楼", "101", "刘先生", "89.50 m²", "93.00 m²", "套内建筑面积", "30,000.00",
                     "(93.00 − 89.50) ÷ 89.50 × 100% = <strong>3.91%</strong>",
                     "3% × 89.50 × 30000.00 = 80,550.00", "(93.00 − 89.50 − 3% × 89.50) × 30000.00 = 24,450.00",
                     "超出 ±3%", "退房", "30 日内", "法定规则", "商品房销售管理办法", "确权面积.xlsx",
                     "delivery_docs.css", "window.print()", "statement__flag"):
        assert expected in text, expected
    assert "<strong>80,550.00</strong> 元" in text and "<strong>24,450.00</strong> 元" in text
    assert "<strong>0.00</strong> 元" in text  # nothing refunded


async def test_within_3_percent_it_settles_at_the_actual_area_without_the_flag(personas):
    units = await _settled(personas, {"102": CONTRACT}, {"102": "90.00"})
    carol = await personas.browser("carol")
    text = (await carol.get(f"/delivery/units/{units['102']}/statement")).text
    assert "|90.00 − 89.50| × 30000.00 = 15,000.00" in text and "按实际面积结算" in text
    assert "statement__flag" not in text and "±3% 以内" in text


async def test_a_shortfall_is_refunded_double_rounded_to_the_fen(personas):
    units = await _settled(personas, {"103": {"contract_area": "100.00", "unit_price": "12345.67"}}, {"103": "95.55"})
    carol = await personas.browser("carol")
    text = (await carol.get(f"/delivery/units/{units['103']}/statement")).text
    assert "3% × 100.00 × 12345.67 = 37,037.01" in text
    assert "2 × (100.00 − 3% × 100.00 − 95.55) × 12345.67 = 35,802.44" in text  # 35802.443 → .44
    assert "<strong>72,839.45</strong> 元" in text and "-4.45%" in text


async def test_a_contract_override_is_used_and_named(personas):
    contract = dict(CONTRACT, rule={"threshold_percent": "5"})
    units = await _settled(personas, {"101": contract}, {"101": "93.00"})
    carol = await personas.browser("carol")
    text = (await carol.get(f"/delivery/units/{units['101']}/statement")).text
    assert "合同约定规则" in text and "±5% 以内" in text and "statement__flag" not in text
    assert "|93.00 − 89.50| × 30000.00 = 105,000.00" in text


async def test_missing_data_is_said_plainly(personas):
    units = await _settled(personas, {"101": CONTRACT}, {"102": "90.00"})
    carol = await personas.browser("carol")
    no_area = await carol.get(f"/delivery/units/{units['101']}/statement")
    assert no_area.status_code == 200 and "确权面积尚未" in no_area.text
    no_contract = await carol.get(f"/delivery/units/{units['102']}/statement")
    assert "合同数据" in no_contract.text and "尚未录入" in no_contract.text
    neither = await carol.get(f"/delivery/units/{units['103']}/statement")
    assert "合同数据和确权面积都尚未录入" in neither.text


async def test_the_owner_sees_their_own_unit_only_and_a_contractor_nothing(personas):
    units = await _settled(personas, {"101": CONTRACT, "102": CONTRACT}, {"101": "93.00", "102": "90.00"})
    await UnitOwner(user=personas.user("olga").id, unit=units["101"]).save().run()
    olga = await personas.browser("olga")
    mine = await olga.get(f"/delivery/units/{units['101']}/statement")
    assert mine.status_code == 200 and "80,550.00" in mine.text
    assert (await olga.get(f"/delivery/units/{units['102']}/statement")).status_code == 404
    bob = await personas.browser("bob")
    assert (await bob.get(f"/delivery/units/{units['101']}/statement")).status_code == 404
    assert (await olga.get("/delivery/units/999999/statement")).status_code == 404


async def test_the_table_page_links_each_statement_and_the_excel(personas):
    units = await _settled(personas, {"101": CONTRACT}, {"101": "93.00"})
    carol = await personas.browser("carol")
    from server.org.tables import Project, Unit

    project = await Project.objects().get(Project.id.is_in(
        Unit.select(Unit.building.project).where(Unit.id == units["101"]))).run()
    page = await carol.get(f"/delivery/projects/{project.id}/table")
    assert page.status_code == 200
    assert f'href="/api/v1/projects/{project.id}/delivery-table.xlsx"' in page.text
    for number in ("101", "102", "103"):
        assert f'href="/delivery/units/{units[number]}/statement"' in page.text
    assert "80,550.00" in page.text and "doc-table__flag" in page.text and "3.91" in page.text
    olga = await personas.browser("olga")
    assert (await olga.get(f"/delivery/projects/{project.id}/table")).status_code == 403
