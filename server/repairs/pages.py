"""Repair pages: the owner's 报修 form and their requests (under /owner), the
CS center's repair list, its form for a phone, walk-in or paper request, and
a request's page with its warranty, photos, history and triage.

The owner's form works through the offline outbox like inspection defects
(static/js/repair.js puts it there, static/js/outbox.js sends it to the JSON
API); without JavaScript it posts here, multipart, and a refused form comes
back with the messages beside the fields and what was typed kept.
"""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.audit.services import audit_timeline
from server.clock import local_time, today
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _, lazy_gettext as _l
from server.org.access import unit_for
from server.org.pages import Form, done, page_of, typed
from server.pagination import rows_and_total
from server.org.tables import Building, Project, Unit
from server.photos.upload import receive_upload
from server.repairs import access, selectors, services, states, warranty
from server.repairs.job_reads import job_context
from server.repairs.pages_repair_item import repair_item
from server.repairs.tables import RepairRequest
from server.web.guards import allow, current_user
from server.web.templating import render

OWNER_WORDS = {
    warranty.WATERPROOFING: _l("Leak or damp (roof, bathroom, outer wall)"),
    warranty.PIPES_ELECTRICAL: _l("Water pipes, drains, wiring, sockets"),
    warranty.DECORATION: _l("Walls, floors, doors, windows, finishing"),
    warranty.HEATING: _l("Heating"),
    warranty.COOLING: _l("Air conditioning, cooling"),
    warranty.STRUCTURE: _l("Cracks in the structure, settling"),
}
"""The components in an owner's words, most asked-for first."""
ROOMS = (_l("Living room"), _l("Bedroom"), _l("Kitchen"), _l("Bathroom"), _l("Balcony"), _l("Entrance"))
FIELDS = ("client_id", "component", "location", "description", "preferred_times", "reported_on", "channel")
CS_ROLES = (roles.CS_STAFF, roles.ADMIN)
RECORDERS = (roles.CS_STAFF,)
"""Who records a phone, walk-in or paper request (`/repairs/new`)."""


def list_actions(user: Any) -> dict[str, bool]:
    """What the repair list offers this user: the same roles as the guards of those pages (a quality center
    user reads the list, and is shown no button whose page would refuse them)."""
    return {"record": user.role in RECORDERS, "qr": user.role in CS_ROLES, "settings": user.role in CS_ROLES}


