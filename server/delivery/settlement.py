"""Area settlement at delivery (面积误差处理, 多退少补): shared/domain/rules.md.

《商品房销售管理办法》 Article 20, the default when the contract says nothing
else; a contract may carry its own rule (`SettlementRule`). Pure functions on
`Decimal`: every line is rounded to the fen (half up) once, at its end, and
the totals are sums of rounded lines, so a buyer can check each line by hand.

Precision is decided at the door (README "Precision"): areas in m² and prices
in yuan are recorded to 0.01, a contract's rule values (threshold in %, refund
multiplier) to 0.01; more decimals are refused, never rounded silently. Every
page, the API and the Excel file settle the stored records through
`settle_recorded`, and show the error ratio through `ratio_shown`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FEN = Decimal("0.01")
HUNDRED = Decimal(100)
PLACES = {"area": 2, "price": 2, "rate": 2}
"""Decimals recorded: areas (m²), prices (yuan), a contract rule's threshold (%) and multiplier."""
LARGEST = {"area": Decimal("99999999.99"), "price": Decimal("9999999999.99"), "rate": Decimal("999.99")}
"""What the columns hold (Numeric(10,2), Numeric(12,2)); a rate above 999.99 is no rate."""
RATIO_PLACES = 2
"""The area error ratio is shown to 0.01 %, half up, and to more places only when 0.01 % would
read as the threshold itself although the ratio is beyond it (see ratio_shown)."""


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SettlementRule:
    """The statutory default; a contract's own rule overrides any of it."""

    threshold_percent: Decimal = Decimal(3)
    """Within ±threshold the price follows the registered area."""
    over_beyond_paid_by: str = "developer"
    """Registered area beyond +threshold: borne by the developer (default) or paid by the buyer."""
    under_beyond_refund_multiplier: Decimal = Decimal(2)
    """Registered area short beyond −threshold is refunded at this multiple of its price."""


@dataclass(frozen=True)
class Line:
    kind: str
    """within_threshold, beyond_threshold_over, beyond_threshold_under"""
    direction: str
    """buyer_pays, developer_refunds or developer_bears"""
    area: Decimal
    unit_price: Decimal
    multiplier: Decimal
    amount: Decimal
    formula: str


@dataclass(frozen=True)
class Settlement:
    contract_area: Decimal
    registered_area: Decimal
    unit_price: Decimal
    error_ratio_percent: Decimal
    """Exact; shown rounded to 0.01."""
    within_threshold: bool
    buyer_may_cancel: bool
    lines: list[Line] = field(default_factory=list)

    threshold_percent: Decimal = Decimal(3)

    @property
    def error_ratio_shown(self) -> Decimal:
        """The ratio as every page, the API and the Excel file show it (ratio_shown)."""
        return ratio_shown(self.error_ratio_percent, self.threshold_percent, self.within_threshold)

    @property
    def threshold_text(self) -> str:
        """The threshold as the pages name it: "3", "2.5"."""
        return f"{self.threshold_percent.normalize():f}"

    def total(self, direction: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.direction == direction), Decimal("0.00"))


def settle(contract_area: Decimal, registered_area: Decimal, unit_price: Decimal,
           rule: SettlementRule = SettlementRule()) -> Settlement:
    """Settle one unit. Areas and price must be positive (checked by the caller)."""
    ac, ar, p = contract_area, registered_area, unit_price
    ratio = (ar - ac) / ac * HUNDRED
    limit = rule.threshold_percent
    within = abs(ratio) <= limit  # the threshold itself is within
    lines: list[Line] = []
    part = limit / HUNDRED * ac  # the area of the within-threshold part when beyond it
    if within:
        difference = ar - ac
        if difference:
            direction = "buyer_pays" if difference > 0 else "developer_refunds"
            lines.append(Line("within_threshold", direction, abs(difference), p, Decimal(1), fen(abs(difference) * p),
                              f"|{ar} − {ac}| × {p}"))
    elif ar > ac:
        beyond = ar - ac - part
        lines.append(Line("within_threshold", "buyer_pays", part, p, Decimal(1), fen(part * p),
                          f"{limit}% × {ac} × {p}"))
        who = "buyer_pays" if rule.over_beyond_paid_by == "buyer" else "developer_bears"
        lines.append(Line("beyond_threshold_over", who, beyond, p, Decimal(1), fen(beyond * p),
                          f"({ar} − {ac} − {limit}% × {ac}) × {p}"))
    else:
        beyond = ac - part - ar
        m = rule.under_beyond_refund_multiplier
        lines.append(Line("within_threshold", "developer_refunds", part, p, Decimal(1), fen(part * p),
                          f"{limit}% × {ac} × {p}"))
        lines.append(Line("beyond_threshold_under", "developer_refunds", beyond, p, m, fen(m * beyond * p),
                          f"{m} × ({ac} − {limit}% × {ac} − {ar}) × {p}"))
    return Settlement(contract_area=ac, registered_area=ar, unit_price=p, error_ratio_percent=ratio,
                      within_threshold=within, buyer_may_cancel=not within, lines=lines, threshold_percent=limit)


def ratio_shown(ratio: Decimal, limit: Decimal, within: bool) -> Decimal:
    """The error ratio (in %) as shown everywhere: 0.01 %, half up; when that figure would
    contradict the verdict (3.0032 % beyond ±3 % reads "3.00"), one more decimal at a time
    until it does not ("3.003"). The verdict itself always compares the exact ratio."""
    for places in range(RATIO_PLACES, 29):
        shown = ratio.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (abs(shown) <= limit) == within:
            return shown
    return ratio


def places_of(kind: str) -> Decimal:
    """The quantum of an area, a price or a rate: Decimal("0.01")."""
    return Decimal(1).scaleb(-PLACES[kind])


def rule_from(data: dict | str | None) -> SettlementRule:
    """A contract's own rule (as stored: a dict or its JSON) over the statutory default."""
    if isinstance(data, str):
        data = json.loads(data or "{}")
    data = {k: v for k, v in (data or {}).items() if v is not None}
    default = SettlementRule()
    return SettlementRule(
        threshold_percent=Decimal(str(data.get("threshold_percent", default.threshold_percent))),
        over_beyond_paid_by=data.get("over_beyond_paid_by", default.over_beyond_paid_by),
        under_beyond_refund_multiplier=Decimal(str(data.get("under_beyond_refund_multiplier",
                                                            default.under_beyond_refund_multiplier))))


RECORDED = {"contract_area": "area", "registered_area": "area", "unit_price": "price"}


def as_recorded(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored contract or confirmed-area row with its numbers at their recorded precision:
    SQLite hands back 89.5 for 89.50, and a record kept before the precision rule is read as
    PostgreSQL stores it (half up). Pages, the API and the Excel file show these values."""
    if record is None:
        return None
    return {**record, **{key: Decimal(str(record[key])).quantize(places_of(kind), rounding=ROUND_HALF_UP)
                         for key, kind in RECORDED.items() if record.get(key) is not None}}


def settle_recorded(contract: dict[str, Any], confirmed: dict[str, Any]) -> Settlement:
    """Settle a unit's stored contract and confirmed area: the one way every page, the API and
    the Excel file do it, on the values as_recorded reads."""
    contract, confirmed = as_recorded(contract), as_recorded(confirmed)
    return settle(contract["contract_area"], confirmed["registered_area"], contract["unit_price"],
                  rule_from(contract.get("rule")))
