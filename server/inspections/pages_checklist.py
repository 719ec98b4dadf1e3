"""The checklist on the unit page: an item OK or not applicable (with a
reason), 整间合格 (the room's unchecked items OK in one tap) and its undo.

htmx gets the changed item or room back, and out of band the room's
counter, the unit's total and the finish button, so nothing needs a
reload; a plain form goes back to the page (303). Every write goes
through `checklists`.
"""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, post
from litestar.response import Redirect
from piccolo.query.functions.aggregate import Count

from server.errors import Invalid
from server.i18n import _
from server.inspections import access, checklists, services
from server.inspections.pages_common import category_label
from server.inspections.selectors import unit_place
from server.inspections.tables import Defect, Inspection, ItemResult
from server.org.pages import Form
from server.web.guards import allow
from server.web.templating import is_htmx, render


async def checklist_rooms(inspection: Inspection) -> list[dict]:
    """Rooms and items with this inspection's results, counts and category words."""
    rooms = await services.checklist_of(inspection)
    for room in rooms:
        for item in room["items"]:
            item["category_label"] = category_label(item["category"])
    return rooms


async def finish_question(inspection: Inspection, number: str, rooms: list[dict]) -> str | None:
    """The finish button's question, in words: what finishing will send to
    whom. None while an acceptance inspection has items left: finishing
    then lists them instead of asking."""
    if inspection.kind == "acceptance" and any(r["checked"] < r["total"] for r in rooms):
        return None
    rows = await Defect.select(Defect.construction_unit, Count(alias="n")).where(
        (Defect.inspection == inspection.id) & (Defect.status != "closed")).group_by(Defect.construction_unit).run()
    defects = sum(r["n"] for r in rows)
    if not defects:
        return _("Finish the inspection of %(unit)s? No defects were recorded, so the unit passes.", unit=number)
    return _("Finish the inspection of %(unit)s? %(defects)s open defects go to %(parties)s construction units "
             "as rectification notices, with deadlines.", unit=number, defects=defects, parties=len(rows))


async def undo_offer(inspection: Inspection, room_id: int | None, batch: str | None) -> dict | None:
    """After 整间合格 without JS (?undo=batch): what its undo would revert, if anything is left."""
    try:
        batch_id = uuid.UUID(str(batch))
    except ValueError:
        return None
    count = await ItemResult.count().where((ItemResult.inspection == inspection.id) & (
        ItemResult.batch == batch_id)).run()
    return {"room_id": room_id, "batch": str(batch_id), "count": count} if count and room_id else None


def _room_url(inspection_id: int, room: str, **params: str) -> str:
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in params.items())
    return f"/inspections/{inspection_id}?room={quote(room, safe='')}{extra}#checklist"


class ChecklistPages(Controller):
    path = "/inspections"
    include_in_schema = False
    guards = [allow(*access.INSPECTORS)]

    async def _update(self, request: Request, inspection: Inspection, rooms: list[dict], room: dict,
                      status_code: int = 200, **context: Any) -> Response:
        place = await unit_place(inspection.unit)
        if "unchecked=1" in request.headers.get("hx-current-url", ""):  # the page lists what is left: refresh it
            left = checklists.unchecked_in(rooms)
            may_override = request.scope["user"].role in access.COMPLETION_OVERRIDERS
            context.update(refresh_unchecked=True, unchecked=left, may_override=may_override,
                           unchecked_count=sum(len(r["items"]) for r in left))
        return render(request, "inspections/_checklist_update.html", status_code=status_code,
                      inspection=inspection, rooms=rooms, room=room, recording=True,
                      finish_question=await finish_question(inspection, place.get("number", ""), rooms), **context)

    @post("/{inspection_id:int}/items/{item_id:int}")
    async def item_mark(self, request: Request, inspection_id: int, item_id: int, data: Form) -> Response:
        """合格 (the default) or 不适用 with a reason (`result=na`, `note`)."""
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        result, note = data.get("result") or "ok", data.get("note") or ""
        error = None
        try:
            await checklists.item_mark(actor=request.scope["user"], inspection=inspection, item_id=item_id,
                                       result=result, note=note)
        except Invalid as exc:
            if not is_htmx(request):
                raise
            error = exc.field_errors.get("note") or exc.message
        rooms = await checklist_rooms(inspection)
        found = [(room, item) for room in rooms for item in room["items"] if item["id"] == item_id]
        if not is_htmx(request) or not found:
            return Redirect(path=_room_url(inspection_id, found[0][0]["name"] if found else ""), status_code=303)
        room, item = found[0]
        return await self._update(request, inspection, rooms, room, status_code=400 if error else 200,
                                  what="item", item=item, na_error=error, na_note=note)

    @post("/{inspection_id:int}/rooms/{room_id:int}/ok")
    async def room_ok(self, request: Request, inspection_id: int, room_id: int) -> Response:
        """整间合格: the room comes back with an undo for exactly what it marked."""
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        batch, item_ids = await checklists.room_ok(actor=request.scope["user"], inspection=inspection,
                                                   room_id=room_id)
        return await self._room(request, inspection, room_id,
                                undo={"room_id": room_id, "batch": batch, "count": len(item_ids)})

    @post("/{inspection_id:int}/rooms/{room_id:int}/ok/{batch:str}/undo")
    async def room_ok_undo(self, request: Request, inspection_id: int, room_id: int, batch: str) -> Response:
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        undone = await checklists.room_ok_undo(actor=request.scope["user"], inspection=inspection,
                                               room_id=room_id, batch=batch)
        return await self._room(request, inspection, room_id, undone=len(undone))

    async def _room(self, request: Request, inspection: Inspection, room_id: int, **context: Any) -> Response:
        rooms = await checklist_rooms(inspection)
        room = next(r for r in rooms if r["id"] == room_id)  # the service has checked it is this checklist's
        if not is_htmx(request):
            undo = context.get("undo") or {}
            params = {"undo": undo["batch"]} if undo.get("count") else {}
            return Redirect(path=_room_url(inspection.id, room["name"], **params), status_code=303)
        return await self._update(request, inspection, rooms, room, what="room", **context)
