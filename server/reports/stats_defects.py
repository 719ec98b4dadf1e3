"""Defect and inspection figures of a project's dashboard, each one SQL statement.

The date range selects defects recorded within it (and, for rectification
times, defects closed within it; for planned against done, inspections
scheduled within it). "Open" means not closed: to rectify or awaiting recheck.

Median and p90 rectification time use the nearest-rank rule, written with
window functions that SQLite and PostgreSQL both have (SQLite has no
percentile_cont): a contractor's n times are numbered 1..n in ascending order
(ROW_NUMBER), and the p-th percentile is the time ranked ceil(p × n / 100):
the median is rank ceil(n / 2) (the lower middle of an even count), p90 rank
ceil(9n / 10). Times are whole seconds on both databases, so both answer
the same.

Rectification time: from the rectification notice that told the contractor
(its creation) to the contractor's last report of the work done, for defects
closed by a passed recheck. Reopen rate: of a contractor's defects rechecked
at least once (closed, or reopened), those that failed a recheck at least once.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from server.clock import day_start, today
from server.reports.stats import (DEFECT_FROM, Filters, Where, defect_scope, epoch_seconds, in_range, percent,
                                  rows, utc)

AGEING_BUCKETS = (("0-3", 0, 3), ("4-7", 4, 7), ("8-14", 8, 14), (">14", 15, None))
"""Age in days of an open defect: China days since the day it was recorded (that day is 0)."""


async def open_by(filters: Filters, column: str) -> list[dict]:
    """Open defects counted by `category` or `contractor` (construction unit), most first."""
    key = {"category": "d.category", "contractor": "d.construction_unit"}[column]
    where = defect_scope(filters).add("d.status <> 'closed'")
    found = await rows(f"SELECT {key} AS key, COUNT(*) AS open_count {DEFECT_FROM} WHERE {where.sql} "
                       f"GROUP BY {key} ORDER BY open_count DESC, key", where.args)
    return [{"key": r["key"], "open": int(r["open_count"])} for r in found]


async def ageing(filters: Filters, on: dt.date | None = None) -> list[dict]:
    """Open defects in the buckets 0–3, 4–7, 8–14 and over 14 days old (every bucket, zeros too)."""
    on = on or today()
    where = defect_scope(filters).add("d.status <> 'closed'")
    cases, args = [], []
    for name, low, high in AGEING_BUCKETS:
        # Recorded on a China day between on - high and on - low, both included.
        conditions = ["d.created_at < {}"]
        args.append(utc(day_start(on - dt.timedelta(days=low - 1))))
        if high is not None:
            conditions.append("d.created_at >= {}")
            args.append(utc(day_start(on - dt.timedelta(days=high))))
        cases.append(f"COALESCE(SUM(CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END), 0) AS b{len(cases)}")
    found = await rows(f"SELECT {', '.join(cases)} {DEFECT_FROM} WHERE {where.sql}", args + where.args)
    row = found[0] if found else {}
    return [{"bucket": name, "open": int(row.get(f"b{i}") or 0)} for i, (name, _l, _h) in enumerate(AGEING_BUCKETS)]


def _days(seconds: int | None) -> str | None:
    """Seconds as days with one decimal, half up."""
    if seconds is None:
        return None
    return f"{(Decimal(int(seconds)) / 86400).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):.1f}"


async def rectification_times(filters: Filters) -> list[dict]:
    """Per contractor: closed defects, and the median and p90 time from notice to rectified (nearest rank)."""
    where = defect_scope(filters, dated=False).add("d.status = 'closed'").add("d.rectified_at IS NOT NULL")
    in_range(where, "d.closed_at", filters)
    secs = f"{epoch_seconds('d.rectified_at')} - {epoch_seconds('n.created_at')}"
    sql = (
        "WITH t AS ("
        f" SELECT d.construction_unit AS party, {secs} AS secs"
        f' {DEFECT_FROM} JOIN "rectification_notice" n ON n.id = d.notice WHERE {where.sql}), '
        "r AS (SELECT party, secs, ROW_NUMBER() OVER (PARTITION BY party ORDER BY secs) AS rn,"
        " COUNT(*) OVER (PARTITION BY party) AS cnt FROM t) "
        "SELECT party, MAX(cnt) AS closed,"
        " MAX(CASE WHEN rn = (cnt + 1) / 2 THEN secs END) AS median_secs,"
        " MAX(CASE WHEN rn = (9 * cnt + 9) / 10 THEN secs END) AS p90_secs"
        " FROM r GROUP BY party ORDER BY party")
    found = await rows(sql, where.args)
    return [{"key": r["party"], "closed": int(r["closed"]), "median_seconds": int(r["median_secs"]),
             "p90_seconds": int(r["p90_secs"]), "median_days": _days(r["median_secs"]),
             "p90_days": _days(r["p90_secs"])} for r in found]


async def reopen_rates(filters: Filters) -> list[dict]:
    """Per contractor: defects rechecked at least once, those reopened, and the rate (two decimals)."""
    where = defect_scope(filters).add("(d.status = 'closed' OR d.reopen_count > 0)")
    found = await rows(
        "SELECT d.construction_unit AS party, COUNT(*) AS rechecked,"
        " COALESCE(SUM(CASE WHEN d.reopen_count > 0 THEN 1 ELSE 0 END), 0) AS reopened"
        f" {DEFECT_FROM} WHERE {where.sql} GROUP BY d.construction_unit ORDER BY d.construction_unit", where.args)
    return [{"key": r["party"], "rechecked": int(r["rechecked"]), "reopened": int(r["reopened"]),
             "reopen_rate_percent": percent(int(r["reopened"]), int(r["rechecked"]))} for r in found]


async def overdue_now(filters: Filters, now: dt.datetime | None = None) -> list[dict]:
    """Per contractor: defects still to rectify whose deadline has passed."""
    now = now or dt.datetime.now(dt.timezone.utc)
    where = defect_scope(filters).add("d.status = 'open'").add("d.deadline < {}", utc(now))
    found = await rows(
        f"SELECT d.construction_unit AS party, COUNT(*) AS overdue {DEFECT_FROM} WHERE {where.sql}"
        " GROUP BY d.construction_unit ORDER BY overdue DESC, d.construction_unit", where.args)
    return [{"key": r["party"], "overdue": int(r["overdue"])} for r in found]


async def planned_done(filters: Filters) -> list[dict]:
    """Per building: acceptance inspections planned (not cancelled; scheduled within the range) and done."""
    where = Where("b.project = {}", filters.project_id).add("i.kind = 'acceptance'").add("i.status <> 'cancelled'")
    if filters.building_id is not None:
        where.add("u.building = {}", filters.building_id)
    if filters.date_from:
        where.add("i.scheduled_for >= {}", filters.date_from)
    if filters.date_to:
        where.add("i.scheduled_for <= {}", filters.date_to)
    found = await rows(
        "SELECT u.building AS building, COUNT(*) AS planned,"
        " COALESCE(SUM(CASE WHEN i.completed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS done"
        ' FROM "inspection" i JOIN "unit" u ON u.id = i.unit JOIN "building" b ON b.id = u.building'
        f" WHERE {where.sql} GROUP BY u.building ORDER BY u.building", where.args)
    return [{"key": r["building"], "planned": int(r["planned"]), "done": int(r["done"]),
             "done_percent": percent(int(r["done"]), int(r["planned"]))} for r in found]
