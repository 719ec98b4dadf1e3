"""Reading repairs: delivery days, warranty terms, the API shape of a request.

The delivery day of a home is, in this order: the day its owner signed the
delivery confirmation (server/delivery, read only), the day the keys went to
the owner where there was no confirmation (server/handover, read only), or the
day recorded for a home delivered before this software (`RecordedDelivery`).
Each reader here takes many units at once: a list costs the same few queries
for 1 row or 50.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from server.clock import CHINA
from server.inspections.selectors import photos_by_subject
from server.org.tables import Building, Unit
from server.repairs import states, warranty
from server.repairs.access import standing_jobs
from server.repairs.job_tables import RepairAssignment
from server.repairs.tables import RecordedDelivery, RepairRequest, RepairSettings


def _china_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA).date()


DELIVERY_SOURCES = """
SELECT 1 AS source, unit, created_at AS at, CAST(NULL AS DATE) AS day FROM delivery_confirmation
 WHERE unit IN ({units}) AND corrects IS NULL
UNION ALL
SELECT 2, unit, created_at, CAST(NULL AS DATE) FROM key_handover
 WHERE unit IN ({units}) AND "to" = 'owner' AND corrects IS NULL
UNION ALL
SELECT 3, unit, CAST(NULL AS TIMESTAMPTZ), delivered_on FROM recorded_delivery WHERE unit IN ({units})
"""
"""Every record of the units that can give their delivery day, in one query (a list page reads it for
each of its rows' homes): 1 the delivery confirmation (not a correction of it), 2 the keys given to
the owner (not a correction), 3 the day recorded for a home delivered before this software."""


def _moment(value: Any) -> dt.datetime:
    # SQLite gives the timestamp of a UNION's later branches as its stored text.
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def delivery_days(unit_ids: Iterable[int]) -> dict[int, dt.date]:
    """unit id → delivery day, for the units that have one (one query, whatever the count): the day
    the owner signed the delivery confirmation, else the day the keys went to the owner, else the day
    recorded for a home delivered before this software (module doc)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    found: dict[int, dict[int, dt.date]] = {1: {}, 2: {}, 3: {}}  # source → unit → its earliest day
    marks = ", ".join(["{}"] * len(ids))
    for row in await RecordedDelivery.raw(DELIVERY_SOURCES.format(units=marks), *ids, *ids, *ids).run():
        day = _day(row["day"]) if row["source"] == 3 else _china_day(_moment(row["at"]))
        days = found[row["source"]]
        days[row["unit"]] = min(day, days.get(row["unit"], day))
    return {**found[3], **found[2], **found[1]}  # the first source a home has wins


async def delivery_day(unit_id: int) -> dt.date | None:
    return (await delivery_days([unit_id])).get(unit_id)


def _terms(row: dict | None) -> warranty.Terms:
    if row is None:
        return warranty.DEFAULT_TERMS
    return warranty.Terms(
        years={warranty.STRUCTURE: row["structure_years"], warranty.WATERPROOFING: row["waterproofing_years"],
               warranty.PIPES_ELECTRICAL: row["pipes_electrical_years"], warranty.DECORATION: row["decoration_years"]},
        seasons={warranty.HEATING: row["heating_seasons"], warranty.COOLING: row["cooling_seasons"]},
        heating_season=warranty.Season.parse(row["heating_start"], row["heating_end"]),
        cooling_season=warranty.Season.parse(row["cooling_start"], row["cooling_end"]))


async def unit_places(unit_ids: Iterable[int]) -> dict[int, dict]:
    """unit id → where the home is: {id, number, building, project (names), project_id}, in one query.
    Every repair page names its homes through here (a list, a request's page, a form)."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    rows = await Unit.select(Unit.id, Unit.number, Unit.building.name.as_alias("building"),
                             Unit.building.project.as_alias("project_id"),
                             Unit.building.project.name.as_alias("project")).where(Unit.id.is_in(ids)).run()
    return {row["id"]: row for row in rows}


async def unit_place(unit_id: int) -> dict:
    """One home's place (`unit_places`); {} for a unit that does not exist."""
    return (await unit_places([unit_id])).get(unit_id, {})


async def unit_projects(unit_ids: Iterable[int]) -> dict[int, int]:
    return {unit: place["project_id"] for unit, place in (await unit_places(unit_ids)).items()}


async def _settings_of_projects(project_ids: Iterable[int]) -> dict[int, dict]:
    """project id → its repair_settings row (projects that set none are missing), in one query."""
    ids = sorted(set(project_ids))
    rows = await RepairSettings.select().where(RepairSettings.project.is_in(ids)).run() if ids else []
    return {row["project"]: row for row in rows}


async def _settings_of_units(unit_ids: Iterable[int]) -> tuple[dict[int, int], dict[int, dict]]:
    """(unit id → project id, project id → its repair_settings row) in two queries."""
    projects = await unit_projects(unit_ids)
    return projects, await _settings_of_projects(projects.values())


def _terms_of(projects: dict[int, int], settings: dict[int, dict]) -> dict[int, warranty.Terms]:
    by_project = {project: _terms(row) for project, row in settings.items()}
    return {unit: by_project.get(project, warranty.DEFAULT_TERMS) for unit, project in projects.items()}


async def warranty_terms(unit_ids: Iterable[int]) -> dict[int, warranty.Terms]:
    """unit id → its project's warranty terms (the statutory ones where the project set none)."""
    return _terms_of(*await _settings_of_units(unit_ids))


async def repairs_listed(repairs: list[RepairRequest] | list[dict], *, photos: bool = True
                         ) -> tuple[list[dict], dict[int, dict]]:
    """(the API shape of each repair, unit id → its place) in a fixed number of queries: a list page names
    its homes with the places read to find their projects (warranty terms, SLA hours), at no extra query.
    `photos=False` (a list page's rows, which show none): the shape without its "photos"."""
    rows = [r if isinstance(r, dict) else r.to_dict() for r in repairs]
    unit_ids = [row["unit"] for row in rows]
    days = await delivery_days(unit_ids)
    places = await unit_places(unit_ids)
    projects = {unit: place["project_id"] for unit, place in places.items()}
    settings = await _settings_of_projects(projects.values())  # read once, for the warranty and the SLA clock
    terms = _terms_of(projects, settings)
    shown = await photos_by_subject("repair", [row["id"] for row in rows]) if photos else None
    from server.repairs.sla import overdue_of

    late = await overdue_of(rows, projects=projects, settings=settings)
    items = [{**_out(row, days.get(row["unit"]), terms.get(row["unit"], warranty.DEFAULT_TERMS),
                     shown.get(row["id"], []) if shown is not None else None),
              "overdue": (late.get(row["id"]) or {}).get("stage")} for row in rows]
    return items, places


async def repairs_out(repairs: list[RepairRequest] | list[dict]) -> list[dict]:
    """The API shape of each repair (module doc), in a fixed number of queries."""
    return (await repairs_listed(repairs))[0]


def _out(row: dict, delivered_on: dt.date | None, terms: warranty.Terms, photos: list | None) -> dict[str, Any]:
    """The API's repair; without "photos" when `photos` is None (not read)."""
    import msgspec

    decision = warranty.decide(row["component"], delivered_on, row["reported_on"], terms)
    out = {
        "id": row["id"], "client_id": str(row["client_id"]) if row["client_id"] else None, "unit_id": row["unit"],
        "status": row["status"], "status_label": str(states.STATUS_LABELS.get(row["status"], row["status"])),
        "component": row["component"], "component_label": str(warranty.COMPONENT_LABELS[row["component"]]),
        "location": row["location"], "description": row["description"],
        "reported_on": row["reported_on"].isoformat(), "reported_by_id": row["reported_by"],
        "channel": row["channel"], "preferred_times": row["preferred_times"], "urgency": row["urgency"] or None,
        "survey_needed": row["survey_needed"], "created_at": row["created_at"].isoformat(),
        "warranty": decision.as_api(),
    }
    if photos is not None:
        out["photos"] = [msgspec.to_builtins(photo) for photo in photos]
    return out


async def repair_out(repair: RepairRequest) -> dict[str, Any]:
    return (await repairs_out([repair]))[0]


def list_params(status: str | None, project_id: str | None) -> tuple[str | None, int | None]:
    """The repair list's query string read (also by its Excel download, server/reports/): an unknown
    status or a project that is not a number means all."""
    return (status if status in states.STATUSES else None,
            int(project_id) if (project_id or "").isdigit() else None)


def list_where(where: Any, *, status: str | None = None, project_id: int | None = None) -> Any:
    """`where` (what the caller may see) narrowed to a status and a project."""
    condition = where
    if status:
        condition = condition & (RepairRequest.status == status)
    if project_id:
        condition = condition & RepairRequest.unit.is_in(
            Unit.select(Unit.id).where(Unit.building.is_in(Building.select(Building.id).where(
                Building.project == project_id))))
    return condition


def list_query(where: Any, *, status: str | None = None, project_id: int | None = None) -> tuple[Any, Any]:
    """(rows, count) queries for a list of repairs, newest first."""
    condition = list_where(where, status=status, project_id=project_id)
    rows = RepairRequest.select().where(condition).order_by(RepairRequest.id, ascending=False)
    return rows, RepairRequest.count().where(condition)


def jobs_query(party_id: int | None) -> tuple[Any, Any]:
    """(rows, count) queries for a repair unit's job list, newest first: the rows as `list_query` gives them
    for the unit's users, the total counted on the unit's standing assignments (their own index), not by
    matching every request against them."""
    if not party_id:
        return list_query(RepairRequest.id.is_null())
    rows, _count = list_query(RepairRequest.id.is_in(RepairAssignment.select(RepairAssignment.repair).where(
        standing_jobs(party_id))))
    return rows, RepairAssignment.count().where(standing_jobs(party_id))
