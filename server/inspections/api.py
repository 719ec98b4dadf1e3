"""JSON API for inspection and rectification (API.md "Inspection and rectification")."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from server.i18n import current_locale
from server.inspections import access, checklists, defects, plans, services
from server.inspections import schemas as s
from server.inspections.selectors import defect_filters, defect_page, photos_by_subject, unit_timeline
from server.inspections.default_checklist import CATEGORIES, CATEGORY_NAMES_ZH
from server.inspections.tables import Defect, Inspection
from server.pagination import Page, rows_and_total
from server.photos.schemas import photo_out
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user, signed_in

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


async def defect_with_photos(defect: Defect) -> s.DefectOut:
    photos = await photos_by_subject("defect", [defect.id])
    return s.defect_out(defect, photos.get(defect.id, []))


def _category_list() -> str:
    """`wall` 墙面 (Walls); ...: each code with its Chinese name and English label."""
    token = current_locale.set("en")
    try:
        return "; ".join(f"`{code}` {CATEGORY_NAMES_ZH[code]} ({label})" for code, label in CATEGORIES.items())
    finally:
        current_locale.reset(token)


RECORD_DEFECT_DESCRIPTION = (
    "multipart/form-data: client_id, room, category, severity, description, construction_unit_id, pin_x, pin_y "
    "(0..1), captured_at, remember_party (\"1\": keep a hand-picked construction_unit_id for the building and "
    "category where none is assigned), and zero or more files in `photos`, with optional `photo_client_id` and "
    "`photo_captured_at` per photo (in the same order). 200 on a repeat client_id.\n\n"
    "`category` is a code, or its Chinese name as an export may carry it (both are accepted; the defect answers "
    "the code; `GET /api/v1/defect-categories` lists them): "
    + _category_list() + ".")


class InspectionsApi(Controller):
    path = "/api/v1"
    tags = ["Inspection and rectification"]

    @post("/inspections", guards=[allow(*access.PLANNERS, *access.INSPECTORS)], status_code=201)
    async def create_inspection(self, request: Request, data: s.InspectionIn) -> Response[s.InspectionOut]:
        inspection, created = await services.inspection_create(
            actor=current_user(request), unit_id=data.unit_id, inspector_id=data.inspector_id,
            scheduled_for=data.scheduled_for, plan_id=data.plan_id, client_id=data.client_id)
        return Response(s.inspection_out(inspection), status_code=201 if created else 200)

    @get("/inspections", guards=[allow(*access.INSPECTION_READERS)])
    async def list_inspections(self, unit_id: int | None = None, status: str | None = None,
                               limit: int | None = Limit, offset: int | None = Offset) -> dict:
        page = Page.of(limit, offset)
        where = Inspection.id.is_not_null()
        if unit_id is not None:
            where &= Inspection.unit == unit_id
        if status:
            where &= Inspection.status == status
        rows, total, lower_bound = await rows_and_total(
            Inspection.objects().where(where).order_by(Inspection.id), Inspection.count().where(where), page)
        return {"items": [s.inspection_out(r) for r in rows], "total": total, "total_is_lower_bound": lower_bound}

    @get("/inspections/{inspection_id:int}", guards=[allow(*access.INSPECTION_READERS)])
    async def get_inspection(self, request: Request, inspection_id: int) -> s.InspectionOut:
        return s.inspection_out(await access.inspection_for(current_user(request), inspection_id))

    @post("/inspections/{inspection_id:int}/start", guards=[allow(*access.INSPECTORS)], status_code=200)
    async def start(self, request: Request, inspection_id: int) -> s.InspectionOut:
        inspection = await access.inspection_for(current_user(request), inspection_id)
        return s.inspection_out(await services.inspection_start(actor=current_user(request), inspection=inspection))

    @post("/inspections/{inspection_id:int}/attendees", guards=[allow(*access.INSPECTORS)], status_code=201)
    async def add_attendee(self, request: Request, inspection_id: int, data: s.AttendeeIn) -> dict:
        inspection = await access.inspection_for(current_user(request), inspection_id)
        attendee = await services.attendee_add(actor=current_user(request), inspection=inspection, kind=data.kind,
                                               party_id=data.party_id, person=data.person)
        return {"id": attendee.id, "kind": attendee.kind, "party_id": attendee.party, "person": attendee.person}

    @get("/inspections/{inspection_id:int}/checklist", guards=[allow(*access.INSPECTION_READERS)])
    async def checklist(self, request: Request, inspection_id: int) -> dict:
        """Rooms with their items and this inspection's marks. An item's `result` is ok, na (with the reason in
        `note`), defect (a defect was recorded against it) or null (not checked yet); each room has
        `checked` and `total`, and so has the whole checklist."""
        inspection = await access.inspection_for(current_user(request), inspection_id)
        rooms = await services.checklist_of(inspection)
        return {"rooms": rooms, "checked": sum(r["checked"] for r in rooms), "total": sum(r["total"] for r in rooms)}

    @post("/inspections/{inspection_id:int}/items/{item_id:int}", guards=[allow(*access.INSPECTORS)],
          status_code=200)
    async def mark_item(self, request: Request, inspection_id: int, item_id: int,
                        data: s.ItemResultIn) -> s.ItemResultOut:
        """Mark one checklist item: `{"result": "ok"}` or `{"result": "na", "note": "why"}` (400 without a reason).
        A defect is not a mark: record it (`POST .../defects` with `checklist_item_id`) and the item counts as
        checked. A new mark replaces the item's earlier one."""
        inspection = await access.inspection_for(current_user(request), inspection_id)
        row = await checklists.item_mark(actor=current_user(request), inspection=inspection, item_id=item_id,
                                         result=data.result, note=data.note)
        return s.ItemResultOut(item_id=row.item, result=row.result, note=row.note)

    @post("/inspections/{inspection_id:int}/rooms/{room_id:int}/ok", guards=[allow(*access.INSPECTORS)],
          status_code=200)
    async def room_ok(self, request: Request, inspection_id: int, room_id: int) -> s.RoomOkOut:
        """Whole room OK: every item of the room not checked yet is marked ok in one go (audited). `item_ids` are
        the items it marked; `batch_id` undoes exactly those."""
        inspection = await access.inspection_for(current_user(request), inspection_id)
        batch, item_ids = await checklists.room_ok(actor=current_user(request), inspection=inspection,
                                                   room_id=room_id)
        return s.RoomOkOut(room_id=room_id, batch_id=batch, item_ids=item_ids)

    @post("/inspections/{inspection_id:int}/rooms/{room_id:int}/ok/{batch_id:str}/undo",
          guards=[allow(*access.INSPECTORS)], status_code=200)
    async def room_ok_undo(self, request: Request, inspection_id: int, room_id: int,
                           batch_id: str) -> s.RoomOkUndoOut:
        """Undo a whole-room OK: the items it marked, unless marked again since, are unchecked again (audited).
        A repeat reverts nothing more and answers `item_ids: []`."""
        inspection = await access.inspection_for(current_user(request), inspection_id)
        item_ids = await checklists.room_ok_undo(actor=current_user(request), inspection=inspection,
                                                 room_id=room_id, batch=batch_id)
        return s.RoomOkUndoOut(room_id=room_id, item_ids=item_ids)

    @get("/defect-categories", guards=[signed_in])
    async def defect_categories(self) -> s.CategoryList:
        """The defect categories: `code` (what a defect stores), `name_zh` (the Chinese name, accepted in its
        place when recording a defect) and `label` in the caller's language."""
        items = [s.CategoryOut(code=code, name_zh=CATEGORY_NAMES_ZH[code], label=str(label))
                 for code, label in CATEGORIES.items()]
        return s.CategoryList(items=items, total=len(items))

    @post("/inspections/{inspection_id:int}/defects", guards=[allow(*access.INSPECTORS)], status_code=201,
          description=RECORD_DEFECT_DESCRIPTION)
    async def record_defect(self, request: Request, inspection_id: int) -> Response[s.DefectOut]:
        inspection = await access.inspection_for(current_user(request), inspection_id)
        with await receive_upload(request) as upload:
            fields = {name: upload.field(name) for name in (
                "client_id", "room", "category", "severity", "description", "construction_unit_id", "pin_x",
                "pin_y", "captured_at", "checklist_item_id", "remember_party")}
            fields["checklist_item_id"] = await checklists.item_id_of(inspection, fields["checklist_item_id"])
            fields["photo_client_ids"] = upload.fields.get("photo_client_id", [])
            fields["photo_captured_ats"] = upload.fields.get("photo_captured_at", [])
            defect, created = await defects.defect_record(actor=current_user(request), inspection=inspection,
                                                          fields=fields, files=upload.files_for("photos"))
        return Response(await defect_with_photos(defect), status_code=201 if created else 200)

    @get("/inspections/{inspection_id:int}/offline", guards=[allow(*access.INSPECTORS)])
    async def offline_bundle(self, request: Request, inspection_id: int) -> dict:
        """What to store on the phone to work this inspection without signal (server/inspections/offline.py).
        An inspector gets only inspections given to them; others answer 404."""
        from server.inspections.offline import offline_bundle

        return await offline_bundle(await access.inspection_to_work(current_user(request), inspection_id))

    @post("/inspections/{inspection_id:int}/complete", guards=[allow(*access.INSPECTORS)], status_code=200,
          responses={409: ResponseSpec(s.IncompleteChecklist, description=(
              "An acceptance inspection with checklist items not checked yet (neither ok, not applicable nor with "
              "a defect): `unchecked` lists them by room. Nothing changes."))})
    async def complete(self, request: Request, inspection_id: int) -> dict:
        """Finish the inspection. Optional JSON `{"override_reason": "..."}`: cs_staff or admin finish an
        acceptance inspection whose checklist is not fully checked, with that reason in the audit trail (403 for
        other roles, 400 with an empty reason). A delivery walkthrough is not held to the checklist."""
        inspection = await access.inspection_for(current_user(request), inspection_id)
        data = await _json(request, s.CompleteIn)
        inspection, notice_ids = await services.inspection_complete(actor=current_user(request),
                                                                    inspection=inspection,
                                                                    override_reason=data.override_reason)
        return {**_as_dict(s.inspection_out(inspection)), "notice_ids": notice_ids}


