"""The inspector's pages: 今日任务 and the unit being inspected (header,
attendees, start / finish, rooms with their checklist items, the unit's
defects, the history). Defect capture is in `pages_capture.py`.

Every write goes through `services`; this module only reads for display and
translates form fields into service arguments.
"""
from __future__ import annotations

from itertools import groupby
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect
from piccolo.query.functions.aggregate import Count

from server import clock
from server.accounts.tables import User
from server.errors import Conflict, Invalid
from server.i18n import _, ngettext
from server.inspections import access, checklists, services
from server.inspections.pages_capture import capture_context
from server.inspections.pages_checklist import checklist_rooms, finish_question, undo_offer
from server.inspections.pages_defect_rows import photo_strip
from server.inspections.pages_common import (
    ATTENDEE_KIND_LABELS,
    ATTENDEE_PARTY_KINDS,
    category_label,
    defect_chip,
    inspection_chip,
    local_day,
    party_names,
    severity_chip,
    timeline_rows,
)
from server.org.pages_unit_tiles import floor_label
from server.inspections.selectors import as_rows, parties_of_kinds, photos_by_subject, unit_place, unit_timeline
from server.inspections.tables import (
    ChecklistItem,
    Defect,
    Inspection,
    InspectionAttendee,
    ItemResult,
    RectificationNotice,
)
from server.org.pages import Form, done, opt_int, page_of, typed
from server.pagination import Page
from server.web.guards import allow
from server.web.templating import is_htmx, render

TASKS_PAGE_SIZE = 30     # a day's work for one inspector fits on one page
DEFECTS_PAGE_SIZE = 20
TIMELINE_LIMIT = 50
NOT_FINISHED = ("planned", "in_progress")


def _may_inspect(user: Any) -> bool:
    return user is not None and user.role in access.INSPECTORS


# ---------------------------------------------------------------- 今日任务

def _by_building_and_floor(rows: list[dict]) -> list[tuple[str, list[tuple[str, list[dict]]]]]:
    """[(building, [(floor label, rows)])] from rows already ordered by building, floor, number."""
    grouped = []
    for building, in_building in groupby(rows, key=lambda r: r["building_name"]):
        floors = [(floor_label(floor), list(units)) for floor, units in groupby(in_building, key=lambda r: r["floor"])]
        grouped.append((building, floors))
    return grouped


async def _tasks(where: Any, page: Page) -> dict:
    """One page of inspections with their unit, building, open defects and
    checked items: four queries whatever the page size."""
    unit = Inspection.unit
    query = Inspection.select(
        Inspection.id, Inspection.status, Inspection.scheduled_for, Inspection.template,
        unit.number.as_alias("number"), unit.floor.as_alias("floor"),
        unit.building.as_alias("building_id"), unit.building.name.as_alias("building_name"),
        unit.building.project.name.as_alias("project_name"),
    ).where(where).order_by(unit.building.project.name, unit.building.name, unit.floor, unit.number)
    rows = await query.limit(page.limit).offset(page.offset).run()
    total = await Inspection.count().where(where).run()
    ids = [r["id"] for r in rows] or [-1]
    open_defects = {r["inspection"]: r["n"] for r in await Defect.select(Defect.inspection, Count(alias="n")).where(
        Defect.inspection.is_in(ids) & (Defect.status != "closed")).group_by(Defect.inspection).run()}
    # An item counts as checked once marked or with a defect recorded against it (UNION drops the doubles).
    marks = ", ".join("{}" for _ in ids)
    checked = {r["inspection"]: r["n"] for r in await ItemResult.raw(
        f"SELECT inspection, COUNT(*) AS n FROM (SELECT inspection, item FROM item_result "
        f"WHERE result IN ('ok', 'na') AND inspection IN ({marks}) UNION SELECT inspection, checklist_item "
        f"FROM defect WHERE inspection IN ({marks}) AND checklist_item IS NOT NULL) AS checked "
        "GROUP BY inspection", *ids, *ids).run()}
    templates = sorted({r["template"] for r in rows if r["template"]}) or [-1]
    template = ChecklistItem.room.template
    item_totals = {r["room.template"]: r["n"] for r in await ChecklistItem.select(template, Count(alias="n")).where(
        template.is_in(templates)).group_by(template).run()}
    for row in rows:
        row["chip"] = inspection_chip(row["status"])
        row["open_defects"] = open_defects.get(row["id"], 0)
        row["checked"] = checked.get(row["id"], 0)
        row["items"] = item_totals.get(row["template"], 0)
    return {"rows": rows, "groups": _by_building_and_floor(rows), "total": total, "limit": page.limit,
            "offset": page.offset}


# ---------------------------------------------------------------- the unit page

