"""A project's dashboard: every figure of `stats.py` and `stats_defects.py`
for one set of filters, with the names of buildings and contractors, and the
tables the page, the API and the Excel download share."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.i18n import _
from server.inspections.default_checklist import CATEGORIES
from server.org.tables import Building, Party
from server.reports import stats_defects as sd
from server.reports.stats import Filters, pass_rate, pass_rate_out, pass_rate_rows, percent
from server.reports.stats_service import inquiries_by_category, satisfaction_trend, sla_attainment


async def figures(filters: Filters, now: dt.datetime | None = None) -> dict:
    """Every figure of the dashboard (ids as keys; names added by `named`)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    from server.clock import CHINA

    return {
        "pass_rate": await pass_rate(filters),
        "pass_rate_by_building": [{"key": r["building_id"], **pass_rate_out(r)}
                                  for r in await pass_rate_rows(filters, by_building=True)],
        **await sd.defect_summary(filters, now.astimezone(CHINA).date(), now),
        "rectification_times": await sd.rectification_times(filters),
        "planned_done": await sd.planned_done(filters),
        "inquiries_by_category": await inquiries_by_category(filters),
        "sla_attainment": await sla_attainment(filters, now),
        "satisfaction_trend": await satisfaction_trend(filters),
    }


async def names(project_id: int, figures_: dict) -> dict[str, dict]:
    """Names of the project's buildings and of the contractors the figures mention (two queries)."""
    buildings = {r["id"]: r["name"] for r in await Building.select(Building.id, Building.name).where(
        Building.project == project_id).order_by(Building.name).run()}
    party_ids = sorted({r["key"] for key in ("open_by_contractor", "rectification_times", "reopen_rates",
                                             "overdue_now") for r in figures_[key]})
    parties = {r["id"]: r["name"] for r in await Party.select(Party.id, Party.name).where(
        Party.id.is_in(party_ids or [-1])).run()}
    return {"building": buildings, "contractor": parties}


async def contractors(project_id: int) -> list[dict]:
    """Construction units of the project (the filter's choices): those answering for a
    category in its buildings, and those with defects recorded in it."""
    from server.inspections.tables import Defect, TradeAssignment

    buildings = Building.select(Building.id).where(Building.project == project_id)
    ids = {r["party"] for r in await TradeAssignment.select(TradeAssignment.party).where(
        TradeAssignment.building.is_in(buildings)).run()}
    ids |= {r["construction_unit"] for r in await Defect.select(Defect.construction_unit).where(
        Defect.unit.building.project == project_id).distinct().run()}
    return await Party.select(Party.id, Party.name).where(Party.id.is_in(sorted(ids) or [-1])).order_by(
        Party.name).run()


def _label(kind: str, key: Any, known: dict[str, dict]) -> str:
    if kind == "category":
        return str(CATEGORIES.get(key, key))
    return known[kind].get(key) or f"#{key}"


