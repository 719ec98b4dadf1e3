"""A defect for the CS side: its photos before and after, the pin on the
floor plan, status and deadline, its history; the self-polling thumbnails;
and marking up a photo (a new, derived photo: the original never changes).
"""
from __future__ import annotations

from litestar import Controller, Request, Response, get, post

from server.audit.services import audit_timeline
from server.errors import NotFound
from server.i18n import _
from server.inspections import access, defects
from server.inspections.pages_defect_rows import photo_strip
from server.inspections.pages_common import (
    PHOTO_STAGE_LABELS,
    WAITING,
    category_label,
    defect_chip,
    inspection_chip,
    local_day,
    local_time,
    overdue_days,
    party_names,
    severity_chip,
    timeline_rows,
)
from server.inspections.schemas import defect_out
from server.inspections.selectors import floor_plan_state, photos_by_subject, unit_place
from server.inspections.tables import Defect, Inspection
from server.org.pages import done
from server.photos.schemas import PhotoOut
from server.photos.upload import receive_upload
from server.web.guards import allow
from server.web.templating import render

HTMX_STOP_POLLING = 286
"""htmx stops an `every 2s` poll when the answer has this status (and still swaps it in)."""


def photos_waiting(photos: list[PhotoOut]) -> bool:
    return any(p.status in WAITING for p in photos)


def by_stage(photos: list[PhotoOut]) -> list[tuple[str, str, list[PhotoOut]]]:
    """(stage, label, photos) in the order work happens: before, after, recheck."""
    return [(stage, str(label), [p for p in photos if p.stage == stage]) for stage, label in PHOTO_STAGE_LABELS.items()
            if any(p.stage == stage for p in photos)]


class DefectPages(Controller):
    path = "/inspections/defects"
    include_in_schema = False

    @get("/{defect_id:int}", guards=[allow(*access.INSPECTION_READERS)])
    async def defect_page(self, request: Request, defect_id: int) -> Response:
        user = request.scope["user"]
        defect = await access.defect_for(user, defect_id)
        inspection = await Inspection.objects().get(Inspection.id == defect.inspection).run()
        place = await unit_place(defect.unit)
        photos = (await photos_by_subject("defect", [defect.id])).get(defect.id, [])
        overdue = defect_out(defect).overdue
        return render(
            request, "inspections/defect.html", defect=defect, inspection=inspection, place=place, photos=photos,
            status_chip=defect_chip(defect.status), severity=severity_chip(defect.severity),
            inspection_chip=inspection_chip(inspection.status), category=category_label(defect.category),
            party=(await party_names([defect.construction_unit])).get(defect.construction_unit, ""),
            overdue=overdue, overdue_days=overdue_days(defect.deadline, overdue),
            deadline_text=local_day(defect.deadline), recorded_text=local_time(defect.created_at),
            captured_text=local_time(defect.captured_at), stages=by_stage,
            plan=await floor_plan_state(place.get("unit_type")) if defect.pin_x is not None else {"state": "none"},
            timeline=timeline_rows(await audit_timeline("defect", defect.id)),
            can_mark_up=user.role in access.INSPECTORS, view="detail")

    @get("/{defect_id:int}/photos", guards=[allow(*access.INSPECTION_READERS)])
    async def photos_fragment(self, request: Request, defect_id: int, view: str | None = None) -> Response:
        """The defect's thumbnails. While any is still processing the fragment
        polls itself every 2 s; once none is, it answers 286 and the polling stops."""
        defect = await access.defect_for(request.scope["user"], defect_id)
        photos = (await photos_by_subject("defect", [defect.id])).get(defect.id, [])
        return render(request, "inspections/_photos.html", defect=defect, photos=photos,
                      view="detail" if view == "detail" else "list",
                      can_mark_up=request.scope["user"].role in access.INSPECTORS, stages=by_stage,
                      photo_strip=photo_strip, status_code=200 if photos_waiting(photos) else HTMX_STOP_POLLING)

    @get("/{defect_id:int}/photos/{photo_id:int}/markup", guards=[allow(*access.INSPECTORS)])
    async def markup_page(self, request: Request, defect_id: int, photo_id: int) -> Response:
        defect = await access.defect_for(request.scope["user"], defect_id)
        photos = (await photos_by_subject("defect", [defect.id])).get(defect.id, [])
        photo = next((p for p in photos if p.id == photo_id and p.urls.display), None)
        if photo is None:  # not this defect's, or not ready to draw on yet
            raise NotFound(_("The page or record was not found."))
        return render(request, "inspections/markup.html", defect=defect, photo=photo,
                      place=await unit_place(defect.unit))

    @post("/{defect_id:int}/markup", guards=[allow(*access.INSPECTORS)])
    async def markup_save(self, request: Request, defect_id: int) -> Response:
        """multipart: `photos` (the drawn-on image, made in the browser) and `client_id`.
        It becomes another "found" photo of the defect; the photo drawn on is left as it was."""
        user = request.scope["user"]
        defect: Defect = await access.defect_for(user, defect_id)
        with await receive_upload(request, max_files=1) as upload:
            recorded = await defects.defect_photos_add(actor=user, defect=defect, stage="found",
                                                       files=upload.files_for("photos"),
                                                       client_id=upload.field("client_id"))
        response = done(request, f"/inspections/defects/{defect_id}", _("The marked-up photo was added."))
        if any(r.created for r in recorded) and response.status_code == 200:
            response.status_code = 201
        return response
