"""Service figures of a project's dashboard, from the contexts that record
them: customer inquiries by category (an inquiry belongs to the project of
the home it is about; one about no home is in no project's figures).

The date range selects inquiries recorded within it; the building filter
applies through the home; the contractor and defect-category filters do not
apply to inquiries.
"""
from __future__ import annotations

from server.reports.stats import Filters, Where, in_range, rows


async def inquiries_by_category(filters: Filters) -> list[dict]:
    """Inquiries per category (as CS staff typed it; "" when none), with those answered, most first."""
    where = Where("b.project = {}", filters.project_id)
    if filters.building_id is not None:
        where.add("u.building = {}", filters.building_id)
    in_range(where, "q.created_at", filters)
    found = await rows(
        "SELECT q.category AS category, COUNT(*) AS total,"
        " COALESCE(SUM(CASE WHEN q.status = 'answered' THEN 1 ELSE 0 END), 0) AS answered"
        ' FROM "inquiry" q JOIN "unit" u ON u.id = q.unit JOIN "building" b ON b.id = u.building'
        f" WHERE {where.sql} GROUP BY q.category ORDER BY total DESC, q.category", where.args)
    return [{"key": r["category"], "inquiries": int(r["total"]), "answered": int(r["answered"])} for r in found]
