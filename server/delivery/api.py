"""Delivery API: the area settlement of a unit (API.md "Delivery")."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import msgspec
from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.delivery import services
from server.delivery.export import workbook
from server.delivery.settlement import Settlement, SettlementRule, settle
from server.org.access import project_for
from server.photos.upload import receive_upload
from server.web.guards import allow
from server.errors import Invalid
from server.i18n import _
from server.org.access import unit_for
from server.web.guards import current_user, signed_in


class RuleIn(msgspec.Struct):
    """A contract's own rule, where it departs from the statutory default."""

    threshold_percent: Optional[str] = None
    over_beyond_paid_by: Optional[str] = None
    under_beyond_refund_multiplier: Optional[str] = None


class SettlementIn(msgspec.Struct):
    contract_area: Any
    registered_area: Any
    unit_price: Any
    rule: Optional[RuleIn] = None


def _positive(value: Any, kind: str, field: str, errors: dict[str, str]) -> Decimal:
    """services.parse_positive (at the precision of `kind`), collecting its message under `field`."""
    number, reason = services.parse_positive(value, kind, field)
    if reason:
        errors[field] = reason
    return number or Decimal(0)


def _rule(data: RuleIn | None, errors: dict[str, str]) -> SettlementRule:
    if data is None:
        return SettlementRule()
    default = SettlementRule()
    threshold = (_positive(data.threshold_percent, "rate", "rule.threshold_percent", errors)
                 if data.threshold_percent is not None else default.threshold_percent)
    multiplier = (_positive(data.under_beyond_refund_multiplier, "rate", "rule.under_beyond_refund_multiplier",
                            errors)
                  if data.under_beyond_refund_multiplier is not None else default.under_beyond_refund_multiplier)
    paid_by = data.over_beyond_paid_by or default.over_beyond_paid_by
    if paid_by not in ("developer", "buyer"):
        errors["rule.over_beyond_paid_by"] = _("Choose developer or buyer.")
    return SettlementRule(threshold_percent=threshold, over_beyond_paid_by=paid_by,
                          under_beyond_refund_multiplier=multiplier)


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def settlement_out(result: Settlement) -> dict:
    return {
        "contract_area": str(result.contract_area),
        "registered_area": str(result.registered_area),
        "unit_price": str(result.unit_price),
        "error_ratio_percent": str(result.error_ratio_shown),
        "within_3_percent": result.within_threshold,
        "buyer_may_cancel": result.buyer_may_cancel,
        "buyer_pays": money(result.total("buyer_pays")),
        "developer_refunds": money(result.total("developer_refunds")),
        "developer_bears": money(result.total("developer_bears")),
        "lines": [{"kind": line.kind, "direction": line.direction, "area": str(line.area),
                   "unit_price": str(line.unit_price), "multiplier": str(line.multiplier),
                   "amount": money(line.amount), "formula": line.formula} for line in result.lines],
    }


class DeliveryApi(Controller):
    path = "/api/v1"
    tags = ["Delivery"]

    @post("/units/{unit_id:int}/area-settlement", guards=[signed_in], status_code=200)
    async def area_settlement(self, request: Request, unit_id: int, data: SettlementIn) -> dict:
        """Settle contract against registered area per rules.md (or the contract's own rule).
        Areas and the price take at most two decimals (0.01 m², 0.01 yuan), as when they are recorded;
        more is refused (400), never rounded. Amounts are decimal strings with two decimals; each line is
        rounded to the fen before adding. `error_ratio_percent` has two decimals, more only where two
        would read as the threshold although the ratio is beyond it ("3.003")."""
        await unit_for(current_user(request), unit_id)
        errors: dict[str, str] = {}
        contract = _positive(data.contract_area, "area", "contract_area", errors)
        registered = _positive(data.registered_area, "area", "registered_area", errors)
        price = _positive(data.unit_price, "price", "unit_price", errors)
        rule = _rule(data.rule, errors)
        if errors:
            raise Invalid(_("Please correct the marked fields."), field_errors=errors)
        return settlement_out(settle(contract, registered, price, rule))


DELIVERY_WRITERS = (roles.ADMIN, roles.CS_STAFF, roles.SALES)


