"""The settlement statement of one unit (面积差价结算单): what the buyer reads and
checks by hand. A selector only: the maths is settlement.settle, the contract
and confirmed area in force are the newest records (services.py)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.delivery.settlement import Settlement, SettlementRule, as_recorded, rule_from, settle_recorded
from server.delivery.tables import ConfirmedArea, UnitContract
from server.handover.services import canonical_content
from server.org.tables import Unit


@dataclass
class Statement:
    unit: dict
    """id, number, building, project"""
    contract: dict | None
    confirmed: dict | None
    rule: SettlementRule
    overridden: dict
    """The contract's own rule values (empty: the statutory default applies)."""
    settlement: Settlement | None

    @property
    def error_ratio(self) -> Decimal | None:
        if self.settlement is None:
            return None
        return self.settlement.error_ratio_shown


def _rule_data(contract: dict) -> dict:
    rule = contract["rule"]
    return rule if isinstance(rule, dict) else json.loads(rule or "{}")


async def unit_statement(unit_id: int) -> Statement:
    """The statement of a unit the caller may see (check access first)."""
    unit = await Unit.select(Unit.id, Unit.number, Unit.building.name.as_alias("building"),
                             Unit.building.project.name.as_alias("project"),
                             Unit.building.project.id.as_alias("project_id")).where(Unit.id == unit_id).first().run()
    contract = as_recorded(await UnitContract.select().where(UnitContract.unit == unit_id).order_by(
        UnitContract.id, ascending=False).first().run())
    confirmed = as_recorded(await ConfirmedArea.select().where(ConfirmedArea.unit == unit_id).order_by(
        ConfirmedArea.id, ascending=False).first().run())
    overridden = {k: v for k, v in _rule_data(contract).items() if v is not None} if contract else {}
    rule = rule_from(overridden)
    result = settle_recorded(contract, confirmed) if contract and confirmed else None
    return Statement(unit=unit, contract=contract, confirmed=confirmed, rule=rule, overridden=overridden,
                     settlement=result)


def statement_lines(statement: Statement) -> list[dict[str, Any]]:
    """Each settlement line as the template shows it (the numbers exactly as settle() made them)."""
    if statement.settlement is None:
        return []
    return [{"kind": line.kind, "direction": line.direction, "area": line.area, "unit_price": line.unit_price,
             "multiplier": line.multiplier, "amount": line.amount, "formula": line.formula}
            for line in statement.settlement.lines]


def statement_sha256(statement: Statement) -> str:
    """The SHA-256 of what the statement states: the unit, the contract and confirmed-area
    records in force (their ids and recorded values) and every settlement line. Printed on
    the statement, so a paper copy can be checked against the database: the same records
    give the same digest (server.handover.services.canonical_content, as for the receipts)."""
    c, a = statement.contract, statement.confirmed
    content = {
        "unit_id": statement.unit["id"],
        "contract": c and {"id": c["id"], "contract_area": str(c["contract_area"]), "unit_price": str(c["unit_price"]),
                           "area_basis": c["area_basis"], "buyer_name": c["buyer_name"],
                           "rule": statement.overridden},
        "confirmed": a and {"id": a["id"], "registered_area": str(a["registered_area"]), "source": a["source"]},
        "lines": [{key: str(value) for key, value in line.items()} for line in statement_lines(statement)],
    }
    return hashlib.sha256(canonical_content(content)).hexdigest()
