"""Area settlement (rules.md): both sides of ±3 %, exactly 3 %, rounding to the fen, overrides, bad input."""
from decimal import Decimal

import pytest

from server.delivery.settlement import SettlementRule, settle

D = Decimal


@pytest.mark.parametrize("registered,within,pays,refunds,bears", [
    ("100.00", True, "0.00", "0.00", "0.00"),
    ("103.00", True, "90000.00", "0.00", "0.00"),        # exactly +3 %: still within
    ("97.00", True, "0.00", "90000.00", "0.00"),         # exactly −3 %
    ("103.01", False, "90000.00", "0.00", "300.00"),     # just beyond: the extra 0.01 m² is the developer's
    ("96.99", False, "0.00", "90600.00", "0.00"),        # 90000 within + 2 × 0.01 × 30000
    ("95.00", False, "0.00", "210000.00", "0.00"),       # 90000 + 2 × 2 × 30000
    ("110.00", False, "90000.00", "0.00", "210000.00"),
])
def test_the_statutory_rule(registered, within, pays, refunds, bears):
    result = settle(D("100.00"), D(registered), D("30000"))
    assert result.within_threshold is within and result.buyer_may_cancel is (not within)
    assert (result.total("buyer_pays"), result.total("developer_refunds"), result.total("developer_bears")) == (
        D(pays), D(refunds), D(bears))


def test_each_line_is_rounded_to_the_fen_before_adding():
    # within: 0.03 × 89.37 × 12345.67 = 33099.975837 -> 33099.98
    # beyond: 2 × (0.97 × 89.37 − 85.00) × 12345.67 = 41701.204126 -> 41701.20
    result = settle(D("89.37"), D("85.00"), D("12345.67"))
    assert [line.amount for line in result.lines] == [D("33099.98"), D("41701.20")]
    assert result.total("developer_refunds") == D("74801.18")


def test_rounding_lines_first_can_differ_from_rounding_the_total():
    # Two lines of x.xx5 each: rounded separately they gain a fen each.
    # within: 0.03 × 100 × 0.335 = 1.005 -> 1.01; beyond: 2 × (97 − 96.5) × 0.335 = 0.335 -> 0.34
    result = settle(D("100"), D("96.5"), D("0.335"))
    assert [line.amount for line in result.lines] == [D("1.01"), D("0.34")]
    assert result.total("developer_refunds") == D("1.35")  # not round(1.34) of the exact sum 1.340


def test_half_a_fen_rounds_up():
    # (100.005 − 100) × 1 = 0.005 yuan -> 0.01
    result = settle(D("100"), D("100.005"), D("1"))
    assert result.total("buyer_pays") == D("0.01")


def test_a_contract_may_carry_its_own_rule():
    strict = SettlementRule(threshold_percent=D(1), over_beyond_paid_by="buyer", under_beyond_refund_multiplier=D(1))
    over = settle(D("100"), D("102"), D("10000"), strict)
    assert over.buyer_may_cancel and over.total("buyer_pays") == D("20000.00") and over.total("developer_bears") == 0
    under = settle(D("100"), D("98"), D("10000"), strict)
    assert under.total("developer_refunds") == D("20000.00")


async def _unit(personas):
    from server.org.services import building_create, project_create, unit_create

    project = await project_create(actor=None, name="P")
    building = await building_create(actor=None, project_id=project.id, name="B")
    return await unit_create(actor=None, building_id=building.id, number="101", floor=1)


async def test_the_api_answers_as_api_md_says(personas):
    unit = await _unit(personas)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/units/{unit.id}/area-settlement",
                         json={"contract_area": "89.50", "registered_area": "93.00", "unit_price": "30000.00"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["error_ratio_percent"] == "3.91" and body["within_3_percent"] is False
    assert body["buyer_may_cancel"] is True
    assert body["buyer_pays"] == "80550.00"          # 0.03 × 89.50 × 30000
    assert body["developer_bears"] == "24450.00"     # (93.00 − 92.185) × 30000
    assert body["developer_refunds"] == "0.00"
    assert [line["amount"] for line in body["lines"]] == ["80550.00", "24450.00"]


@pytest.mark.parametrize("field,value", [
    ("contract_area", "0"), ("contract_area", "-89.5"), ("registered_area", "abc"), ("unit_price", "NaN"),
    ("unit_price", 30000.5), ("registered_area", "Infinity"),
])
async def test_bad_input_is_a_400_naming_the_field(personas, field, value):
    unit = await _unit(personas)
    carol = await personas.api("carol")
    body = {"contract_area": "89.50", "registered_area": "93.00", "unit_price": "30000.00", field: value}
    r = await carol.post(f"/api/v1/units/{unit.id}/area-settlement", json=body)
    assert r.status_code == 400 and field in r.json()["errors"]


async def test_an_owner_settles_only_their_own_unit(personas):
    unit = await _unit(personas)
    olga = await personas.api("olga")
    body = {"contract_area": "89.50", "registered_area": "89.50", "unit_price": "30000.00"}
    assert (await olga.post(f"/api/v1/units/{unit.id}/area-settlement", json=body)).status_code == 404