def tables(figures_: dict, known: dict[str, dict]) -> list[dict]:
    """The dashboard's tables: key, title, drill (which filter a row's link sets),
    columns [(header, field, numeric)], rows (dicts with "label" and "key"),
    chart (the fields drawn, with their series names). Headers in the request's language."""

    def labelled(kind: str, found: list[dict]) -> list[dict]:
        return [{**r, "label": _label(kind, r["key"], known)} for r in found]

    rate = figures_["pass_rate"]
    overall = [{"key": None, "label": _("Whole selection"), **rate}]
    return [
        {"key": "pass_rate", "title": _("First-time pass rate"), "drill": "building_id",
         "rows": overall + labelled("building", figures_["pass_rate_by_building"]),
         "columns": [(_("Building"), "label", False), (_("Units inspected"), "units_inspected", True),
                     (_("Passed at the first inspection"), "first_time_passed", True),
                     (_("First-time pass rate (%)"), "first_time_pass_rate_percent", True)],
         "chart": [("first_time_pass_rate_percent", _("First-time pass rate (%)"))], "percent": True},
        {"key": "open_by_category", "title": _("Open defects by category"), "drill": "category",
         "rows": labelled("category", figures_["open_by_category"]),
         "columns": [(_("Category"), "label", False), (_("Open defects"), "open", True)],
         "chart": [("open", _("Open defects"))]},
        {"key": "open_by_contractor", "title": _("Open defects by contractor"), "drill": "contractor_id",
         "rows": labelled("contractor", figures_["open_by_contractor"]),
         "columns": [(_("Contractor"), "label", False), (_("Open defects"), "open", True)],
         "chart": [("open", _("Open defects"))]},
        {"key": "ageing", "title": _("Open defects by age"), "drill": None,
         "rows": [{**r, "key": r["bucket"], "label": _("%(bucket)s days", bucket=r["bucket"])}
                  for r in figures_["ageing"]],
         "columns": [(_("Age"), "label", False), (_("Open defects"), "open", True)],
         "chart": [("open", _("Open defects"))]},
        {"key": "rectification_times", "title": _("Rectification time by contractor (days)"),
         "drill": "contractor_id", "rows": labelled("contractor", figures_["rectification_times"]),
         "columns": [(_("Contractor"), "label", False), (_("Closed defects"), "closed", True),
                     (_("Median (days)"), "median_days", True), (_("90th percentile (days)"), "p90_days", True)],
         "chart": [("median_days", _("Median (days)")), ("p90_days", _("90th percentile (days)"))]},
        {"key": "reopen_rates", "title": _("Reopen rate by contractor"), "drill": "contractor_id",
         "rows": labelled("contractor", figures_["reopen_rates"]),
         "columns": [(_("Contractor"), "label", False), (_("Rechecked"), "rechecked", True),
                     (_("Reopened"), "reopened", True), (_("Reopen rate (%)"), "reopen_rate_percent", True)],
         "chart": [("reopen_rate_percent", _("Reopen rate (%)"))], "percent": True},
        {"key": "overdue_now", "title": _("Overdue now by contractor"), "drill": "contractor_id",
         "rows": labelled("contractor", figures_["overdue_now"]),
         "columns": [(_("Contractor"), "label", False), (_("Overdue defects"), "overdue", True)],
         "chart": [("overdue", _("Overdue defects"))]},
        {"key": "planned_done", "title": _("Inspections planned against done"), "drill": "building_id",
         "rows": labelled("building", figures_["planned_done"]),
         "columns": [(_("Building"), "label", False), (_("Planned"), "planned", True), (_("Done"), "done", True),
                     (_("Done (%)"), "done_percent", True)],
         "chart": [("planned", _("Planned")), ("done", _("Done"))]},
        {"key": "inquiries_by_category", "title": _("Inquiries by category"), "drill": None,
         "rows": [{**r, "label": r["key"] or _("No category")} for r in figures_["inquiries_by_category"]],
         "columns": [(_("Category"), "label", False), (_("Inquiries"), "inquiries", True),
                     (_("Answered"), "answered", True)],
         "chart": [("inquiries", _("Inquiries")), ("answered", _("Answered"))]},
        {"key": "sla_attainment", "title": _("SLA attainment"), "drill": None,
         "rows": [{**r, "label": _sla_label(r["key"])} for r in figures_["sla_attainment"]],
         "columns": [(_("Kind"), "label", False), (_("Due or done"), "due", True), (_("Done in time"), "met", True),
                     (_("Attainment (%)"), "attainment_percent", True)],
         "chart": [("attainment_percent", _("Attainment (%)"))], "percent": True},
        {"key": "satisfaction_trend", "title": _("Return-visit satisfaction by month"), "drill": "month",
         "rows": [{**r, "label": r["key"]} for r in figures_["satisfaction_trend"]],
         "columns": [(_("Month"), "label", False), (_("Calls with a score"), "calls", True),
                     (_("Average satisfaction (1-5)"), "average", True),
                     (_("Satisfied (4-5)"), "satisfied", True), (_("Satisfied (%)"), "satisfied_percent", True)],
         "chart": [("average", _("Average satisfaction (1-5)"))], "scale": 5},
    ]


def _sla_label(key: str) -> str:
    from server.repairs.states import URGENCIES

    if key == "inquiries":
        return _("Inquiries (answer)")
    return _("Repairs: %(urgency)s", urgency=str(URGENCIES[key]))


TABLE_KEYS = ("pass_rate", "open_by_category", "open_by_contractor", "ageing", "rectification_times",
              "reopen_rates", "overdue_now", "planned_done", "inquiries_by_category", "sla_attainment",
              "satisfaction_trend")


async def filters_of(project_id: int, params: dict[str, Any]) -> Filters:
    """`stats.parse_filters`, and the building must be one of the project's (else 400 naming it)."""
    from server.errors import Invalid
    from server.reports.stats import parse_filters

    filters = parse_filters(project_id, params)
    if filters.building_id is not None and not await Building.exists().where(
            (Building.id == filters.building_id) & (Building.project == project_id)).run():
        raise Invalid(_("Please correct the marked fields."), field_errors={"building_id": _("Choose from the list.")})
    return filters


async def dashboard(filters: Filters, now: dt.datetime | None = None) -> dict:
    """Figures, names and tables for one set of filters."""
    found = await figures(filters, now)
    known = await names(filters.project_id, found)
    return {"figures": found, "names": known, "tables": tables(found, known)}


__all__ = ["dashboard", "filters_of", "figures", "tables", "names", "contractors", "percent", "TABLE_KEYS"]
