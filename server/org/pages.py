"""Admin pages for the organisation: projects, buildings, unit types, units, parties.

Every form is POST-redirect-GET: success answers 303 (or `HX-Redirect` for
htmx) with a flash message; bad input re-renders the form with status 400,
each message beside its field and everything typed kept. A form's template
has a `form` block, so an htmx submit gets back only the form. Lists page
with ?limit=&offset= and answer just their list block to htmx.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from litestar_htmx import ClientRedirect
from piccolo.query.functions.aggregate import Count

from server.accounts import roles
from server.reference_cache import reference_by_id
from server.errors import Invalid
from server.i18n import _, ngettext
from server.i18n import lazy_gettext as _l
from server.inspections import trades
from server.inspections.default_checklist import CATEGORIES
from server.org import access, selectors, services
from server.org.pages_unit_tiles import floors_of_tiles
from server.org.tables import PARTY_KINDS, Building, Party, Project, Unit, UnitType
from server.pagination import Page
from server.web.flash import flash
from server.web.guards import allow
from server.web.templating import is_htmx, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

PAGE_SIZE = 20          # rows per page on a phone-sized list
UNITS_PAGE_SIZE = 60    # units per page on a building (a few floors' worth)
CHOICES_LIMIT = 500     # most options offered in one <select>

PARTY_KIND_LABELS = {
    "construction_unit": _l("Construction unit"),
    "supervision_unit": _l("Supervision unit"),
    "repair_unit": _l("Repair unit"),
    "property_company": _l("Property company"),
    "department": _l("Department"),
}
assert set(PARTY_KIND_LABELS) == set(PARTY_KINDS)

# ---------------------------------------------------------------- shared helpers (also used by accounts.admin_pages)

def typed(data: dict[str, Any]) -> dict[str, str]:
    """What the user typed, as strings, to put back into a re-rendered form."""
    return {k: (v[-1] if isinstance(v, list) else str(v)) for k, v in data.items() if k != "_csrf_token"}


def opt_int(value: Any) -> int | None:
    """A select's value: blank (or junk) means none chosen."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def form_date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    """A date input's value (YYYY-MM-DD), or a message beside the field in `errors`."""
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = _("Enter a date.")
        return None


def done(request: Request, url: str, message: str) -> Response:
    """After a successful form: go to `url` with a flash message (303, or HX-Redirect for htmx)."""
    if is_htmx(request):
        response: Response = ClientRedirect(url)
        response.status_code = 200  # not the POST default 201: htmx acts on HX-Redirect of a 200
    else:
        response = Redirect(path=url, status_code=303)
    return flash(response, message)


def invalid(request: Request, template: str, exc: Invalid, data: dict[str, Any], **context: Any) -> Response:
    """The form again, status 400, with the messages and what was typed."""
    return render(request, template, block="form", status_code=400, form=typed(data),
                  errors=exc.field_errors, message=exc.message, **context)


def page_of(limit: Any, offset: Any, size: int = PAGE_SIZE) -> Page:
    return Page.of(limit if limit not in (None, "") else size, offset)


async def paged_rows(query: Any, count_query: Any, page: Page) -> dict:
    return {"rows": await query.limit(page.limit).offset(page.offset).run(),
            "total": await count_query.run(), "limit": page.limit, "offset": page.offset}


def _unit_type_choices(unit_types: list[UnitType]) -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in unit_types]


async def _unit_types_of(project_id: int) -> list[Any]:
    return await selectors.unit_types_of(project_id, limit=CHOICES_LIMIT)


async def _trades_context(building_id: int, state: dict | None) -> dict:
    """The building's trade assignments form: a select per defect category."""
    current = await trades.trades_of(building_id)
    builders = await selectors.parties_of_kind("construction_unit", limit=CHOICES_LIMIT)
    form = (state or {}).get("form") or {f"trade_{k}": str(v) for k, v in current.items()}
    return {"fields": [(f"trade_{code}", str(label)) for code, label in CATEGORIES.items()], "choices": builders,
            "form": form, "errors": (state or {}).get("errors", {}), "message": (state or {}).get("message")}


# ---------------------------------------------------------------- the pages

