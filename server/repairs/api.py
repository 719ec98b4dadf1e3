"""JSON API of repairs (regulation 1): API.md "Repairs (fixed part)" and what follows from it."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from server.accounts import roles
from server.i18n import current_locale
from server.org.access import unit_for
from server.pagination import Page, paged
from server.photos.upload import receive_upload
from server.repairs import access, selectors, services, states, warranty
from server.repairs import schemas as s
from server.web.guards import allow, current_user, signed_in

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


def _component_list() -> str:
    token = current_locale.set("en")
    try:
        return "; ".join(f"`{code}` ({label})" for code, label in warranty.COMPONENT_LABELS.items())
    finally:
        current_locale.reset(token)


REPORT_DESCRIPTION = (
    "multipart/form-data (the owner of the home, or cs_staff for a phone, walk-in or paper request): "
    f"`client_id` (UUID; a repeat answers the request already taken, 200), `component` ({_component_list()}), "
    "`description`, optional `location` (the room), optional `preferred_times` (free text), optional "
    "`reported_on` (YYYY-MM-DD, cs_staff only, default today in China time; a future day is 400), optional "
    "`channel` (cs_staff only: phone | walk_in | paper, default phone), zero or more files in `photos` (JPEG, PNG, "
    "WebP, HEIC) with optional `photo_client_id` / `photo_captured_at` per file. 201 with the request: id, "
    "client_id, unit_id, status, component, photos [{id, status, ...}], warranty {in_warranty (null when the home "
    "had not been delivered to its owner), starts_on (the delivery day), ends_on (the last day in warranty), "
    "who_pays (contractor | owner | null), component, period {count, unit}, reasoning}. Another owner's home "
    "answers 404.")


class RepairsApi(Controller):
    path = "/api/v1"
    tags = ["Repairs"]

    @post("/units/{unit_id:int}/repairs", guards=[allow(*access.REPORTERS)], status_code=201,
          description=REPORT_DESCRIPTION)
    async def report(self, request: Request, unit_id: int) -> Response[s.RepairOut]:
        user = current_user(request)
        await unit_for(user, unit_id)  # 404 for another owner's home
        with await receive_upload(request) as upload:
            fields: dict[str, Any] = {name: upload.field(name) for name in (
                "client_id", "component", "description", "location", "reported_on", "channel", "preferred_times")}
            fields["photo_client_ids"] = upload.fields.get("photo_client_id", [])
            fields["photo_captured_ats"] = upload.fields.get("photo_captured_at", [])
            repair, created = await services.repair_report(actor=user, unit_id=unit_id, fields=fields,
                                                           files=upload.files_for("photos"))
        return Response(s.repair(await selectors.repair_out(repair)), status_code=201 if created else 200)

    @get("/repairs/{repair_id:int}", guards=[signed_in])
    async def get_one(self, request: Request, repair_id: int) -> s.RepairOut:
        """One repair request, in the shape `POST /units/{id}/repairs` answers. An owner sees only their own
        homes' requests; anything the caller may not see answers 404."""
        return s.repair(await selectors.repair_out(await access.repair_for(current_user(request), repair_id)))

    @get("/repairs", guards=[signed_in])
    async def list_repairs(self, request: Request, status: str | None = None, project_id: int | None = None,
                           limit: int | None = Limit, offset: int | None = Offset) -> s.RepairPage:
        """The repair requests the caller may see, newest first: {items, total, limit, offset}; filters
        `status` and `project_id`."""
        rows, count = selectors.list_query(access.visible_repairs(current_user(request)), status=status,
                                           project_id=project_id)
        result = await paged(rows, count, Page.of(limit, offset))
        items = [s.repair(out) for out in await selectors.repairs_out(result["items"])]
        return s.RepairPage(items=items, total=result["total"], limit=result["limit"], offset=result["offset"],
                            total_is_lower_bound=result["total_is_lower_bound"])

    @post("/repairs/{repair_id:int}/triage", guards=[allow(*states.TRANSITIONS["triage"].roles)], status_code=200)
    async def triage(self, request: Request, repair_id: int, data: s.TriageIn) -> s.RepairOut:
        """CS triage: {"component", "urgency" (emergency | normal | scheduled), "survey_needed" (bool)}.
        409 unless the request is reported or reopened."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await services.repair_triage(actor=user, repair=repair, component=data.component, urgency=data.urgency,
                                     survey_needed=data.survey_needed)
        return s.repair(await selectors.repair_out(repair))

    @post("/units/{unit_id:int}/delivered", guards=[allow(*access.RECORD_DELIVERY)], status_code=201)
    async def delivered(self, request: Request, unit_id: int, data: s.DeliveredIn) -> s.DeliveredOut:
        """{"delivered_on": "YYYY-MM-DD"}: the delivery day of a home delivered before this software (homes
        delivered through it take theirs from the signed confirmation). 409 when the home already has one;
        a future day is 400. The record is never changed."""
        user = current_user(request)
        await unit_for(user, unit_id)
        record = await services.delivery_record(actor=user, unit_id=unit_id, delivered_on=data.delivered_on)
        return s.DeliveredOut(id=record.id, unit_id=unit_id, delivered_on=record.delivered_on.isoformat())

    @get("/projects/{project_id:int}/repair-settings", guards=[allow(*roles.STAFF)])
    async def settings(self, request: Request, project_id: int) -> s.RepairSettingsIO:
        """A project's warranty terms: years per component (`structure_years` is the design service life),
        heating and cooling seasons (count, first and last day as MM-DD) and `return_visit_days`; the
        statutory defaults where the project set none."""
        from server.org.access import project_for
        from server.repairs.tables import RepairSettings

        await project_for(current_user(request), project_id)
        row = await RepairSettings.objects().get(RepairSettings.project == project_id).run()
        return s.RepairSettingsIO(**services.settings_of(row))

    @put("/projects/{project_id:int}/repair-settings", guards=[allow(roles.ADMIN, roles.CS_STAFF)])
    async def settings_save(self, request: Request, project_id: int, data: dict) -> s.RepairSettingsIO:
        """Set any of the fields `GET` shows. Periods may be longer than the statutory ones (rules.md), never
        shorter (400, per field); a season's days must exist in every year (no 02-29). Audited."""
        from server.org.access import project_for

        await project_for(current_user(request), project_id)
        return s.RepairSettingsIO(**await services.repair_settings_save(
            actor=current_user(request), project_id=project_id, fields=data))

    @post("/projects/{project_id:int}/delivered-homes/import", guards=[allow(*access.RECORD_DELIVERY)],
          status_code=200)
    async def delivered_import(self, request: Request, project_id: int) -> s.ImportOut:
        """multipart `file`: .xlsx or .csv of homes delivered before this software, with 楼栋, 房号, 业主姓名,
        手机号, 交付日期. All rows or none: a bad row answers 400 with `report`, naming the row. Each home gets
        its delivery day (never changed), and its owner an account from the mobile number (signing in with a
        one-time code) linked to it. → {"imported", "accounts_made"}."""
        from server.errors import Invalid
        from server.i18n import _
        from server.org.access import project_for
        from server.repairs.delivered_import import delivered_homes_import

        await project_for(current_user(request), project_id)
        with await receive_upload(request, max_files=1) as upload:
            files = upload.files_for("file")
            if not files:
                raise Invalid(_("Please correct the marked fields."), field_errors={"file": _("Choose a file.")})
            return s.ImportOut(**await delivered_homes_import(actor=current_user(request), project_id=project_id,
                                                              path=files[0].path, filename=files[0].filename or ""))

    @get("/repair-components", guards=[signed_in])
    async def components(self) -> dict:
        """The component codes of domain/rules.md a request is classed to, with their names in the caller's
        language."""
        items = [{"code": code, "label": str(label)} for code, label in warranty.COMPONENT_LABELS.items()]
        return {"items": items, "total": len(items)}
