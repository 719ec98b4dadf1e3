"""Delivery pages for the CS center: batches, their readiness, owner accounts
and printed notices, time slots.

Forms are POST-redirect-GET (`done`); a bad form comes back 400 with the
messages beside the fields and what was typed.
"""
from __future__ import annotations


from litestar import Controller, Request, Response, get, post

from server import clock
from server.clock import local_time
from server.delivery import access, batches, day, owner_codes
from server.delivery.tables import DeliveryBatch
from server.errors import Invalid
from server.i18n import _, join_list
from server.org import access as org_access
from server.org.pages import Form, done, form_date, opt_int, page_of, paged_rows, typed
from server.org.tables import Building, Project
from server.web.flash import flash
from server.web.guards import allow, current_user
from server.web.templating import is_htmx, render


async def _choices() -> dict:
    projects = await Project.select(Project.id, Project.name).order_by(Project.name).run()
    buildings = await Building.select(Building.id, Building.name, Building.project.name.as_alias("project")).order_by(
        Building.project).order_by(Building.name).run()
    return {"projects": [(p["id"], p["name"]) for p in projects],
            "buildings": [(b["id"], f"{b['project']} · {b['name']}") for b in buildings]}


class DeliveryPages(Controller):
    path = "/delivery"

    @get("/", guards=[allow(*access.READERS)])
    async def batch_list(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        query = DeliveryBatch.select(
            DeliveryBatch.all_columns(), DeliveryBatch.project.name.as_alias("project_name")).order_by(
            DeliveryBatch.starts_on, ascending=False).order_by(DeliveryBatch.id, ascending=False)
        listed = await paged_rows(query, DeliveryBatch.count(), page_of(limit, offset))
        return render(request, "delivery/batch_list.html", block="list" if is_htmx(request) else None,
                      batches=listed, may_organise=current_user(request).role in access.ORGANISERS)

    @get("/batches/new", guards=[allow(*access.ORGANISERS)])
    async def batch_new(self, request: Request, project: str | None = None) -> Response:
        return render(request, "delivery/batch_form.html", form={"project_id": project or ""}, errors={},
                      message=None, **await _choices())

    @post("/batches", guards=[allow(*access.ORGANISERS)])
    async def batch_create(self, request: Request, data: Form) -> Response:
        errors: dict[str, str] = {}
        project_id, building_id = opt_int(data.get("project_id")), opt_int(data.get("building_id"))
        if building_id is not None:
            building = await Building.objects().get(Building.id == building_id).run()
            project_id = building.project if building else project_id
        starts, ends = form_date(data.get("starts_on"), "starts_on", errors), form_date(data.get("ends_on"), "ends_on", errors)
        if project_id is None:
            errors["project_id"] = _("Choose a project.")
        try:
            if errors:
                raise Invalid(_("Please correct the marked fields."), field_errors=errors)
            await org_access.project_for(current_user(request), project_id)
            batch, count = await batches.batch_create(
                actor=current_user(request), project_id=project_id, name=str(data.get("name") or ""),
                starts_on=starts, ends_on=ends, place=str(data.get("place") or ""),
                what_to_bring=str(data.get("what_to_bring") or ""), building_id=building_id)
        except Invalid as exc:
            return render(request, "delivery/batch_form.html", block="form", status_code=400, form=typed(data),
                          errors=exc.field_errors, message=exc.message, **await _choices())
        created = _("Delivery batch created with %(n)s units.", n=count)
        warning = batches.preparation_warning(batch.starts_on)
        if warning:
            return flash(done(request, f"/delivery/batches/{batch.id}", created), f"{created} {warning}", "warning")
        return done(request, f"/delivery/batches/{batch.id}", created)

    @get("/batches/{batch_id:int}", guards=[allow(*access.READERS)])
    async def batch_detail(self, request: Request, batch_id: int, show: str | None = None,
                           limit: str | None = None, offset: str | None = None) -> Response:
        user = current_user(request)
        batch = await access.batch_for(user, batch_id)
        units = await batches.batch_units(batch_id)  # all of them: the counts need every unit's readiness
        shown = [u for u in units if not u["ready"]] if show == "not_ready" else units
        # What needs action first: units not ready, then ready ones, delivered last.
        shown = sorted(shown, key=lambda u: (bool(u["ready"]), bool(u.get("delivered"))))
        slots = await day.slots_of(batch_id)
        for slot in slots:
            slot["day"] = local_time(slot["starts_at"], "%Y-%m-%d")
        page = page_of(limit, offset)
        listed = {"rows": shown[page.offset:page.offset + page.limit], "total": len(shown), "limit": page.limit,
                  "offset": page.offset}
        return render(request, "delivery/batch_detail.html", block="readiness" if is_htmx(request) else None,
                      batch=batch, units=listed, show=show or "",
                      total=len(units), ready=sum(u["ready"] for u in units),
                      project=await Project.objects().get(Project.id == batch.project).run(),
                      procedure=await batches.preparation_of(batch_id), slots=slots,
                      owners=await batches.owner_count(batch_id),
                      may_organise=user.role in access.ORGANISERS, slot_form={}, slot_errors={}, when=local_time,
                      today=clock.today())

    @post("/batches/{batch_id:int}/owners", guards=[allow(*access.ORGANISERS)])
    async def owners(self, request: Request, batch_id: int) -> Response:
        user = current_user(request)
        await access.batch_for(user, batch_id)
        result = await batches.owners_setup(actor=user, batch_id=batch_id)
        message = _("Owner accounts: %(made)s made, %(linked)s units linked.", made=result["accounts_made"],
                    linked=result["units_linked"])
        if result["units_without_mobile"]:
            numbers = join_list(u["number"] for u in result["units_without_mobile"][:10])
            message += " " + _("No owner mobile number in the contract of: %(units)s.", units=numbers)
        return done(request, f"/delivery/batches/{batch_id}", message)

    @get("/batches/{batch_id:int}/notices", guards=[allow(*access.ORGANISERS)])
    async def notices(self, request: Request, batch_id: int) -> Response:
        """One printable notice per owner with a working code; issuing codes is the POST below."""
        batch = await access.batch_for(current_user(request), batch_id)
        notices = await owner_codes.notices_for_batch(batch_id)
        return render(request, "delivery/notices.html", batch=batch,
                      project=await Project.objects().get(Project.id == batch.project).run(),
                      notices=[n for n in notices if n["code"]],
                      to_issue=[n for n in notices if owner_codes.still_to_issue(n)],
                      signed_in=[n for n in notices if not n["code"] and n["signed_in_at"]], when=local_time)

    @post("/batches/{batch_id:int}/notices", guards=[allow(*access.ORGANISERS)])
    async def notices_issue(self, request: Request, batch_id: int) -> Response:
        """The print button: codes for the owners who have none yet, then the notices to print."""
        user = current_user(request)
        await access.batch_for(user, batch_id)
        issued = await owner_codes.issue_missing(actor=user, batch_id=batch_id)
        message = (_("Sign-in codes issued for %(n)s owners.", n=issued) if issued
                   else _("No code issued: every owner has a working code or has already signed in."))
        return done(request, f"/delivery/batches/{batch_id}/notices", message)

    @post("/batches/{batch_id:int}/units/{unit_id:int}/new-code", guards=[allow(*access.ORGANISERS)])
    async def new_code(self, request: Request, batch_id: int, unit_id: int) -> Response:
        """A lost notice: a new code for the unit's owner(s); the old one stops working at once."""
        user = current_user(request)
        await access.batch_for(user, batch_id)
        owners = await batches.owners_of_batch(batch_id, unit_id)
        if not owners:
            raise access._not_found()
        for owner in owners:
            await owner_codes.issue(actor=user, user_id=owner["user"], unit_id=unit_id)
        return done(request, f"/delivery/batches/{batch_id}/notices#unit-{unit_id}",
                    _("New sign-in code issued; the old one no longer works. Print this notice again."))

    @post("/batches/{batch_id:int}/slots", guards=[allow(*access.ORGANISERS)])
    async def slots_add(self, request: Request, batch_id: int, data: Form) -> Response:
        user = current_user(request)
        batch = await access.batch_for(user, batch_id)
        errors: dict[str, str] = {}
        when = form_date(data.get("day"), "day", errors)
        try:
            if errors:
                raise Invalid(_("Please correct the marked fields."), field_errors=errors)
            made = await day.slots_generate(actor=user, batch=batch, day=when, start=str(data.get("start") or ""),
                                            end=str(data.get("end") or ""), minutes=data.get("minutes"),
                                            capacity=data.get("capacity"))
        except Invalid as exc:
            return render(request, "delivery/batch_detail.html", block="slot_form", status_code=400, batch=batch,
                          slot_form=typed(data), slot_errors=exc.field_errors, message=exc.message)
        return done(request, f"/delivery/batches/{batch_id}#slots", _("%(n)s time slots added.", n=made))


DELIVERY_PAGES = [DeliveryPages]