async def _attendees(inspection_id: int) -> list[dict]:
    rows = await InspectionAttendee.select(
        InspectionAttendee.id, InspectionAttendee.kind, InspectionAttendee.person,
        InspectionAttendee.party.name.as_alias("party_name"),
    ).where(InspectionAttendee.inspection == inspection_id).order_by(InspectionAttendee.id).run()
    for row in rows:
        row["kind_label"] = str(ATTENDEE_KIND_LABELS.get(row["kind"], row["kind"]))
    return rows


async def _attendee_party_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    rows = await parties_of_kinds(list(ATTENDEE_PARTY_KINDS.values()))
    return [(str(ATTENDEE_KIND_LABELS[kind]), [(r["id"], r["name"]) for r in rows if r["kind"] == party_kind])
            for kind, party_kind in ATTENDEE_PARTY_KINDS.items()]


async def unit_defects(inspection_id: int, page: Page) -> dict:
    """The inspection's defects, newest on top, with photos and party names (four queries)."""
    where = Defect.inspection == inspection_id
    rows = as_rows(await Defect.select().where(where).order_by(Defect.id, ascending=False).limit(page.limit).offset(
        page.offset).run())
    total = await Defect.count().where(where).run()
    photos = await photos_by_subject("defect", [d.id for d in rows])
    names = await party_names([d.construction_unit for d in rows])
    items = [{"defect": d, "photos": photos.get(d.id, []), "chip": defect_chip(d.status),
              "severity": severity_chip(d.severity), "category": category_label(d.category),
              "party": names.get(d.construction_unit, "")} for d in rows]
    return {"rows": items, "total": total, "limit": page.limit, "offset": page.offset}