def _form_fields(upload: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {name: upload.field(name) for name in FIELDS}
    fields["photo_client_ids"] = upload.fields.get("photo_client_id", [])
    fields["photo_captured_ats"] = upload.fields.get("photo_captured_at", [])
    return fields


def _errors(exc: Invalid) -> dict[str, str]:
    """The messages beside their fields; a refused photo (no field of its own) beside the photos."""
    return exc.field_errors or {"photos": exc.message}


async def repair_page(queries: tuple[Any, Any], limit: Any, offset: Any) -> dict[str, Any]:
    """One page of a repair list, for its template: {items, places, page, repair_item (its row)}. `queries` is (rows, count) from
    selectors.list_query or jobs_query; whatever the list's length, the same few queries: the page's rows,
    what they show (selectors.repairs_listed, which names their homes too) and the total, counted once."""
    rows, count = queries
    page = page_of(limit, offset)
    found, total, lower_bound = await rows_and_total(rows, count, page)
    items, places = await selectors.repairs_listed(found, photos=False)  # a list row shows none
    return {"items": items, "places": places, "repair_item": repair_item,
            "page": {"limit": page.limit, "offset": page.offset, "total": total, "total_is_lower_bound": lower_bound}}


async def _detail_context(repair: RepairRequest, link_token: str = "") -> dict[str, Any]:
    items, places = await selectors.repairs_listed([repair])
    history = list(reversed(await audit_timeline("repair", repair.id)))
    from server.repairs.closing_selectors import closing_of

    return {"repair": items[0], "place": places.get(repair.unit, {}), "history": history, "when": local_time,
            "closing": await closing_of(repair), "visit_followups": ("reopen", "escalate"),
            "labels": states.STATUS_LABELS, "urgencies": states.URGENCIES, "channels": states.CHANNELS,
            "components": warranty.COMPONENT_LABELS, **await job_context(repair, link_token=link_token)}


def _owner_form(request: Request, place: dict, *, form: dict, errors: dict, message: str | None,
                status_code: int = 200) -> Response:
    return render(request, "repairs/owner_form.html", status_code=status_code, place=place, form=form, errors=errors,
                  message=message, words=OWNER_WORDS, rooms=[str(r) for r in ROOMS], back="/owner")


class OwnerRepairPages(Controller):
    path = "/owner"
    guards = [allow(roles.OWNER)]

    @get("/units/{unit_id:int}/repairs/new")
    async def new(self, request: Request, unit_id: int) -> Response:
        await unit_for(current_user(request), unit_id)  # another owner's home: 404
        return _owner_form(request, await selectors.unit_place(unit_id), form={"client_id": str(uuid.uuid4())}, errors={},
                           message=None)

    @post("/units/{unit_id:int}/repairs")
    async def create(self, request: Request, unit_id: int) -> Response:
        user = current_user(request)
        await unit_for(user, unit_id)
        with await receive_upload(request) as upload:
            fields = _form_fields(upload)
            try:
                repair, _created = await services.repair_report(actor=user, unit_id=unit_id, fields=fields,
                                                                files=upload.files_for("photos"))
            except Invalid as exc:
                return _owner_form(request, await selectors.unit_place(unit_id), form=typed(
                    {k: v for k, v in fields.items() if isinstance(v, str)}), errors=_errors(exc),
                    message=exc.message, status_code=exc.status_code)
        return done(request, f"/owner/repairs/{repair.id}", _("Your repair request has been received."))

    @get("/repairs")
    async def mine(self, request: Request, limit: Any = None, offset: Any = None) -> Response:
        return render(request, "repairs/owner_list.html", back="/owner", **await repair_page(
            selectors.list_query(access.visible_repairs(current_user(request))), limit, offset))

    @get("/repairs/{repair_id:int}")
    async def detail(self, request: Request, repair_id: int) -> Response:
        repair = await access.repair_for(current_user(request), repair_id)
        return render(request, "repairs/detail.html", back="/owner/repairs", staff=False,
                      **await _detail_context(repair))


async def _building_choices(project_id: int | None = None) -> list[tuple[int, str]]:
    """Every building as "project · building" (the recording form), or one project's."""
    query = Building.select(Building.id, Building.name, Building.project.name.as_alias("project"))
    if project_id is not None:
        query = query.where(Building.project == project_id)
    rows = await query.order_by(Building.project).order_by(Building.id).run()
    return [(r["id"], f"{r['project']} · {r['name']}") for r in rows]


class StaffRepairPages(Controller):
    path = "/repairs"

    @get("/", guards=[allow(*CS_ROLES, roles.QUALITY_CENTER)])
    async def list_page(self, request: Request, status: str | None = None, project_id: str | None = None,
                        limit: Any = None, offset: Any = None) -> Response:
        chosen, project = selectors.list_params(status, project_id)
        listed = await repair_page(selectors.list_query(access.visible_repairs(current_user(request)),
                                                        status=chosen, project_id=project), limit, offset)
        projects = await Project.select(Project.id, Project.name).order_by(Project.name).run()
        params = {k: v for k, v in (("status", chosen), ("project_id", project)) if v}
        may = list_actions(current_user(request))
        return render(request, "repairs/list.html", labels=states.STATUS_LABELS, projects=projects,
                      status=chosen or "", project_id=project, params=params, may=may,
                      # The QR sheets of the chosen project's buildings: a large developer's 1,000 buildings
                      # made every list a 1,000-link page (bench/inspections.md).
                      buildings=await _building_choices(project) if may["qr"] and project else [], **listed)

    @get("/new", guards=[allow(*RECORDERS)])
    async def new(self, request: Request) -> Response:
        return await self._form(request, form={"reported_on": today().isoformat(), "channel": "phone",
                                               "client_id": str(uuid.uuid4())}, errors={}, message=None)

    async def _form(self, request: Request, *, form: dict, errors: dict, message: str | None,
                    status_code: int = 200) -> Response:
        return render(request, "repairs/staff_form.html", status_code=status_code, form=form, errors=errors,
                      message=message, buildings=await _building_choices(), components=warranty.COMPONENT_LABELS,
                      channels=[(c, states.CHANNELS[c]) for c in states.STAFF_CHANNELS], back="/repairs")

    @post("/new", guards=[allow(*RECORDERS)])
    async def create(self, request: Request) -> Response:
        user = current_user(request)
        with await receive_upload(request) as upload:
            fields = _form_fields(upload)
            kept = {k: v for k, v in fields.items() if isinstance(v, str)}
            kept.update(building_id=upload.field("building_id") or "", number=upload.field("number") or "")
            try:
                unit_id = await _unit_by_number(kept["building_id"], kept["number"])
                repair, _created = await services.repair_report(actor=user, unit_id=unit_id, fields=fields,
                                                                files=upload.files_for("photos"))
            except Invalid as exc:  # the staged photos go when the upload closes
                return await self._form(request, form=typed(kept), errors=_errors(exc), message=exc.message,
                                        status_code=exc.status_code)
        return done(request, f"/repairs/{repair.id}", _("The repair request is recorded."))

    @get("/buildings/{building_id:int}/qr", guards=[allow(*CS_ROLES)])
    async def qr_sheet(self, request: Request, building_id: int) -> Response:
        """A printable sheet: one QR code per unit of the building, each opening that unit's repair form."""
        from server.org.access import building_for
        from server.repairs.qr import building_sheet

        building = await building_for(current_user(request), building_id)
        project = await Project.objects().get(Project.id == building.project).run()
        return render(request, "repairs/qr_sheet.html", building=building, project=project,
                      codes=await building_sheet(building_id), back="/repairs")

    @get("/projects/{project_id:int}/settings", guards=[allow(*CS_ROLES)])
    async def settings_page(self, request: Request, project_id: int) -> Response:
        """A project's warranty periods (never shorter than the statutory ones), seasons and return-visit days."""
        from server.org.access import project_for
        from server.repairs.tables import RepairSettings

        project = await project_for(current_user(request), project_id)
        row = await RepairSettings.objects().get(RepairSettings.project == project_id).run()
        return render(request, "repairs/settings.html", project=project, back="/repairs", errors={}, message=None,
                      form={k: str(v) for k, v in services.settings_of(row).items()})

    @post("/projects/{project_id:int}/settings", guards=[allow(*CS_ROLES)])
    async def settings_save(self, request: Request, project_id: int, data: Form) -> Response:
        from server.org.access import project_for

        user = current_user(request)
        project = await project_for(user, project_id)
        try:
            await services.repair_settings_save(actor=user, project_id=project_id, fields=typed(data))
        except Invalid as exc:
            return render(request, "repairs/settings.html", status_code=400, project=project, back="/repairs",
                          errors=exc.field_errors, message=exc.message, form=typed(data))
        return done(request, f"/repairs/projects/{project_id}/settings", _("The warranty terms are saved."))

    @get("/{repair_id:int}", guards=[allow(*roles.STAFF)])
    async def detail(self, request: Request, repair_id: int) -> Response:
        repair = await access.repair_for(current_user(request), repair_id)
        return render(request, "repairs/detail.html", back="/repairs", staff=True, form={}, errors={},
                      **await _detail_context(repair))

    @post("/{repair_id:int}/triage", guards=[allow(*CS_ROLES)])
    async def triage(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await services.repair_triage(actor=user, repair=repair, component=data.get("component"),
                                         urgency=data.get("urgency"), survey_needed=data.get("survey_needed"))
        except (Invalid, Conflict, Forbidden) as exc:
            return render(request, "repairs/detail.html", status_code=exc.status_code, back="/repairs", staff=True,
                          form=typed(data), errors=exc.field_errors, message=exc.message,
                          **await _detail_context(repair))
        return done(request, f"/repairs/{repair_id}", _("Triaged."))


async def _unit_by_number(building_id: str, number: str) -> int:
    errors: dict[str, str] = {}
    building = int(building_id) if str(building_id).strip().isdigit() else None
    if building is None:
        errors["building_id"] = _("Choose a building.")
    if not str(number).strip():
        errors["number"] = _("Enter the unit number.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    row = await Unit.select(Unit.id).where((Unit.building == building) & (Unit.number == str(number).strip())
                                           ).first().run()
    if row is None:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"number": _("There is no such unit in this building.")})
    return row["id"]


REPAIR_PAGES = [OwnerRepairPages, StaffRepairPages]