class OrgAdminPages(Controller):
    path = "/admin"
    guards = [allow(roles.ADMIN)]
    include_in_schema = False

    # ------------------------------------------------------------ projects
    @get("/projects")
    async def project_list(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        page = page_of(limit, offset)
        projects = await paged_rows(Project.objects().order_by(Project.id, ascending=False), Project.count(), page)
        return render(request, "org/project_list.html", block="list", projects=projects)

    @get("/projects/new")
    async def project_new(self, request: Request) -> Response:
        return render(request, "org/project_form.html", project=None, form={}, errors={})

    @post("/projects")
    async def project_create(self, request: Request, data: Form) -> Response:
        try:
            project = await services.project_create(actor=request.scope["user"], name=data.get("name", ""),
                                                    code=data.get("code", ""), city=data.get("city", ""),
                                                    address=data.get("address", ""))
        except Invalid as exc:
            return invalid(request, "org/project_form.html", exc, data, project=None)
        return done(request, f"/admin/projects/{project.id}", _("Project created."))

    @get("/projects/{project_id:int}")
    async def project_detail(self, request: Request, project_id: int, limit: str | None = None,
                             offset: str | None = None, t_limit: str | None = None,
                             t_offset: str | None = None) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        page = page_of(limit, offset)
        buildings = await paged_rows(
            Building.objects().where(Building.project == project_id).order_by(Building.name),
            Building.count().where(Building.project == project_id), page)
        ids = [b.id for b in buildings["rows"]]
        unit_counts = {}
        if ids:
            rows = await Unit.select(Unit.building, Count(Unit.id, alias="n")) \
                .where(Unit.building.is_in(ids)).group_by(Unit.building).run()
            unit_counts = {row["building"]: row["n"] for row in rows}
        unit_types = await paged_rows(
            UnitType.objects().where(UnitType.project == project_id).order_by(UnitType.name),
            UnitType.count().where(UnitType.project == project_id), page_of(t_limit, t_offset))
        # Two lists on one page: an htmx pager names the one it swaps.
        block = "unit_types" if request.headers.get("hx-target") == "unit-types" else "buildings"
        return render(request, "org/project_detail.html", block=block, project=project, buildings=buildings,
                      unit_counts=unit_counts, unit_types=unit_types,
                      page_params={"limit": page.limit, "offset": page.offset})

    @get("/projects/{project_id:int}/edit")
    async def project_edit(self, request: Request, project_id: int) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        form = {"name": project.name, "code": project.code, "city": project.city, "address": project.address}
        return render(request, "org/project_form.html", project=project, form=form, errors={})

    @post("/projects/{project_id:int}")
    async def project_update(self, request: Request, project_id: int, data: Form) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        try:
            await services.project_update(actor=request.scope["user"], project_id=project_id,
                                          **{k: data.get(k, "") for k in ("name", "code", "city", "address")})
        except Invalid as exc:
            return invalid(request, "org/project_form.html", exc, data, project=project)
        return done(request, f"/admin/projects/{project_id}", _("Project saved."))

    # ------------------------------------------------------------ buildings
    @get("/projects/{project_id:int}/buildings/new")
    async def building_new(self, request: Request, project_id: int) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        return render(request, "org/building_form.html", project=project, building=None, form={}, errors={})

    @post("/projects/{project_id:int}/buildings")
    async def building_create(self, request: Request, project_id: int, data: Form) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        try:
            building = await services.building_create(actor=request.scope["user"], project_id=project_id,
                                                      name=data.get("name", ""))
        except Invalid as exc:
            return invalid(request, "org/building_form.html", exc, data, project=project, building=None)
        return done(request, f"/admin/buildings/{building.id}", _("Building created."))

    @get("/buildings/{building_id:int}")
    async def building_detail(self, request: Request, building_id: int, limit: str | None = None,
                              offset: str | None = None) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        return await self._building_page(request, building, page_of(limit, offset, UNITS_PAGE_SIZE),
                                         block="units")

    async def _building_page(self, request: Request, building: Building, page: Page, *, block: str | None,
                             status_code: int = 200, **form_context: Any) -> Response:
        """The building with its units by floor, and the bulk-create form."""
        project = await reference_by_id(Project, building.project)
        units = await selectors.unit_tiles_page(building.id, page)
        unit_types = await _unit_types_of(project.id)
        context = {"form": {}, "errors": {}, "message": None, **form_context}
        context["trades"] = await _trades_context(building.id, context.get("trades"))
        return render(request, "org/building_detail.html", block=block, status_code=status_code,
                      project=project, building=building, units=units,
                      floors_of_tiles=floors_of_tiles(units["rows"], {t.id: t.name for t in unit_types}),
                      unit_type_choices=_unit_type_choices(unit_types), **context)

    @get("/buildings/{building_id:int}/edit")
    async def building_edit(self, request: Request, building_id: int) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        project = await access.project_for(request.scope["user"], building.project)
        return render(request, "org/building_form.html", project=project, building=building,
                      form={"name": building.name}, errors={})

    @post("/buildings/{building_id:int}")
    async def building_update(self, request: Request, building_id: int, data: Form) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        try:
            await services.building_update(actor=request.scope["user"], building_id=building_id,
                                           name=data.get("name", ""))
        except Invalid as exc:
            project = await access.project_for(request.scope["user"], building.project)
            return invalid(request, "org/building_form.html", exc, data, project=project, building=building)
        return done(request, f"/admin/buildings/{building_id}", _("Building saved."))

    @post("/buildings/{building_id:int}/units/bulk")
    async def units_bulk_create(self, request: Request, building_id: int, data: Form) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        try:
            created = await services.units_bulk_create(
                actor=request.scope["user"], building_id=building_id, floor_from=data.get("floor_from"),
                floor_to=data.get("floor_to"), units_per_floor=data.get("units_per_floor"),
                unit_type_id=opt_int(data.get("unit_type_id")))
        except Invalid as exc:
            return await self._building_page(request, building, page_of(None, None, UNITS_PAGE_SIZE),
                                             block="form", status_code=400, form=typed(data),
                                             errors=exc.field_errors, message=exc.message)
        if created:
            message = ngettext("%(num)s unit created.", "%(num)s units created.", len(created))
        else:
            message = _("No new units: all these unit numbers already exist.")
        return done(request, f"/admin/buildings/{building_id}", message)

    @post("/buildings/{building_id:int}/trades")
    async def trades_set(self, request: Request, building_id: int, data: Form) -> Response:
        """Which construction unit answers for each defect category here (the capture form's default)."""
        building = await access.building_for(request.scope["user"], building_id)
        chosen = {code: data.get(f"trade_{code}", "") for code in CATEGORIES}
        try:
            changed = await trades.trades_set(actor=request.scope["user"], building_id=building_id, chosen=chosen)
        except Invalid as exc:
            state = {"form": typed(data), "errors": {f"trade_{k}": v for k, v in exc.field_errors.items()},
                     "message": exc.message}
            return await self._building_page(request, building, page_of(None, None, UNITS_PAGE_SIZE),
                                             block="trades", status_code=400, trades=state)
        message = _("Construction units saved.") if changed else _("Nothing changed.")
        return done(request, f"/admin/buildings/{building_id}#trades", message)

    # ------------------------------------------------------------ unit types
    @get("/projects/{project_id:int}/unit-types/new")
    async def unit_type_new(self, request: Request, project_id: int) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        return render(request, "org/unit_type_form.html", project=project, form={}, errors={})

    @post("/projects/{project_id:int}/unit-types")
    async def unit_type_create(self, request: Request, project_id: int, data: Form) -> Response:
        project = await access.project_for(request.scope["user"], project_id)
        try:
            await services.unit_type_create(actor=request.scope["user"], project_id=project_id,
                                            name=data.get("name", ""), description=data.get("description", ""))
        except Invalid as exc:
            return invalid(request, "org/unit_type_form.html", exc, data, project=project)
        return done(request, f"/admin/projects/{project_id}", _("Unit type created."))

    # ------------------------------------------------------------ units
    async def _unit_form(self, request: Request, building: Building, unit: Unit | None, form: dict,
                         errors: dict, message: str | None = None, status_code: int = 200) -> Response:
        project = await Project.objects().get(Project.id == building.project).run()
        return render(request, "org/unit_form.html", block="form" if status_code == 400 else None,
                      status_code=status_code, project=project, building=building, unit=unit, form=form,
                      errors=errors, message=message,
                      unit_type_choices=_unit_type_choices(await _unit_types_of(project.id)))

    @get("/buildings/{building_id:int}/units/new")
    async def unit_new(self, request: Request, building_id: int) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        return await self._unit_form(request, building, None, {}, {})

    @post("/buildings/{building_id:int}/units")
    async def unit_create(self, request: Request, building_id: int, data: Form) -> Response:
        building = await access.building_for(request.scope["user"], building_id)
        try:
            unit = await services.unit_create(actor=request.scope["user"], building_id=building_id,
                                              number=data.get("number", ""), floor=data.get("floor", ""),
                                              unit_type_id=opt_int(data.get("unit_type_id")))
        except Invalid as exc:
            return await self._unit_form(request, building, None, typed(data), exc.field_errors, exc.message, 400)
        return done(request, f"/admin/buildings/{building_id}", _("Unit %(number)s created.", number=unit.number))

    @get("/units/{unit_id:int}/edit")
    async def unit_edit(self, request: Request, unit_id: int) -> Response:
        unit = await access.unit_for(request.scope["user"], unit_id)
        building = await access.building_for(request.scope["user"], unit.building)
        form = {"number": unit.number, "floor": str(unit.floor), "unit_type_id": unit.unit_type or ""}
        return await self._unit_form(request, building, unit, form, {})

    @post("/units/{unit_id:int}")
    async def unit_update(self, request: Request, unit_id: int, data: Form) -> Response:
        unit = await access.unit_for(request.scope["user"], unit_id)
        building = await access.building_for(request.scope["user"], unit.building)
        try:
            unit = await services.unit_update(actor=request.scope["user"], unit_id=unit_id,
                                              number=data.get("number", ""), floor=data.get("floor", ""),
                                              unit_type_id=opt_int(data.get("unit_type_id")))
        except Invalid as exc:
            return await self._unit_form(request, building, unit, typed(data), exc.field_errors, exc.message, 400)
        return done(request, f"/admin/buildings/{building.id}", _("Unit %(number)s saved.", number=unit.number))

    # ------------------------------------------------------------ parties
    @get("/parties")
    async def party_list(self, request: Request, kind: str | None = None, limit: str | None = None,
                         offset: str | None = None) -> Response:
        kind = kind if kind in PARTY_KINDS else None
        where = Party.kind == kind if kind else Party.id.is_not_null()
        parties = await paged_rows(Party.objects().where(where).order_by(Party.name), Party.count().where(where),
                                   page_of(limit, offset))
        return render(request, "org/party_list.html", block="list", parties=parties, kind=kind,
                      kind_labels=PARTY_KIND_LABELS)

    def _party_form(self, request: Request, party: Party | None, form: dict, errors: dict,
                    message: str | None = None, status_code: int = 200) -> Response:
        return render(request, "org/party_form.html", block="form" if status_code == 400 else None,
                      status_code=status_code, party=party, form=form, errors=errors, message=message,
                      kind_choices=list(PARTY_KIND_LABELS.items()))

    @get("/parties/new")
    async def party_new(self, request: Request, kind: str | None = None) -> Response:
        return self._party_form(request, None, {"kind": kind if kind in PARTY_KINDS else ""}, {})

    @post("/parties")
    async def party_create(self, request: Request, data: Form) -> Response:
        fields = {k: data.get(k, "") for k in ("contact_name", "phone", "email", "webhook_url")}
        try:
            party = await services.party_create(actor=request.scope["user"], name=data.get("name", ""),
                                                kind=data.get("kind", ""), **fields)
        except Invalid as exc:
            return self._party_form(request, None, typed(data), exc.field_errors, exc.message, 400)
        return done(request, "/admin/parties", _("%(name)s added.", name=party.name))

    @get("/parties/{party_id:int}/edit")
    async def party_edit(self, request: Request, party_id: int) -> Response:
        party = await access.party_for(request.scope["user"], party_id)
        form = {k: getattr(party, k) for k in ("name", "kind", "contact_name", "phone", "email", "webhook_url")}
        return self._party_form(request, party, form, {})

    @post("/parties/{party_id:int}")
    async def party_update(self, request: Request, party_id: int, data: Form) -> Response:
        party = await access.party_for(request.scope["user"], party_id)
        fields = {k: data.get(k, "") for k in ("name", "kind", "contact_name", "phone", "email", "webhook_url")}
        try:
            party = await services.party_update(actor=request.scope["user"], party_id=party_id, **fields)
        except Invalid as exc:
            return self._party_form(request, party, typed(data), exc.field_errors, exc.message, 400)
        return done(request, "/admin/parties", _("%(name)s saved.", name=party.name))


PAGES = [OrgAdminPages]
