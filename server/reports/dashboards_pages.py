"""Managers' dashboards (`/dashboards`): per project, filtered by date range,
drilled down to a building, a contractor or a category. Every chart is an SVG
drawn on the server with its numbers in a table beside it and an Excel download."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import anyio
from litestar import Controller, Request, Response, get
from litestar.response import Stream

from server.accounts import roles
from server.errors import Invalid
from server.i18n import _
from server.inspections.default_checklist import CATEGORIES
from server.org.access import project_for
from server.org.tables import Building, Project
from server.reports.dashboards import TABLE_KEYS, contractors, dashboard, filters_of
from server.reports.dashboards_svg import bar_chart
from server.reports.dashboards_xlsx import stream_and_delete, write_workbook
from server.reports.stats import Filters
from server.web.guards import allow, current_user
from server.web.templating import render

READERS = frozenset(roles.STAFF)
FILTER_FIELDS = ("date_from", "date_to", "building_id", "contractor_id", "category")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: Request) -> dict[str, str]:
    return {k: (request.query_params.get(k) or "").strip() for k in FILTER_FIELDS}


def link(base: str, filters: Filters, **changes: Any) -> str:
    """`base` with the filters' query, some changed (None drops one)."""
    query = {**filters.query(), **{k: str(v) for k, v in changes.items() if v is not None}}
    for k, v in changes.items():
        if v is None:
            query.pop(k, None)
    return base + ("?" + urlencode(query) if query else "")


async def _choices(project_id: int) -> dict[str, list[tuple[Any, str]]]:
    buildings = await Building.select(Building.id, Building.name).where(Building.project == project_id).order_by(
        Building.name).run()
    return {"building_id": [(b["id"], b["name"]) for b in buildings],
            "contractor_id": [(p["id"], p["name"]) for p in await contractors(project_id)],
            "category": [(code, str(label)) for code, label in CATEGORIES.items()]}


def _chips(filters: Filters, choices: dict, base: str) -> list[dict]:
    """The drill-down in force, each with the link that removes it."""
    chips = []
    for field in ("building_id", "contractor_id", "category"):
        value = getattr(filters, field)
        if value is None:
            continue
        name = dict(choices[field]).get(value, str(value))
        chips.append({"label": name, "remove": link(base, filters, **{field: None})})
    return chips


def _drill(base: str, filters: Filters, drill: str | None, key: Any) -> str:
    """A row's link: its building, contractor or category added to the filters; a month
    (YYYY-MM) becomes the date range of that month."""
    if not drill or key is None:
        return ""
    if drill == "month":
        first = dt.date.fromisoformat(f"{key}-01")
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return link(base, filters, date_from=first.isoformat(), date_to=last.isoformat())
    return link(base, filters, **{drill: key})


class DashboardPages(Controller):
    path = "/dashboards"

    @get("/", guards=[allow(*READERS)])
    async def index(self, request: Request) -> Response:
        projects = await Project.select(Project.id, Project.name, Project.city).order_by(Project.name).run()
        return render(request, "reports/dashboard_index.html", projects=projects)

    @get("/projects/{project_id:int}", guards=[allow(*READERS)])
    async def project(self, request: Request, project_id: int) -> Response:
        project = await project_for(current_user(request), project_id)
        base = f"/dashboards/projects/{project_id}"
        params = _params(request)
        choices = await _choices(project_id)
        try:
            filters = await filters_of(project_id, params)
        except Invalid as exc:
            return render(request, "reports/dashboard.html", project=project, form=params, errors=exc.field_errors,
                          message=exc.message, choices=choices, tables=None, status_code=exc.status_code)
        board = await dashboard(filters)
        tables = board["tables"]
        for table in tables:
            table["svg"] = bar_chart(table["title"], [r for r in table["rows"] if r["key"] is not None] or
                                     table["rows"], table["chart"], percent=table.get("percent", False),
                                     scale=table.get("scale"))
            table["xlsx"] = link(f"{base}/dashboard.xlsx", filters, table=table["key"])
            for row in table["rows"]:
                row["href"] = _drill(base, filters, table["drill"], row["key"])
        return render(request, "reports/dashboard.html", project=project, form=params, errors={}, message=None,
                      choices=choices, filters=filters, chips=_chips(filters, choices, base),
                      headline=board["figures"]["pass_rate"], tables=tables,
                      xlsx_all=link(f"{base}/dashboard.xlsx", filters), clear=base)

    @get("/projects/{project_id:int}/dashboard.xlsx", guards=[allow(*READERS)])
    async def xlsx(self, request: Request, project_id: int, table: str | None = None) -> Stream:
        project = await project_for(current_user(request), project_id)
        if table is not None and table not in TABLE_KEYS:
            raise Invalid(_("Please correct the marked fields."), field_errors={"table": _("Choose from the list.")})
        filters = await filters_of(project_id, _params(request))
        tables = [t for t in (await dashboard(filters))["tables"] if table is None or t["key"] == table]
        shown = ", ".join(f"{k}={v}" for k, v in filters.query().items())
        heading = f"{project.name}" + (f" ({shown})" if shown else "")
        path = await anyio.to_thread.run_sync(write_workbook, tables, heading)
        name = f"dashboard-{project_id}{'-' + table if table else ''}.xlsx"
        return Stream(stream_and_delete(path), media_type=XLSX,
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


DASHBOARD_PAGES = [DashboardPages]
