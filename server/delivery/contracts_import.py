"""Importing a project's contract data (合同数据) from the sales company's file:
楼栋, 房号, 合同面积, 单价, 面积类型 (建筑面积 / 套内建筑面积), and optionally 业主
and 手机号. Every row or none, with the same row-by-row report as the
confirmed-area import (services.confirmed_areas_import).

Each imported row is a new UnitContract record: an earlier contract of the unit
stays as history, the newest is in force (as with POST /units/{id}/contracts).
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.delivery.importing import CONTRACT_HEADINGS, CONTRACT_OPTIONAL, UnreadableFile, read_rows
from server.delivery.services import normalise_mobile, parse_positive
from server.delivery.tables import UnitContract
from server.errors import Invalid, NotFound
from server.i18n import _
from server.org.tables import Building, Project, Unit

# What the 面积类型 column may say, for each area basis.
AREA_BASIS_WORDS = {
    "建筑面积": "building_area", "building area": "building_area", "building_area": "building_area",
    "套内建筑面积": "interior_area", "套内面积": "interior_area", "interior area": "interior_area",
    "interior_area": "interior_area",
}
HEADING_NAMES = {"building": "楼栋", "unit": "房号", "contract_area": "合同面积", "unit_price": "单价",
                 "area_basis": "面积类型", "buyer_name": "业主", "buyer_phone": "手机号"}


def _phone_text(value: str) -> str:
    """A mobile number Excel stored as a number may read "13800000000.0"."""
    return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value


async def contracts_import(*, actor: Any, project_id: int, path: Path, filename: str) -> int:
    """Import a contract-data file for a project: every row or none (400 with `report`)."""
    if not await Project.exists().where(Project.id == project_id).run():
        raise NotFound(_("The page or record was not found."))
    try:
        rows, missing = await asyncio.to_thread(read_rows, path, filename, CONTRACT_HEADINGS, CONTRACT_OPTIONAL)
    except UnreadableFile:
        raise Invalid(_("The file could not be read. Upload the Excel (.xlsx) or CSV file.")) from None
    if missing:
        raise Invalid(_("The file needs the columns 楼栋, 房号, 合同面积, 单价 and 面积类型 in its first row "
                        "(业主 and 手机号 may follow)."),
                      field_errors={"file": _("Missing columns: %(names)s",
                                              names=", ".join(HEADING_NAMES[m] for m in missing))})
    if not rows:
        raise Invalid(_("The file has no rows to import."))
    units = {(r["building"], r["number"]): r["id"] for r in await Unit.select(
        Unit.id, Unit.number, Unit.building.name.as_alias("building")).where(
        Unit.building.is_in(Building.select(Building.id).where(Building.project == project_id))).run()}
    report: list[dict] = []
    seen: dict[int, int] = {}
    clean: list[UnitContract] = []

    def problem(row: int, field: str, message: str) -> None:
        report.append({"row": row, "field": field, "message": message})

    for number, row in rows:
        unit_id = units.get((row["building"], row["unit"]))
        if unit_id is None:
            problem(number, "unit", _("No unit %(building)s %(unit)s in this project.",
                                      building=row["building"], unit=row["unit"]))
        elif unit_id in seen:
            problem(number, "unit", _("This unit is already on row %(row)s.", row=seen[unit_id]))
        area, reason = parse_positive(row["contract_area"])
        if reason:
            problem(number, "contract_area", reason)
        price, reason = parse_positive(row["unit_price"])
        if reason:
            problem(number, "unit_price", reason)
        basis = AREA_BASIS_WORDS.get(row["area_basis"].strip().lower())
        if basis is None:
            problem(number, "area_basis", _("Write 建筑面积 or 套内建筑面积."))
        phone = normalise_mobile(_phone_text(row["buyer_phone"]))
        if phone is None:
            problem(number, "buyer_phone", _("Enter an 11-digit mobile number starting with 1."))
        if unit_id is not None:
            seen.setdefault(unit_id, number)
        if not report:
            clean.append(UnitContract(unit=unit_id, contract_area=area, unit_price=price, area_basis=basis,
                                      buyer_name=row["buyer_name"].strip()[:100], buyer_phone=phone, rule={},
                                      created_by=getattr(actor, "id", None)))
    if report:
        raise Invalid(_("Nothing was imported: %(n)s problems in the file, listed by row.", n=len(report)),
                      report=report)
    async with write_transaction():
        await UnitContract.insert(*clean).run()
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="contracts_import",
                           details={"file": filename, "rows": len(clean)})
    return len(clean)