class ContractIn(msgspec.Struct):
    contract_area: Any
    unit_price: Any
    area_basis: str = "building_area"
    buyer_name: str = ""
    buyer_phone: str = ""
    rule: Optional[dict] = None


class DeliveryTableApi(Controller):
    path = "/api/v1"
    tags = ["Delivery"]

    @post("/units/{unit_id:int}/contracts", guards=[allow(*DELIVERY_WRITERS)], status_code=201)
    async def record_contract(self, request: Request, unit_id: int, data: ContractIn) -> dict:
        """The unit's contract data; a change is a new record (the newest is in force)."""
        await unit_for(current_user(request), unit_id)
        contract = await services.contract_record(
            actor=current_user(request), unit_id=unit_id, contract_area=data.contract_area,
            unit_price=data.unit_price, area_basis=data.area_basis, buyer_name=data.buyer_name,
            buyer_phone=data.buyer_phone, rule=data.rule)
        return {"id": contract.id, "unit_id": unit_id, "contract_area": money(Decimal(contract.contract_area)),
                "unit_price": money(Decimal(contract.unit_price)), "area_basis": contract.area_basis,
                "buyer_name": contract.buyer_name, "buyer_phone": contract.buyer_phone, "rule": contract.rule}

    @post("/projects/{project_id:int}/confirmed-areas", guards=[allow(*DELIVERY_WRITERS)], status_code=201)
    async def import_confirmed_areas(self, request: Request, project_id: int) -> dict:
        """multipart `file`: .xlsx or .csv with 楼栋, 房号, 确权面积. All rows or none: a bad row
        answers 400 with `report`, one entry per problem, naming the row."""
        await project_for(current_user(request), project_id)
        with await receive_upload(request, max_files=1) as upload:
            files = upload.files_for("file")
            if not files:
                raise Invalid(_("Please correct the marked fields."), field_errors={"file": _("Choose a file.")})
            imported = await services.confirmed_areas_import(actor=current_user(request), project_id=project_id,
                                                             path=files[0].path, filename=files[0].filename or "")
        return {"imported": imported}

    @post("/projects/{project_id:int}/contracts", guards=[allow(*DELIVERY_WRITERS)], status_code=201)
    async def import_contracts(self, request: Request, project_id: int) -> dict:
        """multipart `file`: .xlsx or .csv with 楼栋, 房号, 合同面积, 单价, 面积类型 (建筑面积 or 套内建筑面积)
        and optionally 业主, 手机号. All rows or none: a bad row answers 400 with `report`, naming the row."""
        from server.delivery.contracts_import import contracts_import

        await project_for(current_user(request), project_id)
        with await receive_upload(request, max_files=1) as upload:
            files = upload.files_for("file")
            if not files:
                raise Invalid(_("Please correct the marked fields."), field_errors={"file": _("Choose a file.")})
            imported = await contracts_import(actor=current_user(request), project_id=project_id,
                                              path=files[0].path, filename=files[0].filename or "")
        return {"imported": imported}

    @get("/projects/{project_id:int}/delivery-table", guards=[allow(*roles.STAFF)])
    async def delivery_table(self, request: Request, project_id: int) -> dict:
        await project_for(current_user(request), project_id)
        rows = []
        for row in await services.delivery_table(project_id):
            result = row["settlement"]
            rows.append({
                "unit_id": row["unit"]["id"], "building": row["unit"]["building"], "unit": row["unit"]["number"],
                "buyer_name": row["contract"]["buyer_name"] if row["contract"] else None,
                "contract_area": money(Decimal(row["contract"]["contract_area"])) if row["contract"] else None,
                "registered_area": money(Decimal(row["confirmed"]["registered_area"])) if row["confirmed"] else None,
                "settlement": settlement_out(result) if result else None,
                "flagged": bool(result and result.buyer_may_cancel),
            })
        return {"items": rows, "total": len(rows)}

    @get("/projects/{project_id:int}/delivery-table.xlsx", guards=[allow(*roles.STAFF)])
    async def delivery_table_xlsx(self, request: Request, project_id: int) -> Response:
        project = await project_for(current_user(request), project_id)
        data = workbook(project.name, await services.delivery_table(project_id))
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="delivery-table-{project_id}.xlsx"'})
