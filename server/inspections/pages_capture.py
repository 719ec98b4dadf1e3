"""Recording a defect from the phone (the capture form).

The form is part of the unit page (a full-screen sheet the camera button
opens) and also a page of its own. static/js/capture.js puts each defect in
the offline outbox, which sends it to the JSON API (server/inspections/api.py;
static/js/outbox.js) with the `X-CSRFToken` header, never the form field
(that would make the CSRF middleware read the whole upload into memory).
The POST here takes the same multipart form and re-renders it with its
messages on a 400. `client_id`, made when the form opens, makes a double tap
or a retry answer the defect already recorded instead of a second one.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post

from server.errors import Invalid
from server.i18n import _
from server.inspections import access, defects, services
from server.inspections.default_checklist import CATEGORIES, QUICK_PHRASES
from server.inspections.selectors import floor_plan_state, parties_of_kinds, unit_place
from server.inspections.states import SEVERITIES, SEVERITY_LABELS
from server.inspections.tables import ChecklistItem, Inspection
from server.inspections.trades import trades_of
from server.org.pages import done, opt_int
from server.photos.upload import receive_upload
from server.web.guards import allow
from server.web.templating import is_htmx, render

FIELDS = ("client_id", "room", "category", "severity", "description", "construction_unit_id", "pin_x", "pin_y",
          "captured_at", "checklist_item_id", "remember_party")


async def capture_context(inspection: Inspection, place: dict, rooms: list[dict], *, room: str = "",
                          category: str = "", item: dict | None = None, form: dict | None = None) -> dict:
    """Everything the capture form shows, pre-filled from the open room and item."""
    default_parties = await trades_of(place["building"]) if place.get("building") else {}
    category = category if category in CATEGORIES else (item["category"] if item else "")
    prefilled = {"room": room, "category": category, "severity": "minor",
                 "construction_unit_id": str(default_parties.get(category) or ""),
                 "checklist_item_id": str(item["id"]) if item else ""}
    return {
        "action": f"/inspections/{inspection.id}/defects",
        "back": f"/inspections/{inspection.id}",
        "rooms": [r["name"] for r in rooms],
        "categories": list(CATEGORIES.items()),
        "severities": [(s, SEVERITY_LABELS[s]) for s in SEVERITIES],
        "phrases": QUICK_PHRASES,
        "description_max": defects.DESCRIPTION_MAX,
        "party_choices": [(p["id"], p["name"]) for p in await parties_of_kinds(["construction_unit"])],
        "default_parties": {k: v for k, v in default_parties.items() if k in CATEGORIES},
        "plan": await floor_plan_state(place.get("unit_type")),
        "item": item,
        "form": {**prefilled, **(form or {})},
    }


async def _item(inspection: Inspection, item_id: int | None) -> dict | None:
    """A checklist item of this inspection's template (others are ignored)."""
    if item_id is None or inspection.template is None:
        return None
    row = await ChecklistItem.select(ChecklistItem.id, ChecklistItem.title, ChecklistItem.category,
                                     ChecklistItem.room.name.as_alias("room_name")).where(
        (ChecklistItem.id == item_id) & (ChecklistItem.room.template == inspection.template)).first().run()
    return row


class CapturePages(Controller):
    path = "/inspections"
    guards = [allow(*access.INSPECTORS)]
    include_in_schema = False

    async def _form(self, request: Request, inspection: Inspection, *, room: str = "", category: str = "",
                    item: dict | None = None, form: dict | None = None, errors: dict | None = None,
                    message: str | None = None, status_code: int = 200) -> Response:
        place = await unit_place(inspection.unit)
        rooms = await services.checklist_of(inspection)
        capture = await capture_context(inspection, place, rooms, room=room or (item or {}).get("room_name", ""),
                                        category=category, item=item, form=form)
        return render(request, "inspections/capture.html", block="form" if status_code == 400 else None,
                      status_code=status_code, inspection=inspection, place=place, capture=capture,
                      errors=errors or {}, message=message)

    @get("/{inspection_id:int}/defects/new")
    async def capture_page(self, request: Request, inspection_id: int, room: str | None = None,
                           category: str | None = None, item: str | None = None) -> Response:
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        return await self._form(request, inspection, room=room or "", category=category or "",
                                item=await _item(inspection, opt_int(item)))

    @post("/{inspection_id:int}/defects")
    async def record(self, request: Request, inspection_id: int) -> Response:
        """multipart: the FIELDS and `photos`. 201 (or 200 for a repeat
        client_id) with HX-Redirect for our script; 303 for a plain form."""
        user = request.scope["user"]
        inspection = await access.inspection_for(user, inspection_id)
        fields: dict[str, Any] = {}
        try:
            with await receive_upload(request) as upload:
                fields = {name: upload.field(name) for name in FIELDS}
                item = await _item(inspection, opt_int(fields.get("checklist_item_id")))
                fields["checklist_item_id"] = item["id"] if item else None
                defect, created = await defects.defect_record(actor=user, inspection=inspection, fields=fields,
                                                              files=upload.files_for("photos"))
        except Invalid as exc:
            typed = {k: ("" if v is None else str(v)) for k, v in fields.items()}
            item = await _item(inspection, opt_int(typed.get("checklist_item_id")))
            # A refused photo (damaged, not an image) has no field: its message shows above the form.
            return await self._form(request, inspection, room=typed.get("room", ""), item=item, form=typed,
                                    errors=exc.field_errors, message=exc.message, status_code=400)
        url = f"/inspections/{inspection_id}?room={quote(defect.room, safe='')}#defect-{defect.id}"
        message = _("Defect recorded.") if created else _("This defect was already saved.")
        response = done(request, url, message)
        if is_htmx(request):
            response.status_code = 201 if created else 200
        return response
