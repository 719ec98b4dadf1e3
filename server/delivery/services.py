"""Delivery: contract data, confirmed areas, and the delivery comparison table (交付对照表)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from server.accounts.mobile import valid_mobile
from server.audit.services import audit_record
from server.db import newest_by, write_transaction
from server.delivery.importing import HEADINGS, UnreadableFile, read_rows
from server.delivery.settlement import LARGEST, as_recorded, places_of, settle_recorded
from server.delivery.tables import AREA_BASES, ConfirmedArea, UnitContract
from server.errors import Invalid, NotFound
from server.i18n import _, join_list, lazy_gettext as _l
from server.org.tables import Building, Project, Unit


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


FIELD_LABELS = {
    "contract_area": _l("Contract area"), "registered_area": _l("Confirmed area"), "unit_price": _l("Unit price"),
    "rule.threshold_percent": _l("Threshold (%)"),
    "rule.under_beyond_refund_multiplier": _l("Refund multiple beyond the threshold"),
}
TOO_PRECISE = {
    "area": _l("%(field)s: %(value)s has more than two decimals. Areas are recorded to 0.01 m²."),
    "price": _l("%(field)s: %(value)s has more than two decimals. Prices are recorded to 0.01 yuan."),
    "rate": _l("%(field)s: %(value)s has more than two decimals. Rule values are recorded to 0.01."),
}


def parse_positive(value: Any, kind: str, field_name: str) -> tuple[Decimal | None, str | None]:
    """(number, None) or (None, a translated reason): a decimal string or int above zero, with no
    more decimals than `kind` ("area", "price" or "rate") is recorded to (settlement.PLACES).
    A reason about the number itself names the field and repeats what was typed."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, _("Enter the number as a decimal string, e.g. \"89.50\".")
    typed = str(value).strip()
    try:
        number = Decimal(typed.replace(",", ""))
    except InvalidOperation:
        return None, _("This is not a number.")
    if not number.is_finite():
        return None, _("This is not a number.")
    if number <= 0:
        return None, _("Enter a number greater than zero.")
    label = str(FIELD_LABELS.get(field_name, field_name))
    if number != number.quantize(places_of(kind), rounding=ROUND_HALF_UP):
        return None, str(TOO_PRECISE[kind]) % {"field": label, "value": typed}
    if number > LARGEST[kind]:
        return None, _("%(field)s: %(value)s is too large.", field=label, value=typed)
    return number.quantize(places_of(kind)), None


async def contract_record(*, actor: Any, unit_id: int, contract_area: Any, unit_price: Any,
                          area_basis: str = "building_area", buyer_name: str = "", buyer_phone: str = "",
                          rule: dict | None = None) -> UnitContract:
    """A unit's contract data; a change is a new record, the newest is in force."""
    if not await Unit.exists().where(Unit.id == unit_id).run():
        raise NotFound(_("The page or record was not found."))
    errors: dict[str, str] = {}
    area, reason = parse_positive(contract_area, "area", "contract_area")
    if reason:
        errors["contract_area"] = reason
    price, reason = parse_positive(unit_price, "price", "unit_price")
    if reason:
        errors["unit_price"] = reason
    if area_basis not in AREA_BASES:
        errors["area_basis"] = _("Choose building area or interior area.")
    buyer_phone = valid_mobile(buyer_phone)
    if buyer_phone is None:
        errors["buyer_phone"] = _("Enter an 11-digit mobile number starting with 1.")
    clean_rule: dict[str, str] = {}
    for key in ("threshold_percent", "under_beyond_refund_multiplier"):
        if (rule or {}).get(key) is not None:
            number, reason = parse_positive(rule[key], "rate", f"rule.{key}")
            if reason:
                errors[f"rule.{key}"] = reason
            else:
                clean_rule[key] = str(number)
    if (rule or {}).get("over_beyond_paid_by") is not None:
        if rule["over_beyond_paid_by"] not in ("developer", "buyer"):
            errors["rule.over_beyond_paid_by"] = _("Choose developer or buyer.")
        else:
            clean_rule["over_beyond_paid_by"] = rule["over_beyond_paid_by"]
    if errors:
        raise _invalid(errors)
    contract = UnitContract(unit=unit_id, contract_area=area, unit_price=price, area_basis=area_basis,
                            buyer_name=(buyer_name or "").strip()[:100], buyer_phone=buyer_phone, rule=clean_rule,
                            created_by=getattr(actor, "id", None))
    async with write_transaction():
        await contract.save().run()
        await audit_record(actor=actor, object_type="unit", object_id=unit_id, action="contract_record",
                           details={"contract_area": str(area), "unit_price": str(price), "rule": clean_rule})
    return contract


