"""The figures of a project's dashboard and of `GET /projects/{id}/stats`.

Read-only: the reports context reads the other contexts' tables and writes
none of them. Every figure is one SQL statement (aggregates, window
functions); Python only turns counts into percentages with `Decimal`, so
SQLite and PostgreSQL give the same numbers.

First-time pass rate (一次验收合格率, shared/domain/rules.md): units that passed
at their first inspection ÷ units inspected, where
- a unit is *inspected* once an acceptance inspection (分户验收, not the
  owner's delivery-day walkthrough) of it has been finished (rectifying or
  passed); a planned, cancelled or unfinished inspection is not an inspection
  yet, and a unit with none is not counted at all;
- its *first* inspection is the earliest finished one (by the time it was
  started, then by id), whatever the `is_first` flag says: a planned
  inspection that was cancelled before it ever took place is not the first;
- it *passed* at that inspection when the inspection found no defect, so it
  was finished straight to passed. A unit whose defects were rectified and
  passed on recheck passed, but not at the first inspection;
- the rate is a percentage with two decimals, half up (`"66.67"`), or None
  (no data, never 0 %) when no unit was inspected.
With a date range, the units counted are those whose first inspection was
finished within it (China dates). Drilled down to a contractor or a
category, a unit passes when its first inspection found no defect of that
contractor or category; a contractor's units are those of the buildings where
it answers for a category or has had a defect.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.clock import day_start
from server.db import engine
from server.errors import Invalid
from server.i18n import _
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import Defect

DONE_STATUSES = ("rectifying", "passed")


@dataclass(frozen=True)
class Filters:
    """What a dashboard or the stats endpoint looks at: one project, optionally
    a date range (China dates, both ends included), a building, a contractor
    (construction unit) and a defect category."""

    project_id: int
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    building_id: int | None = None
    contractor_id: int | None = None
    category: str | None = None

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (for links and downloads)."""
        pairs = (("date_from", self.date_from), ("date_to", self.date_to), ("building_id", self.building_id),
                 ("contractor_id", self.contractor_id), ("category", self.category))
        return {k: str(v) for k, v in pairs if v not in (None, "")}


def _date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD, e.g. 2026-03-01.")
        return None


def _id(value: Any, field: str, errors: dict[str, str]) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not text.isdigit():
        errors[field] = _("Choose from the list.")
        return None
    return int(text)


