"""One record per home: the staff unit page (`/units/{id}`, every staff role)
and the owner's (`/owner/units/{id}`, their own homes only: another home is a
404). Both show the home's whole life as one timeline (server/repairs/timeline.py);
the owner's leaves out what is internal (see that module)."""
from __future__ import annotations

from litestar import Controller, Request, Response, get

from server.accounts import roles
from server.clock import local_time
from server.org.access import unit_for
from server.repairs import selectors
from server.repairs.timeline import unit_timeline
from server.web.guards import allow, current_user
from server.web.templating import render


async def _page(request: Request, unit_id: int, *, staff: bool) -> Response:
    await unit_for(current_user(request), unit_id)  # a home the caller may not see: 404
    place = await selectors.unit_place(unit_id)
    return render(request, "repairs/unit_record.html", place=place, when=local_time,
                  delivered_on=await selectors.delivery_day(unit_id),
                  events=await unit_timeline(unit_id, staff=staff),
                  report_link=None if staff else f"/owner/units/{unit_id}/repairs/new",
                  back="/repairs" if staff else "/owner")


class StaffUnitRecord(Controller):
    path = "/units"
    include_in_schema = False

    @get("/{unit_id:int}", guards=[allow(*roles.STAFF)])
    async def record(self, request: Request, unit_id: int) -> Response:
        return await _page(request, unit_id, staff=True)


class OwnerUnitRecord(Controller):
    path = "/owner/units"
    include_in_schema = False

    @get("/{unit_id:int}", guards=[allow(roles.OWNER)])
    async def record(self, request: Request, unit_id: int) -> Response:
        return await _page(request, unit_id, staff=False)


TIMELINE_PAGES = [StaffUnitRecord, OwnerUnitRecord]
