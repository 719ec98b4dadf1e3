"""Service figures of a project's dashboard, from the contexts that record
them (read only), each one SQL statement:

- customer inquiries by category (an inquiry belongs to the project recorded
  on it: its home's, or the one CS chose for a question about no home);
- SLA attainment: of the repairs per urgency, and of the inquiries, the share
  done within their deadline (below);
- the satisfaction trend: the return-visit calls' satisfaction (1-5) per
  China month.

SLA attainment. A repair's deadline is its project's "done" hours for its
urgency (repair_settings, the rules.md defaults where the project set none; a
request not triaged yet runs on the normal hours, as server/repairs/sla.py
counts), from the request to its first completion. An inquiry's is its
project's answer hours for its category (inquiry_sla: the category's row,
else the '' row, else the defaults of server/inquiries/sla.py), from the
inquiry to its answer (answered at once, or the contact sheet's answer
approved). Counted are those done and those not done whose deadline has
passed (they missed it); those still within their time are not counted yet.
`met` / `due` is the attainment, None (no data) when nothing is due.

The date range selects repairs and inquiries recorded within it and calls
made within it; the building filter applies through the home; the contractor
filter applies to repairs through the repair unit they are assigned to now
(not to inquiries); the defect-category filter applies to none of these.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.reports.stats import Filters, Where, epoch_seconds, in_range, is_postgres, percent, rows

URGENCIES = ("emergency", "normal", "scheduled")
DONE_INQUIRY = ("answered", "closed")
"""Inquiry statuses whose answer reached the customer (server/inquiries/states.py DONE)."""


def _home_scope(filters: Filters, alias: str) -> Where:
    """Rows (alias.unit) about the filters' project's (or building's) homes."""
    homes = 'SELECT u.id FROM "unit" u JOIN "building" b ON b.id = u.building WHERE b.project = {}'
    args: list[Any] = [filters.project_id]
    if filters.building_id is not None:
        homes += " AND u.building = {}"
        args.append(filters.building_id)
    return Where(f"{alias}.unit IN ({homes})", *args)


def _inquiry_scope(filters: Filters, alias: str = "q") -> Where:
    """Inquiries of the filters' project (their own project column, so those about no home count);
    drilled to a building, those about its homes."""
    where = Where(f"{alias}.project = {{}}", filters.project_id)
    if filters.building_id is not None:
        where.add(f'{alias}.unit IN (SELECT u.id FROM "unit" u WHERE u.building = {{}})', filters.building_id)
    return where


def _repair_scope(filters: Filters, alias: str = "r") -> Where:
    where = _home_scope(filters, alias)
    if filters.contractor_id is not None:
        where.add(f'{alias}.id IN (SELECT a.repair FROM "repair_assignment" a WHERE a.party = {{}} '
                  "AND a.superseded = {})", filters.contractor_id, False)
    return where


async def inquiries_by_category(filters: Filters) -> list[dict]:
    """Inquiries per category (as CS staff typed it; "" when none), with those answered, most first."""
    where = _inquiry_scope(filters)
    in_range(where, "q.created_at", filters)
    done = ", ".join(f"'{s}'" for s in DONE_INQUIRY)
    found = await rows(
        "SELECT q.category AS category, COUNT(*) AS total,"
        f" COALESCE(SUM(CASE WHEN q.status IN ({done}) THEN 1 ELSE 0 END), 0) AS answered"
        f' FROM "inquiry" q WHERE {where.sql} GROUP BY q.category ORDER BY total DESC, q.category', where.args)
    return [{"key": r["category"], "inquiries": int(r["total"]), "answered": int(r["answered"])} for r in found]


def _default_seconds(table: Any, column: str) -> int:
    return int(Decimal(str(table._meta.get_column_by_name(column).default)) * 3600)


def _seconds(column: str) -> str:
    """Stored hours (numeric, two decimals) as whole seconds, alike on both databases."""
    return f"CAST(ROUND({column} * 3600) AS INTEGER)"


async def _repair_sla(filters: Filters, now: dt.datetime) -> list[dict]:
    from server.repairs.tables import RepairSettings

    where = _repair_scope(filters)
    in_range(where, "r.created_at", filters)
    allowed = ["CASE"]
    args: list[Any] = []
    for urgency in ("emergency", "scheduled", "normal"):
        column = f"{urgency}_done_hours"
        test = f"WHEN r.urgency = '{urgency}' THEN " if urgency != "normal" else "ELSE "
        allowed.append(f"{test}COALESCE({_seconds('s.' + column)}, {{}})")
        args.append(_default_seconds(RepairSettings, column))
    allowed.append("END")
    sql = (
        "WITH t AS (SELECT CASE WHEN r.urgency IN ('emergency', 'scheduled') THEN r.urgency ELSE 'normal' END"
        f" AS urgency, {epoch_seconds('r.created_at')} AS asked,"
        f' (SELECT MIN({epoch_seconds("c.created_at")}) FROM "repair_completion" c WHERE c.repair = r.id) AS done,'
        f" {' '.join(allowed)} AS allowed"
        ' FROM "repair_request" r JOIN "unit" u ON u.id = r.unit JOIN "building" b ON b.id = u.building'
        f' LEFT JOIN "repair_settings" s ON s.project = b.project WHERE {where.sql}) '
        "SELECT urgency, COALESCE(SUM(CASE WHEN done IS NOT NULL OR asked + allowed < {} THEN 1 ELSE 0 END), 0)"
        " AS due, COALESCE(SUM(CASE WHEN done IS NOT NULL AND done <= asked + allowed THEN 1 ELSE 0 END), 0) AS met"
        " FROM t GROUP BY urgency")
    found = {r["urgency"]: r for r in await rows(sql, args + where.args + [int(now.timestamp())])}
    return [{"key": u, "due": int((found.get(u) or {}).get("due") or 0),
             "met": int((found.get(u) or {}).get("met") or 0)} for u in URGENCIES]


async def _inquiry_sla(filters: Filters, now: dt.datetime) -> dict:
    from server.inquiries.sla import DEFAULT_HOURS

    where = _inquiry_scope(filters)
    in_range(where, "q.created_at", filters)
    rule = ('(SELECT {} FROM "inquiry_sla" s WHERE s.project = q.project AND s.category = {})')
    allowed = (f"COALESCE({rule.format(_seconds('s.answer_hours'), 'q.category')},"
               f" {rule.format(_seconds('s.answer_hours'), chr(39) * 2)}, {{}})")
    sql = (
        f"WITH t AS (SELECT {epoch_seconds('q.created_at')} AS asked, {epoch_seconds('q.answered_at')} AS done,"
        f' {allowed} AS allowed FROM "inquiry" q WHERE {where.sql}) '
        "SELECT COALESCE(SUM(CASE WHEN done IS NOT NULL OR asked + allowed < {} THEN 1 ELSE 0 END), 0) AS due,"
        " COALESCE(SUM(CASE WHEN done IS NOT NULL AND done <= asked + allowed THEN 1 ELSE 0 END), 0) AS met FROM t")
    found = (await rows(sql, [int(DEFAULT_HOURS["answer_hours"] * 3600)] + where.args + [int(now.timestamp())]))[0]
    return {"key": "inquiries", "due": int(found["due"] or 0), "met": int(found["met"] or 0)}


async def sla_attainment(filters: Filters, now: dt.datetime | None = None) -> list[dict]:
    """[{key: emergency | normal | scheduled | inquiries, due, met, attainment_percent}] (see the module doc)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    found = await _repair_sla(filters, now) + [await _inquiry_sla(filters, now)]
    return [{**r, "attainment_percent": percent(r["met"], r["due"])} for r in found]


def _month(column: str) -> str:
    """The China month (YYYY-MM) of a stored time."""
    if is_postgres():
        return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"strftime('%Y-%m', {column}, '+8 hours')"


def _average(total: int, count: int) -> str | None:
    if not count:
        return None
    return f"{(Decimal(total) / Decimal(count)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


async def satisfaction_trend(filters: Filters) -> list[dict]:
    """Per China month of the call: return-visit calls that gave a satisfaction (1-5), their
    average (two decimals, half up) and the share satisfied (4 or 5), oldest month first."""
    where = Where("v.satisfaction IS NOT NULL").add(
        f'v.repair IN (SELECT r.id FROM "repair_request" r WHERE {_repair_scope(filters).sql})',
        *_repair_scope(filters).args)
    in_range(where, "v.created_at", filters)
    month = _month("v.created_at")
    found = await rows(
        f"SELECT {month} AS month, COUNT(*) AS calls, SUM(v.satisfaction) AS total,"
        " SUM(CASE WHEN v.satisfaction >= 4 THEN 1 ELSE 0 END) AS satisfied"
        f' FROM "repair_visit" v WHERE {where.sql} GROUP BY {month} ORDER BY {month}', where.args)
    return [{"key": r["month"], "calls": int(r["calls"]), "average": _average(int(r["total"]), int(r["calls"])),
             "satisfied": int(r["satisfied"]), "satisfied_percent": percent(int(r["satisfied"]), int(r["calls"]))}
            for r in found]