class PlansApi(Controller):
    path = "/api/v1/inspection-plans"
    tags = ["Inspection and rectification"]

    @post("/", guards=[allow(*access.PLANNERS)], status_code=201)
    async def create_plan(self, request: Request, data: s.PlanIn) -> dict:
        from server.org.access import project_for

        user = current_user(request)
        await project_for(user, data.project_id)
        plan = await services.plan_create(actor=user, project_id=data.project_id, name=data.name,
                                          starts_on=data.starts_on, ends_on=data.ends_on)
        return {"id": plan.id, "project_id": plan.project, "name": plan.name, "starts_on": plan.starts_on,
                "ends_on": plan.ends_on}

    @post("/{plan_id:int}/units", guards=[allow(*access.PLANNERS)], status_code=201)
    async def add_units(self, request: Request, plan_id: int, data: s.PlanUnitsIn) -> dict:
        plan = await plans.plan_get(plan_id)
        created = await plans.plan_add_units(actor=current_user(request), plan=plan, unit_ids=data.unit_ids,
                                             scheduled_for=data.scheduled_for, inspector_id=data.inspector_id)
        return {"created": created}

    @get("/{plan_id:int}/schedule", guards=[allow(*access.INSPECTION_READERS)])
    async def schedule(self, plan_id: int) -> dict:
        return await plans.plan_schedule(await plans.plan_get(plan_id))


