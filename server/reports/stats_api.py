"""`GET /api/v1/projects/{id}/stats` (API.md): the first-time pass rate and the dashboard's figures."""
from __future__ import annotations

from typing import Any, Optional

from litestar import Controller, Request, get
from litestar.params import Parameter

from server.accounts import roles
from server.org.access import project_for
from server.reports.dashboards import dashboard, filters_of
from server.web.guards import allow, current_user

READERS = frozenset(roles.STAFF)
"""Developer-side staff, who see every project; contractors and owners get 403."""

DateFrom = Parameter(query="date_from", default=None, required=False,
                     description="First China date (YYYY-MM-DD) of the range, included.")
DateTo = Parameter(query="date_to", default=None, required=False,
                   description="Last China date (YYYY-MM-DD) of the range, included.")
BuildingId = Parameter(query="building_id", default=None, required=False, description="Only this building.")
ContractorId = Parameter(query="contractor_id", default=None, required=False,
                         description="Only this construction unit's defects.")
Category = Parameter(query="category", default=None, required=False,
                     description="Only this defect category (a code of GET /defect-categories).")


def _rows(found: list[dict], names: dict[Any, str] | None, key: str) -> list[dict]:
    out = []
    for row in found:
        item = {k: v for k, v in row.items() if k != "key"}
        item = {key: row["key"], **({"name": names.get(row["key"])} if names is not None else {}), **item}
        out.append(item)
    return out


class StatsApi(Controller):
    path = "/api/v1"
    tags = ["Reports"]

    @get("/projects/{project_id:int}/stats", guards=[allow(*READERS)],
         summary="A project's first-time pass rate and dashboard figures",
         description=(
             "`units_inspected`: units with a finished acceptance inspection; `first_time_passed`: those whose "
             "first finished inspection found no defect; `first_time_pass_rate_percent`: their ratio in % with "
             "two decimals, half up (\"66.67\"), null when no unit was inspected. Then the dashboard's figures "
             "for the same filters: pass rate by building, open defects by category and contractor, ageing "
             "(0-3, 4-7, 8-14, >14 days), median and p90 rectification time per contractor (nearest rank, in "
             "seconds and days), reopen rate, overdue now, inspections planned against done, customer inquiries "
             "by category (about the project's homes), SLA attainment (repairs per urgency: first completion "
             "within the project's done hours; inquiries: answered within the answer hours; `due` counts those "
             "done and those past their deadline), the return-visit satisfaction (1-5) per China month. Staff only "
             "(403 for other roles); an unknown project is 404; a bad filter is 400 naming it."))
    async def stats(self, request: Request, project_id: int, date_from: Optional[str] = DateFrom,
                    date_to: Optional[str] = DateTo, building_id: Optional[str] = BuildingId,
                    contractor_id: Optional[str] = ContractorId, category: Optional[str] = Category) -> dict:
        await project_for(current_user(request), project_id)
        filters = await filters_of(project_id, {"date_from": date_from, "date_to": date_to,
                                                "building_id": building_id, "contractor_id": contractor_id,
                                                "category": category})
        board = await dashboard(filters)
        found, names = board["figures"], board["names"]
        buildings, parties = names["building"], names["contractor"]
        return {
            "project_id": project_id,
            **found["pass_rate"],
            "filters": filters.query(),
            "pass_rate_by_building": _rows(found["pass_rate_by_building"], buildings, "building_id"),
            "open_by_category": _rows(found["open_by_category"], None, "category"),
            "open_by_contractor": _rows(found["open_by_contractor"], parties, "contractor_id"),
            "ageing": found["ageing"],
            "rectification_times": _rows(found["rectification_times"], parties, "contractor_id"),
            "reopen_rates": _rows(found["reopen_rates"], parties, "contractor_id"),
            "overdue_now": _rows(found["overdue_now"], parties, "contractor_id"),
            "inspections_planned_done": _rows(found["planned_done"], buildings, "building_id"),
            "inquiries_by_category": _rows(found["inquiries_by_category"], None, "category"),
            "sla_attainment": _rows(found["sla_attainment"], None, "kind"),
            "satisfaction_trend": _rows(found["satisfaction_trend"], None, "month"),
        }
