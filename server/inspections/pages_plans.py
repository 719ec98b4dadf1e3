"""验收计划进度表 for planners (CS staff, admin): plans per project, adding
units by building and floor range, and the schedule (planned against done).

Forms are POST-redirect-GET (`done`), a bad form comes back 400 with the
messages beside the fields and what was typed (`invalid`).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from piccolo.query.functions.aggregate import Count

from server import clock
from server.errors import Invalid
from server.i18n import _, ngettext
from server.inspections import access, plans, services
from server.inspections.pages_common import buildings_of, inspector_choices, project_choices
from server.inspections.tables import Inspection, InspectionPlan
from server.org import access as org_access
from server.org.pages import Form, done, form_date, opt_int, page_of, paged_rows, typed
from server.org.tables import Unit
from server.web.guards import allow
from server.web.templating import render


def _int(value: Any, field: str, errors: dict[str, str], message: str) -> int | None:
    number = opt_int(value)
    if number is None:
        errors[field] = message
    return number


def _refuse(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


async def _progress(plan_ids: list[int]) -> dict[int, dict]:
    """Planned and done per plan, for the list: two grouped queries."""
    if not plan_ids:
        return {}
    in_plans = Inspection.plan.is_in(plan_ids)
    planned = {r["plan"]: r["n"] for r in await Inspection.select(Inspection.plan, Count(alias="n")).where(
        in_plans).group_by(Inspection.plan).run()}
    finished = {r["plan"]: r["n"] for r in await Inspection.select(Inspection.plan, Count(alias="n")).where(
        in_plans & Inspection.status.is_in(list(plans.DONE))).group_by(Inspection.plan).run()}
    return {pid: {"planned": planned.get(pid, 0), "done": finished.get(pid, 0),
                  "percent": round(100 * finished.get(pid, 0) / planned[pid]) if planned.get(pid) else 0}
            for pid in plan_ids}


class PlanPages(Controller):
    path = "/inspection-plans"
    guards = [allow(*access.PLANNERS)]
    include_in_schema = False

    @get("/")
    async def plan_list(self, request: Request, project_id: str | None = None, limit: str | None = None,
                        offset: str | None = None) -> Response:
        projects = await project_choices()
        chosen = opt_int(project_id)
        if chosen is None and projects:
            chosen = projects[0][0]
        where = InspectionPlan.project == chosen if chosen is not None else InspectionPlan.id.is_null()
        rows = await paged_rows(InspectionPlan.objects().where(where).order_by(InspectionPlan.starts_on,
                                                                                ascending=False),
                                InspectionPlan.count().where(where), page_of(limit, offset))
        return render(request, "inspections/plan_list.html", block="list", projects=projects, project_id=chosen,
                      plans=rows, progress=await _progress([p.id for p in rows["rows"]]))

    @get("/new")
    async def plan_new(self, request: Request, project_id: str | None = None) -> Response:
        today = clock.today()
        form = {"project_id": project_id or "", "starts_on": today.isoformat(),
                "ends_on": (today + dt.timedelta(days=13)).isoformat()}
        return render(request, "inspections/plan_form.html", form=form, errors={},
                      projects=await project_choices())

    @post("/")
    async def plan_create(self, request: Request, data: Form) -> Response:
        user = request.scope["user"]
        try:
            errors: dict[str, str] = {}
            project_id = _int(data.get("project_id"), "project_id", errors, _("Choose a project."))
            starts_on = form_date(data.get("starts_on"), "starts_on", errors)
            ends_on = form_date(data.get("ends_on"), "ends_on", errors)
            if errors:
                raise _refuse(errors)
            await org_access.project_for(user, project_id)
            plan = await services.plan_create(actor=user, project_id=project_id, name=data.get("name", ""),
                                              starts_on=starts_on, ends_on=ends_on)
        except Invalid as exc:
            return render(request, "inspections/plan_form.html", block="form", status_code=400, form=typed(data),
                          errors=exc.field_errors, message=exc.message, projects=await project_choices())
        return done(request, f"/inspection-plans/{plan.id}", _("Plan created. Now add the units to inspect."))

    @get("/{plan_id:int}")
    async def plan_schedule(self, request: Request, plan_id: int) -> Response:
        plan = await plans.plan_get(plan_id)
        return await self._schedule_page(request, plan, block="schedule")

    async def _schedule_page(self, request: Request, plan: InspectionPlan, *, block: str | None,
                             status_code: int = 200, **form_context: Any) -> Response:
        project = await org_access.project_for(request.scope["user"], plan.project)
        today = clock.today()
        day = today if plan.starts_on <= today <= plan.ends_on else plan.starts_on
        context = {"form": {"scheduled_for": day.isoformat()}, "errors": {}, "message": None, **form_context}
        return render(request, "inspections/plan_schedule.html", block=block, status_code=status_code, plan=plan,
                      project=project, schedule=await plans.plan_schedule(plan),
                      building_choices=await buildings_of(project.id),
                      inspector_choices=await inspector_choices(), today=today, **context)

    @post("/{plan_id:int}/units")
    async def plan_add_units(self, request: Request, plan_id: int, data: Form) -> Response:
        """Building + floors from..to + day + inspector -> that range's units, scheduled."""
        plan = await plans.plan_get(plan_id)
        user = request.scope["user"]
        try:
            errors: dict[str, str] = {}
            building_id = _int(data.get("building_id"), "building_id", errors, _("Choose a building."))
            floor_from = _int(data.get("floor_from"), "floor_from", errors, _("Enter a floor number."))
            floor_to = _int(data.get("floor_to"), "floor_to", errors, _("Enter a floor number."))
            day = form_date(data.get("scheduled_for"), "scheduled_for", errors)
            inspector_id = opt_int(data.get("inspector_id"))
            if floor_from is not None and floor_to is not None and floor_to < floor_from:
                errors["floor_to"] = _("The last floor must not be below the first.")
            if errors:
                raise _refuse(errors)
            building = await org_access.building_for(user, building_id)
            if building.project != plan.project:
                raise _refuse({"building_id": _("Choose a building of this plan's project.")})
            units = await Unit.select(Unit.id).where(
                (Unit.building == building.id) & (Unit.floor >= floor_from) & (Unit.floor <= floor_to)).run()
            if not units:
                raise _refuse({"floor_from": _("This building has no units on these floors.")})
            created = await plans.plan_add_units(actor=user, plan=plan, unit_ids=[u["id"] for u in units],
                                                 scheduled_for=day, inspector_id=inspector_id)
        except Invalid as exc:
            errors = dict(exc.field_errors)
            if "unit_ids" in errors:  # the service speaks of units; the form of floors
                errors["floor_from"] = errors.pop("unit_ids")
            return await self._schedule_page(request, plan, block="form", status_code=400, form=typed(data),
                                             errors=errors, message=exc.message)
        if created:
            message = ngettext("%(num)s unit added to the plan.", "%(num)s units added to the plan.", created)
        else:
            message = _("No new units: these are already in the plan.")
        return done(request, f"/inspection-plans/{plan.id}", message)