class TimelineApi(Controller):
    path = "/api/v1"
    tags = ["Inspection and rectification"]

    @get("/units/{unit_id:int}/timeline", guards=[allow(*access.INSPECTION_READERS)])
    async def unit_timeline(self, request: Request, unit_id: int) -> dict:
        from server.org.access import unit_for

        await unit_for(current_user(request), unit_id)
        items = await unit_timeline(unit_id)
        return {"items": items, "total": len(items)}

    @get("/defects/{defect_id:int}/timeline", guards=[allow(*access.DEFECT_READERS)])
    async def defect_timeline(self, request: Request, defect_id: int) -> dict:
        from server.audit.services import audit_timeline

        await access.defect_for(current_user(request), defect_id)
        items = await audit_timeline("defect", defect_id)
        return {"items": items, "total": len(items)}


def _as_dict(struct: Any) -> dict:
    import msgspec

    return msgspec.to_builtins(struct)


class DefectsApi(Controller):
    path = "/api/v1/defects"
    tags = ["Inspection and rectification"]

    @get("/", guards=[allow(*access.DEFECT_READERS)])
    async def list_defects(self, request: Request, status: str | None = None,
                           construction_unit_id: int | None = None, unit_id: int | None = None,
                           inspection_id: int | None = None, overdue: bool | None = None,
                           limit: int | None = Limit, offset: int | None = Offset) -> dict:
        """A contractor sees only its own party's defects, whatever it asks for. {items, total,
        total_is_lower_bound}: matches are counted up to 10,000 (or the end of the page asked for); beyond,
        `total` is that bound and `total_is_lower_bound` true."""
        where = defect_filters(current_user(request), status=status, construction_unit_id=construction_unit_id,
                               unit_id=unit_id, inspection_id=inspection_id, overdue=overdue)
        rows, total, lower_bound = await defect_page(where, Page.of(limit, offset))
        photos = await photos_by_subject("defect", [r.id for r in rows])
        return {"items": [s.defect_out(r, photos.get(r.id, [])) for r in rows], "total": total,
                "total_is_lower_bound": lower_bound}

    @get("/{defect_id:int}", guards=[allow(*access.DEFECT_READERS)])
    async def get_defect(self, request: Request, defect_id: int) -> s.DefectOut:
        return await defect_with_photos(await access.defect_for(current_user(request), defect_id))

    @post("/{defect_id:int}/photos", guards=[allow(*access.DEFECT_READERS)], status_code=201)
    async def add_photos(self, request: Request, defect_id: int) -> Response[dict]:
        """multipart: client_id, stage (found|rectified|recheck), captured_at (the device's, ISO 8601), photos.
        200 when the client_id was already recorded (nothing stored again)."""
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        with await receive_upload(request) as upload:
            stage = upload.field("stage") or "found"
            _may_add_stage(user, stage)
            recorded = await defects.defect_photos_add(actor=user, defect=defect, stage=stage,
                                                       files=upload.files_for("photos"),
                                                       client_id=upload.field("client_id"),
                                                       captured_at=upload.field("captured_at"))
        created = any(r.created for r in recorded)
        return Response({"photos": [_as_dict(photo_out(r.photo)) for r in recorded]},
                        status_code=201 if created else 200)

    @post("/{defect_id:int}/rectify", guards=[allow(*access.RECTIFIERS)], status_code=200,
          responses={400: ResponseSpec(s.FieldErrors, description=(
              "No after-photo: the defect has no photo of stage `rectified` taken since it was last reopened "
              "(`errors.photos`). Nothing changes."))})
    async def rectify(self, request: Request, defect_id: int) -> s.DefectOut:
        """JSON {"note"} after uploading at least one after-photo (stage `rectified`, with
        `POST /api/v1/defects/{id}/photos`), or multipart with `note` and the after-photos in `photos`.
        An after-photo is required: without one the answer is 400."""
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        if request.headers.get("content-type", "").startswith("multipart/"):
            with await receive_upload(request) as upload:
                await defects.defect_rectify(actor=user, defect=defect, note=upload.field("note") or "",
                                             files=upload.files_for("photos"))
        else:
            data = await _json(request, s.RectifyIn)
            await defects.defect_rectify(actor=user, defect=defect, note=data.note)
        return await defect_with_photos(defect)

    @post("/{defect_id:int}/checks", guards=[allow(*access.CHECKERS)], status_code=201)
    async def add_check(self, request: Request, defect_id: int) -> Response[s.CheckOut]:
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        if request.headers.get("content-type", "").startswith("multipart/"):
            with await receive_upload(request) as upload:
                check, created = await defects.defect_check_add(
                    actor=user, defect=defect, result=upload.field("result") or "", note=upload.field("note") or "",
                    files=upload.files_for("photos"), client_id=upload.field("client_id"))
        else:
            data = await _json(request, s.CheckIn)
            check, created = await defects.defect_check_add(actor=user, defect=defect, result=data.result,
                                                            note=data.note, client_id=data.client_id)
        return Response(s.check_out(check), status_code=201 if created else 200)

    @post("/{defect_id:int}/recheck", guards=[allow(*access.RECHECKERS)], status_code=200)
    async def recheck(self, request: Request, defect_id: int, data: s.RecheckIn) -> s.DefectOut:
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        await defects.defect_recheck(actor=user, defect=defect, result=data.result, note=data.note)
        return await defect_with_photos(defect)


def _may_add_stage(user: Any, stage: str) -> None:
    """Contractors add after-photos; the CS center adds found and recheck photos."""
    from server.accounts import roles
    from server.errors import Forbidden
    from server.i18n import _

    allowed = {"rectified"} if user.role == roles.CONTRACTOR else {"found", "recheck"}
    if stage not in allowed and stage in defects.PHOTO_STAGES:
        raise Forbidden(_("You do not have permission to do this."))


async def _json(request: Request, shape: Any) -> Any:
    import msgspec

    from server.errors import Invalid
    from server.i18n import _

    try:
        return msgspec.json.decode(await request.body() or b"{}", type=shape)
    except msgspec.ValidationError:
        raise Invalid(_("Some of the information is not valid."), ) from None
    except msgspec.DecodeError:
        raise Invalid(_("The request could not be understood. Please check what you entered.")) from None
