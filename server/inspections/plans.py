"""Inspection plans and the schedule (验收计划进度表): planned against done, per day and per building."""
from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Invalid, NotFound
from server.i18n import _
from server.inspections.tables import Inspection, InspectionPlan
from server.org.tables import Building, Unit

DONE = ("rectifying", "passed")
"""An inspection is done once it is completed, whatever it found."""


async def plan_get(plan_id: int) -> InspectionPlan:
    plan = await InspectionPlan.objects().get(InspectionPlan.id == plan_id).run()
    if plan is None:
        raise NotFound(_("The page or record was not found."))
    return plan


async def plan_add_units(*, actor: Any, plan: InspectionPlan, unit_ids: list[int], scheduled_for: dt.date,
                         inspector_id: int | None) -> int:
    """Schedule these units on a day: one planned inspection each. Units that
    already have an inspection in this plan are left as they are."""
    from server.inspections.services import inspection_create

    if not plan.starts_on <= scheduled_for <= plan.ends_on:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"scheduled_for": _("Choose a day within the plan's dates.")})
    units = await Unit.select(Unit.id).where(
        Unit.id.is_in(unit_ids or [-1]) & Unit.building.is_in(
            Building.select(Building.id).where(Building.project == plan.project))).run()
    if len(units) != len(set(unit_ids)) or not unit_ids:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"unit_ids": _("Choose units of this plan's project.")})
    already = {r["unit"] for r in await Inspection.select(Inspection.unit).where(
        (Inspection.plan == plan.id) & Inspection.unit.is_in(unit_ids)).run()}
    created = 0
    for unit_id in sorted(set(unit_ids) - already):
        await inspection_create(actor=actor, unit_id=unit_id, inspector_id=inspector_id, scheduled_for=scheduled_for,
                                plan_id=plan.id)
        created += 1
    async with write_transaction():
        await audit_record(actor=actor, object_type="inspection_plan", object_id=plan.id, action="units_add",
                           details={"created": created, "day": scheduled_for.isoformat()})
    return created


def _percent(done: int, planned: int) -> int:
    return round(100 * done / planned) if planned else 0


async def plan_schedule(plan: InspectionPlan) -> dict:
    """Planned and done per day and per building, with progress in %: four grouped queries."""
    in_plan = Inspection.plan == plan.id
    done = in_plan & Inspection.status.is_in(list(DONE))
    day = Inspection.scheduled_for
    planned_by_day = {r["scheduled_for"]: r["count"] for r in await Inspection.select(
        day, Count(alias="count")).where(in_plan).group_by(day).run()}
    done_by_day = {r["scheduled_for"]: r["count"] for r in await Inspection.select(
        day, Count(alias="count")).where(done).group_by(day).run()}
    building = Inspection.unit.building
    planned_by_building = {r["unit.building"]: r["count"] for r in await Inspection.select(
        building, Count(alias="count")).where(in_plan).group_by(building).run()}
    done_by_building = {r["unit.building"]: r["count"] for r in await Inspection.select(
        building, Count(alias="count")).where(done).group_by(building).run()}
    names = {r["id"]: r["name"] for r in await Building.select(Building.id, Building.name).where(
        Building.id.is_in(list(planned_by_building) or [-1])).run()}
    days = [{"date": d, "planned": n, "done": done_by_day.get(d, 0), "percent": _percent(done_by_day.get(d, 0), n)}
            for d, n in sorted(planned_by_day.items(), key=lambda kv: (kv[0] is None, kv[0]))]
    buildings = [{"building_id": b, "name": names.get(b, ""), "planned": n, "done": done_by_building.get(b, 0),
                  "percent": _percent(done_by_building.get(b, 0), n)}
                 for b, n in sorted(planned_by_building.items(), key=lambda kv: names.get(kv[0], ""))]
    total_planned, total_done = sum(planned_by_day.values()), sum(done_by_day.values())
    return {"plan_id": plan.id, "days": days, "buildings": buildings,
            "total": {"planned": total_planned, "done": total_done, "percent": _percent(total_done, total_planned)}}
