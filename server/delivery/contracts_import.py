"""Importing a project's contract data (合同数据) from the sales company's file:
楼栋, 房号, 合同面积, 单价, 面积类型 (建筑面积 / 套内建筑面积), and optionally 业主
and 手机号. Every row or none, with the same row-by-row report as the
confirmed-area import (services.confirmed_areas_import).

Each imported row is a new UnitContract record: an earlier contract of the unit
stays as history, the newest is in force (as with POST /units/{id}/contracts).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from server.accounts.mobile import valid_mobile
from server.audit.services import audit_record
from server.db import write_transaction
from server.delivery.importing import CONTRACT_HEADINGS, CONTRACT_OPTIONAL
from server.delivery.services import parse_positive, read_project_file
from server.delivery.tables import UnitContract
from server.i18n import _

# What the 面积类型 column may say, for each area basis.
AREA_BASIS_WORDS = {
    "建筑面积": "building_area", "building area": "building_area", "building_area": "building_area",
    "套内建筑面积": "interior_area", "套内面积": "interior_area", "interior area": "interior_area",
    "interior_area": "interior_area",
}


def _phone_text(value: str) -> str:
    """A mobile number Excel stored as a number may read "13800000000.0"."""
    return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value


async def contracts_import(*, actor: Any, project_id: int, path: Path, filename: str) -> int:
    """Import a contract-data file for a project: every row or none (400 with `report`)."""
    rows, report = await read_project_file(
        project_id, path, filename, CONTRACT_HEADINGS, CONTRACT_OPTIONAL,
        _("The file needs the columns 楼栋, 房号, 合同面积, 单价 and 面积类型 in its first row "
          "(业主 and 手机号 may follow)."))
    clean: list[UnitContract] = []
    for number, row in rows:
        unit_id = report.unit_of(number, row)
        area, reason = parse_positive(row["contract_area"], "area", "contract_area")
        if reason:
            report.problem(number, "contract_area", reason)
        price, reason = parse_positive(row["unit_price"], "price", "unit_price")
        if reason:
            report.problem(number, "unit_price", reason)
        basis = AREA_BASIS_WORDS.get(row["area_basis"].strip().lower())
        if basis is None:
            report.problem(number, "area_basis", _("Write 建筑面积 or 套内建筑面积."))
        phone = valid_mobile(_phone_text(row["buyer_phone"]))
        if phone is None:
            report.problem(number, "buyer_phone", _("Enter an 11-digit mobile number starting with 1."))
        clean.append(UnitContract(unit=unit_id, contract_area=area, unit_price=price, area_basis=basis,
                                  buyer_name=row["buyer_name"].strip()[:100], buyer_phone=phone, rule={},
                                  created_by=getattr(actor, "id", None)))
    report.refuse_if_any()
    async with write_transaction():
        await UnitContract.insert(*clean).run()
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="contracts_import",
                           details={"file": filename, "rows": len(clean)})
    return len(clean)

