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
from typing import Any
from decimal import ROUND_HALF_UP, Decimal

from server.clock import day_start, today
from server.reports.stats import (DEFECT_FROM, Filters, Where, defect_scope, epoch_seconds, in_range, percent,
                                  rows, utc)

AGEING_BUCKETS = (("0-3", 0, 3), ("4-7", 4, 7), ("8-14", 8, 14), (">14", 15, None))
"""Age in days of an open defect: China days since the day it was recorded (that day is 0)."""


def _ageing_cases(on: dt.date) -> tuple[list[str], list[Any]]:
    """One CASE per bucket: open and recorded on a China day between on - high and on - low."""
    cases, args = [], []
    for name, low, high in AGEING_BUCKETS:
        conditions = ["d.status <> 'closed'", "d.created_at < {}"]
        args.append(utc(day_start(on - dt.timedelta(days=low - 1))))
        if high is not None:
            conditions.append("d.created_at >= {}")
            args.append(utc(day_start(on - dt.timedelta(days=high))))
        cases.append(f"CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END AS b{len(cases)}")
    return cases, args


async def defect_summary(filters: Filters, on: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """Open defects by category and by contractor, their ageing, overdue now and the
    reopen rate per contractor: one statement, one pass over the defects. Each defect
    is flagged once (open, its age bucket, overdue, rechecked, reopened) in a
    materialized CTE, then summed three ways (UNION ALL): by category, by
    contractor, and in total for the ageing buckets."""
    on = on or today()
    now = now or dt.datetime.now(dt.timezone.utc)
    where = defect_scope(filters)
    cases, args = _ageing_cases(on)
    flags = ("CASE WHEN d.status <> 'closed' THEN 1 ELSE 0 END AS open_, " + ", ".join(cases) + ", "
             "CASE WHEN d.status = 'open' AND d.deadline < {} THEN 1 ELSE 0 END AS overdue, "
             "CASE WHEN d.status = 'closed' OR d.reopen_count > 0 THEN 1 ELSE 0 END AS rechecked, "
             "CASE WHEN d.reopen_count > 0 THEN 1 ELSE 0 END AS reopened")
    args.append(utc(now))
    sums = ("SUM(open_) AS open_count, SUM(b0) AS b0, SUM(b1) AS b1, SUM(b2) AS b2, SUM(b3) AS b3, "
            "SUM(overdue) AS overdue, SUM(rechecked) AS rechecked, SUM(reopened) AS reopened")
    sql = (f"WITH f AS MATERIALIZED (SELECT d.category AS category, d.construction_unit AS party, {flags} "
           f"{DEFECT_FROM} WHERE {where.sql}) "
           f"SELECT 'category' AS dim, category AS key, {sums} FROM f GROUP BY category "
           f"UNION ALL SELECT 'contractor' AS dim, CAST(party AS TEXT) AS key, {sums} FROM f GROUP BY party "
           f"UNION ALL SELECT 'total' AS dim, CAST(NULL AS TEXT) AS key, {sums} FROM f")
    found = await rows(sql, args + where.args)

    def of(dim: str) -> list[dict]:
        return [{k: (int(v or 0) if k not in ("dim", "key") else v) for k, v in r.items()}
                for r in found if r["dim"] == dim]

    # The keys of one column: category codes and contractor ids, as text (the ids made ints again).
    categories = of("category")
    parties = [{**r, "key": int(r["key"])} for r in of("contractor")]
    total = (of("total") or [{}])[0]
    return {
        "open_by_category": [{"key": r["key"], "open": r["open_count"]}
                             for r in sorted(categories, key=lambda r: (-r["open_count"], r["key"]))
                             if r["open_count"]],
        "open_by_contractor": [{"key": r["key"], "open": r["open_count"]}
                               for r in sorted(parties, key=lambda r: (-r["open_count"], r["key"]))
                               if r["open_count"]],
        "ageing": [{"bucket": name, "open": int(total.get(f"b{i}") or 0)}
                   for i, (name, _low, _high) in enumerate(AGEING_BUCKETS)],
        "overdue_now": [{"key": r["key"], "overdue": r["overdue"]}
                        for r in sorted(parties, key=lambda r: (-r["overdue"], r["key"])) if r["overdue"]],
        "reopen_rates": [{"key": r["key"], "rechecked": r["rechecked"], "reopened": r["reopened"],
                          "reopen_rate_percent": percent(r["reopened"], r["rechecked"])}
                         for r in sorted(parties, key=lambda r: r["key"]) if r["rechecked"]],
    }


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