def parse_filters(project_id: int, params: dict[str, Any]) -> Filters:
    """Filters from query parameters; bad input is refused (400) naming the field."""
    errors: dict[str, str] = {}
    date_from = _date(params.get("date_from"), "date_from", errors)
    date_to = _date(params.get("date_to"), "date_to", errors)
    if date_from and date_to and date_to < date_from:
        errors["date_to"] = _("The end date must not be before the start date.")
    category = (params.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = _("Choose from the list.")
    filters = Filters(project_id=project_id, date_from=date_from, date_to=date_to,
                      building_id=_id(params.get("building_id"), "building_id", errors),
                      contractor_id=_id(params.get("contractor_id"), "contractor_id", errors), category=category)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    return filters


# ---------------------------------------------------------------- SQL helpers

def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def epoch_seconds(column: str) -> str:
    """Whole seconds since 1970 of a stored time, truncated alike on both databases."""
    if is_postgres():
        return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def utc(moment: dt.datetime) -> dt.datetime:
    """Times are stored in UTC: compare with UTC parameters (SQLite compares the text)."""
    return moment.astimezone(dt.timezone.utc)


class Where:
    """A WHERE clause with its `{}` parameters, built in order."""

    def __init__(self, sql: str, *args: Any) -> None:
        self.parts, self.args = [sql], list(args)

    def add(self, sql: str, *args: Any) -> "Where":
        self.parts.append(sql)
        self.args += list(args)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(f"({p})" for p in self.parts)


def in_range(where: Where, column: str, filters: Filters) -> Where:
    """`column` (a stored time) within the filters' China dates."""
    if filters.date_from:
        where.add(f"{column} >= {{}}", utc(day_start(filters.date_from)))
    if filters.date_to:
        where.add(f"{column} < {{}}", utc(day_start(filters.date_to + dt.timedelta(days=1))))
    return where


def defect_scope(filters: Filters, *, dated: bool = True) -> Where:
    """Defects (alias d) of the filters' scope; `dated`: recorded within the date range.
    The project's (or building's) units are picked first and the defects matched
    to them (a semi-join): a third of the work of joining every defect to its
    unit and building, measured on SQLite at 40,000 defects."""
    units = 'SELECT u.id FROM "unit" u JOIN "building" b ON b.id = u.building WHERE b.project = {}'
    args: list[Any] = [filters.project_id]
    if filters.building_id is not None:
        units += " AND u.building = {}"
        args.append(filters.building_id)
    where = Where(f"d.unit IN ({units})", *args)
    if filters.contractor_id is not None:
        where.add("d.construction_unit = {}", filters.contractor_id)
    if filters.category is not None:
        where.add("d.category = {}", filters.category)
    return in_range(where, "d.created_at", filters) if dated else where


DEFECT_FROM = 'FROM "defect" d'


async def rows(sql: str, args: list[Any]) -> list[dict]:
    return await Defect.raw(sql, *args).run()


def percent(part: int, whole: int) -> str | None:
    """part ÷ whole as a percentage with two decimals, half up; None when whole is 0."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:.2f}"


# ---------------------------------------------------------------- first-time pass rate

async def pass_rate_rows(filters: Filters, *, by_building: bool = False) -> list[dict]:
    """[{building_id?, units_inspected, first_time_passed}]: one statement; the
    unit's first finished acceptance inspection is picked with ROW_NUMBER()."""
    done = ", ".join(f"'{s}'" for s in DONE_STATUSES)
    first = in_range(Where("f.n = 1"), "f.completed_at", filters)
    # Per unit, the defects of its first inspection are found by the inspection's index; the
    # contractor and category are compared as expressions ("+ 0", "|| ''") so that SQLite does not
    # pick their index instead (a contractor's 4,000 defects read once per unit: 15 s at 40,000).
    found = Where("d.inspection = f.id")
    if filters.contractor_id is not None:
        found.add("d.construction_unit + 0 = {}", filters.contractor_id)
    if filters.category is not None:
        found.add("d.category || '' = {}", filters.category)
    scope = Where("b.project = {}", filters.project_id).add("i.kind = 'acceptance'").add(
        f"i.status IN ({done})").add("i.completed_at IS NOT NULL")
    if filters.building_id is not None:
        scope.add("u.building = {}", filters.building_id)
    if filters.contractor_id is not None:
        # The contractor's buildings, found once (not per row).
        scope.add('u.building IN (SELECT t.building FROM "trade_assignment" t WHERE t.party = {} '
                  'UNION SELECT u2.building FROM "defect" d2 JOIN "unit" u2 ON u2.id = d2.unit '
                  'WHERE d2.construction_unit = {})', filters.contractor_id, filters.contractor_id)
    group = "f.building" if by_building else None
    sql = (
        "WITH finished AS ("
        " SELECT i.id, i.unit, u.building, i.completed_at,"
        " ROW_NUMBER() OVER (PARTITION BY i.unit ORDER BY COALESCE(i.started_at, i.completed_at), i.id) AS n"
        ' FROM "inspection" i JOIN "unit" u ON u.id = i.unit JOIN "building" b ON b.id = u.building'
        f" WHERE {scope.sql}) "
        f"SELECT {group + ' AS building_id, ' if group else ''}COUNT(*) AS units_inspected,"
        f' COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM "defect" d WHERE {found.sql}) THEN 0 ELSE 1 END), 0)'
        " AS first_time_passed"
        f" FROM finished f WHERE {first.sql}"
        + (f" GROUP BY {group} ORDER BY {group}" if group else ""))
    # Parameters in the order they appear: scope, then the EXISTS in the select, then the range.
    return await rows(sql, scope.args + found.args + first.args)


def pass_rate_out(row: dict) -> dict:
    inspected, passed = int(row["units_inspected"] or 0), int(row["first_time_passed"] or 0)
    return {"units_inspected": inspected, "first_time_passed": passed,
            "first_time_pass_rate_percent": percent(passed, inspected)}


async def pass_rate(filters: Filters) -> dict:
    """{"units_inspected", "first_time_passed", "first_time_pass_rate_percent"} (None: no data)."""
    found = await pass_rate_rows(filters)
    return pass_rate_out(found[0] if found else {"units_inspected": 0, "first_time_passed": 0})