@dataclass
class RowReport:
    """An all-or-nothing import's row-by-row problems, and the unit each row names."""

    units: dict[tuple[str, str], int]
    """(building name, unit number) -> unit id, for the project."""
    problems: list[dict] = field(default_factory=list)
    first_row_of: dict[int, int] = field(default_factory=dict)

    def problem(self, row: int, field_name: str, message: str) -> None:
        self.problems.append({"row": row, "field": field_name, "message": message})

    def unit_of(self, number: int, row: dict) -> int | None:
        """The row's unit; an unknown unit, or one already on an earlier row, is a problem."""
        unit_id = self.units.get((row["building"], row["unit"]))
        if unit_id is None:
            self.problem(number, "unit", _("No unit %(building)s %(unit)s in this project.",
                                           building=row["building"], unit=row["unit"]))
        elif unit_id in self.first_row_of:
            self.problem(number, "unit", _("This unit is already on row %(row)s.", row=self.first_row_of[unit_id]))
        else:
            self.first_row_of[unit_id] = number
        return unit_id

    def refuse_if_any(self) -> None:
        if self.problems:
            raise Invalid(_("Nothing was imported: %(n)s problems in the file, listed by row.",
                            n=len(self.problems)), report=self.problems)


async def read_project_file(project_id: int, path: Path, filename: str, headings: dict[str, tuple[str, ...]],
                            optional: tuple[str, ...], columns_message: str) -> tuple[list[tuple[int, dict]], RowReport]:
    """The rows of an import file for a project, and the report to check them into.
    An unreadable file, missing columns or no rows at all are refused here."""
    if not await Project.exists().where(Project.id == project_id).run():
        raise NotFound(_("The page or record was not found."))
    try:
        # openpyxl parsing up to 20,000 rows is CPU work: off the event loop.
        rows, missing = await asyncio.to_thread(read_rows, path, filename, headings, optional)
    except UnreadableFile:
        raise Invalid(_("The file could not be read. Upload the Excel (.xlsx) or CSV file.")) from None
    if missing:
        raise Invalid(columns_message, field_errors={"file": _("Missing columns: %(names)s",
                                                               names=join_list(headings[m][0] for m in missing))})
    if not rows:
        raise Invalid(_("The file has no rows to import."))
    units = {(r["building"], r["number"]): r["id"] for r in await Unit.select(
        Unit.id, Unit.number, Unit.building.name.as_alias("building")).where(
        Unit.building.is_in(Building.select(Building.id).where(Building.project == project_id))).run()}
    return rows, RowReport(units)


async def confirmed_areas_import(*, actor: Any, project_id: int, path: Path, filename: str) -> int:
    """Import a confirmed-area file for a project: every row or none.

    Any bad row (unknown unit, not a number, zero or negative, a unit twice)
    rejects the whole file with a row-by-row report in the user's language.
    """
    rows, report = await read_project_file(project_id, path, filename, HEADINGS, (),
                                           _("The file needs the columns 楼栋, 房号 and 确权面积 in its first row."))
    clean: list[tuple[int, Decimal]] = []
    for number, row in rows:
        unit_id = report.unit_of(number, row)
        area, reason = parse_positive(row["registered_area"], "area", "registered_area")
        if reason:
            report.problem(number, "registered_area", reason)
        clean.append((unit_id, area))
    report.refuse_if_any()
    async with write_transaction():
        await ConfirmedArea.insert(*[ConfirmedArea(unit=u, registered_area=a, source=filename[:200],
                                                   created_by=getattr(actor, "id", None)) for u, a in clean]).run()
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="confirmed_areas_import",
                           details={"file": filename, "rows": len(clean)})
    return len(clean)


async def delivery_table(project_id: int, limit: int | None = None, offset: int = 0) -> list[dict]:
    """One row per unit of the project (or one page of them): contract, confirmed area, settlement (4 queries)."""
    query = Unit.select(Unit.id, Unit.number, Unit.building.name.as_alias("building")).where(
        Unit.building.is_in(Building.select(Building.id).where(Building.project == project_id))).order_by(
        Unit.building).order_by(Unit.floor).order_by(Unit.number)
    units = await (query.limit(limit).offset(offset) if limit else query).run()
    ids = [u["id"] for u in units] or [-1]
    contracts = newest_by(await UnitContract.select().where(UnitContract.unit.is_in(ids)).order_by(
        UnitContract.id).run())
    areas = newest_by(await ConfirmedArea.select().where(ConfirmedArea.unit.is_in(ids)).order_by(
        ConfirmedArea.id).run())
    table = []
    for unit in units:
        contract, area = as_recorded(contracts.get(unit["id"])), as_recorded(areas.get(unit["id"]))
        result = settle_recorded(contract, area) if contract and area else None
        table.append({"unit": unit, "contract": contract, "confirmed": area, "settlement": result})
    return table
