"""Area settlement at delivery (面积误差处理, 多退少补): shared/domain/rules.md.

《商品房销售管理办法》 Article 20, the default when the contract says nothing
else; a contract may carry its own rule (`SettlementRule`). Pure functions on
`Decimal`: every line is rounded to the fen (half up) once, at its end, and
the totals are sums of rounded lines, so a buyer can check each line by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
HUNDRED = Decimal(100)


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

    @property
    def error_ratio_shown(self) -> Decimal:
        """The ratio as every page, the API and the Excel file show it: 0.01 %, half up."""
        return fen(self.error_ratio_percent)

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
                      within_threshold=within, buyer_may_cancel=not within, lines=lines)
