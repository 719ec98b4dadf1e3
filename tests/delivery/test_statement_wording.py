"""The statement reads as Chinese (issue 10.6): its lines are headed 结算项目 (not the
inspection word 检查项), and the legal sentences say the shortfall beyond 3 % plainly."""
from __future__ import annotations

import re

from server.delivery.tables import ConfirmedArea
from tests.delivery.test_delivery_table import _project, _units


async def _statement(personas, contract: dict) -> str:
    project = await _project(personas)
    carol = await personas.api("carol")
    units = await _units(carol, project.id)
    r = await carol.post(f"/api/v1/units/{units['101']}/contracts", json=contract)
    assert r.status_code == 201, r.text
    await ConfirmedArea(unit=units["101"], registered_area="95.00").save().run()
    return (await (await personas.browser("carol")).get(f"/delivery/units/{units['101']}/statement")).text


async def test_the_statement_heads_its_lines_as_settlement_items_and_words_the_shortfall_plainly(personas):
    text = await _statement(personas, {"contract_area": "100.00", "unit_price": "10000.00"})
    head = re.search(r'<table class="doc-table statement__lines">\s*<thead>(.*?)</thead>', text, re.S).group(1)
    assert "结算项目" in head and "检查项" not in text
    assert "面积短少超出 3% 的部分" in text  # the line: 2 × (97 − 95) m² refunded double
    assert "不足超出" not in text
    assert ("产权登记面积小于合同约定面积时，面积误差比绝对值超出 3% 部分的房价款由开发商双倍返还买受人" in text)


async def test_a_contracts_own_rule_words_the_shortfall_plainly(personas):
    text = await _statement(personas, {"contract_area": "100.00", "unit_price": "10000.00",
                                       "rule": {"under_beyond_refund_multiplier": "1.5"}})
    assert "面积短少超出 3% 的部分：按其房价款的 1.5 倍返还" in text and "不足超出" not in text