class InspectionPages(Controller):
    path = "/inspections"
    include_in_schema = False

    @get("/", guards=[allow(*access.INSPECTORS)])
    async def today(self, request: Request, limit: str | None = None, offset: str | None = None,
                    o_limit: str | None = None, o_offset: str | None = None) -> Response:
        """今日任务: mine scheduled today first (whatever their state), then my others not finished."""
        user, day = request.scope["user"], clock.today()
        mine = Inspection.inspector == user.id
        today = await _tasks(mine & (Inspection.scheduled_for == day), page_of(limit, offset, TASKS_PAGE_SIZE))
        others_where = mine & Inspection.status.is_in(list(NOT_FINISHED)) & (
            Inspection.scheduled_for.is_null() | (Inspection.scheduled_for != day))
        others = await _tasks(others_where, page_of(o_limit, o_offset, TASKS_PAGE_SIZE))
        block = "others" if request.headers.get("hx-target") == "others" else "today"
        return render(request, "inspections/today.html", block=block, day=day, today=today, others=others,
                      page_params={"limit": today["limit"], "offset": today["offset"]})

    @get("/{inspection_id:int}", guards=[allow(*access.INSPECTION_READERS)])
    async def unit_page(self, request: Request, inspection_id: int, room: str | None = None,
                        limit: str | None = None, offset: str | None = None, unchecked: str | None = None,
                        undo: str | None = None) -> Response:
        """`?unchecked=1`: finishing was refused, list what is left; `?undo=batch`: offer to undo 整间合格."""
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        return await self._page(request, inspection, room=room, page=page_of(limit, offset, DEFECTS_PAGE_SIZE),
                                block="defects", list_unchecked=bool(unchecked), undo_batch=undo)

    async def _page(self, request: Request, inspection: Inspection, *, room: str | None, page: Page,
                    block: str | None, status_code: int = 200, list_unchecked: bool = False,
                    undo_batch: str | None = None, **overrides: Any) -> Response:
        user = request.scope["user"]
        place = await unit_place(inspection.unit)
        rooms = await checklist_rooms(inspection)
        names = [r["name"] for r in rooms]
        room = room if room in names else (names[0] if names else "")
        notices = await RectificationNotice.select(
            RectificationNotice.id, RectificationNotice.number, RectificationNotice.deadline,
            RectificationNotice.party.name.as_alias("party_name"),
        ).where(RectificationNotice.inspection == inspection.id).order_by(RectificationNotice.id).run()
        for notice in notices:
            notice["deadline_text"] = local_day(notice["deadline"])
        inspector = None
        if inspection.inspector:
            row = await User.select(User.display_name, User.username).where(
                User.id == inspection.inspector).first().run()
            inspector = row and (row["display_name"] or row["username"])
        can_inspect = _may_inspect(user)
        context: dict[str, Any] = {
            "inspection": inspection, "place": place, "status_chip": inspection_chip(inspection.status),
            "rooms": rooms, "room": room, "defects": await unit_defects(inspection.id, page),
            "attendees": await _attendees(inspection.id), "kind_labels": ATTENDEE_KIND_LABELS,
            # The add-attendee form shows only while the inspection is open to attendees.
            "party_choices": await _attendee_party_choices()
            if can_inspect and inspection.status in ("planned", "in_progress") else [],
            "notices": notices, "inspector": inspector,
            "can_inspect": can_inspect, "recording": can_inspect and inspection.status == "in_progress",
            "form": {}, "errors": {}, "message": None, "photo_strip": photo_strip,
        }
        if can_inspect and inspection.status == "in_progress":
            if list_unchecked:
                left = checklists.unchecked_in(rooms)
                context.update(unchecked=left, unchecked_count=sum(len(r["items"]) for r in left),
                               may_override=user.role in access.COMPLETION_OVERRIDERS)
            if undo_batch:
                room_id = next((r["id"] for r in rooms if r["name"] == room), None)
                context["undo"] = await undo_offer(inspection, room_id, undo_batch)
            context["finish_question"] = await finish_question(inspection, place.get("number", ""), rooms)
            context["capture"] = await capture_context(inspection, place, rooms, room=room)
        context.update(overrides)
        return render(request, "inspections/inspection.html", block=block, status_code=status_code, **context)

    @get("/{inspection_id:int}/history", guards=[allow(*access.INSPECTION_READERS)])
    async def history(self, request: Request, inspection_id: int) -> Response:
        """The unit's history: the folded part of the unit page (htmx), or a page of its own."""
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        timeline = timeline_rows(await unit_timeline(inspection.unit, limit=TIMELINE_LIMIT))
        return render(request, "inspections/history.html", block="history", inspection=inspection,
                      place=await unit_place(inspection.unit), timeline=timeline)

    @post("/{inspection_id:int}/start", guards=[allow(*access.INSPECTORS)])
    async def start(self, request: Request, inspection_id: int) -> Response:
        inspection = await access.inspection_for(request.scope["user"], inspection_id)
        await services.inspection_start(actor=request.scope["user"], inspection=inspection)
        return done(request, f"/inspections/{inspection_id}", _("Inspection started. Walk the unit room by room."))

    @post("/{inspection_id:int}/finish", guards=[allow(*access.INSPECTORS)])
    async def finish(self, request: Request, inspection_id: int, data: Form) -> Response:
        """Finish; with checklist items left, back to the page listing them (CS staff and admins may
        finish anyway with `override_reason`)."""
        user = request.scope["user"]
        inspection = await access.inspection_for(user, inspection_id)
        reason = data.get("override_reason")
        try:
            inspection, notice_ids = await services.inspection_complete(actor=user, inspection=inspection,
                                                                        override_reason=reason)
        except Conflict as exc:
            if "unchecked" not in exc.extra:
                raise
            return Redirect(path=f"/inspections/{inspection_id}?unchecked=1#unchecked", status_code=303)
        except Invalid as exc:  # finishing anyway without a reason, or too long a one
            return await self._page(request, inspection, room=None, page=page_of(None, None, DEFECTS_PAGE_SIZE),
                                    block=None, status_code=400, list_unchecked=True, form=typed(data),
                                    errors=exc.field_errors, message=exc.message)
        if not notice_ids:
            return done(request, f"/inspections/{inspection_id}",
                        _("Inspection finished: no defects, the unit passed."))
        notices = await RectificationNotice.select(
            RectificationNotice.number, RectificationNotice.party.name.as_alias("party_name"),
        ).where(RectificationNotice.id.is_in(notice_ids)).order_by(RectificationNotice.id).run()
        listed = "; ".join(f"{n['number']} ({n['party_name']})" for n in notices)
        message = ngettext("Inspection finished. %(num)s rectification notice sent: %(list)s",
                           "Inspection finished. %(num)s rectification notices sent: %(list)s",
                           len(notice_ids), list=listed)
        return done(request, f"/inspections/{inspection_id}", message)

    @post("/{inspection_id:int}/attendees", guards=[allow(*access.INSPECTORS)])
    async def attendee_add(self, request: Request, inspection_id: int, data: Form) -> Response:
        user = request.scope["user"]
        inspection = await access.inspection_for(user, inspection_id)
        try:
            await services.attendee_add(actor=user, inspection=inspection, kind=data.get("kind", ""),
                                        party_id=opt_int(data.get("party_id")), person=data.get("person", ""))
        except Invalid as exc:
            return await self._page(request, inspection, room=None, page=page_of(None, None, DEFECTS_PAGE_SIZE),
                                    block="attendees", status_code=400, form=typed(data), errors=exc.field_errors,
                                    message=exc.message)
        if is_htmx(request):
            return render(request, "inspections/inspection.html", block="attendees", inspection=inspection,
                          attendees=await _attendees(inspection_id), kind_labels=ATTENDEE_KIND_LABELS,
                          party_choices=await _attendee_party_choices(), can_inspect=True, form={}, errors={},
                          message=None, added=True)
        return done(request, f"/inspections/{inspection_id}", _("Attendee recorded."))
