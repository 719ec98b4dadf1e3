"""Inspection plans and the schedule (验收计划进度表): planned against done, per day and per building."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.audit.services import audit_record, audit_records
from server.db import write_transaction
from server.errors import Invalid, NotFound
from server.i18n import _
from server.inspections.checklists import templates_for_units
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
    """Schedule these units on a day: one planned inspection each; how many
    were added. Units that already have an inspection in this plan are left as
    they are. All or nothing, in one transaction and a fixed number of queries
    however many units."""
    from server.inspections.services import inspector_check

    if not plan.starts_on <= scheduled_for <= plan.ends_on:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"scheduled_for": _("Choose a day within the plan's dates.")})
    async with write_transaction():
        units = await Unit.objects().where(
            Unit.id.is_in(unit_ids or [-1]) & Unit.building.is_in(
                Building.select(Building.id).where(Building.project == plan.project))).run()
        if len(units) != len(set(unit_ids)) or not unit_ids:
            raise Invalid(_("Please correct the marked fields."),
                          field_errors={"unit_ids": _("Choose units of this plan's project.")})
        await inspector_check(inspector_id)
        inspected = await Inspection.select(Inspection.unit, Inspection.plan, Inspection.kind, Inspection.status).where(
            Inspection.unit.is_in(list(set(unit_ids)))).run()
        # A cancelled plan or the owner's walkthrough does not make the next one a repeat (services.counts_as_earlier).
        earlier = {r["unit"] for r in inspected if r["kind"] == "acceptance" and r["status"] != "cancelled"}
        already = {r["unit"] for r in inspected if r["plan"] == plan.id}
        new = sorted((u for u in units if u.id not in already), key=lambda u: u.id)
        templates = await templates_for_units(new) if new else {}
        rows = await Inspection.insert(*[
            Inspection(unit=u.id, inspector=inspector_id, scheduled_for=scheduled_for, plan=plan.id,
                       is_first=u.id not in earlier, kind="acceptance", template=templates[u.id].id)
            for u in new]).returning(Inspection.id, Inspection.unit).run() if new else []
        await audit_records(actor=actor, object_type="inspection", action="create", to_state="planned",
                            entries=[(r["id"], {"unit_id": r["unit"]}) for r in rows])
        await audit_record(actor=actor, object_type="inspection_plan", object_id=plan.id, action="units_add",
                           details={"created": len(rows), "day": scheduled_for.isoformat()})
    return len(rows)


def _percent(done: int, planned: int) -> int:
    return round(100 * done / planned) if planned else 0


async def plan_schedule(plan: InspectionPlan) -> dict:
    """Planned and done per day and per building, with progress in %: two
    grouped queries (planned and done counted in one pass each)."""
    done_list = ", ".join(f"'{status}'" for status in DONE)
    by_day = await Inspection.raw(
        'SELECT "scheduled_for" AS day, COUNT(*) AS planned, '
        f'SUM(CASE WHEN "status" IN ({done_list}) THEN 1 ELSE 0 END) AS done '
        'FROM "inspection" WHERE "plan" = {} GROUP BY "scheduled_for"', plan.id).run()
    names = {r["id"]: r["name"] for r in await Building.select(Building.id, Building.name).where(
        Building.project == plan.project).run()}
    # A plan holds units of its project only (plan_add_units, services._inspection_create). Naming the
    # project's buildings lets PostgreSQL find the plan's units through unit_building, where a join to
    # `building` read all 100,000 units (16 ms a schedule, bench/results/inspections.md).
    by_building = await Inspection.raw(
        'SELECT "unit"."building" AS building, COUNT(*) AS planned, '
        f'SUM(CASE WHEN "inspection"."status" IN ({done_list}) THEN 1 ELSE 0 END) AS done '
        'FROM "inspection" JOIN "unit" ON "unit"."id" = "inspection"."unit" '
        f'WHERE "inspection"."plan" = {{}} AND "unit"."building" IN ({", ".join(map(str, names))}) '
        'GROUP BY "unit"."building"', plan.id).run() if names else []
    for row in by_building:
        row["name"] = names[row["building"]]
    days = [{"date": _as_date(r["day"]), "planned": r["planned"], "done": int(r["done"] or 0),
             "percent": _percent(int(r["done"] or 0), r["planned"])}
            for r in sorted(by_day, key=lambda r: (r["day"] is None, str(r["day"] or "")))]
    buildings = [{"building_id": r["building"], "name": r["name"], "planned": r["planned"],
                  "done": int(r["done"] or 0), "percent": _percent(int(r["done"] or 0), r["planned"])}
                 for r in sorted(by_building, key=lambda r: r["name"])]
    total_planned = sum(d["planned"] for d in days)
    total_done = sum(d["done"] for d in days)
    return {"plan_id": plan.id, "days": days, "buildings": buildings,
            "total": {"planned": total_planned, "done": total_done, "percent": _percent(total_done, total_planned)}}


def _as_date(value: Any) -> dt.date | None:
    """Raw SQLite rows may carry the date as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
