"""The owner's pages: sign in with the one-time code from the delivery notice,
then their own units only: batch dates and place, booking a delivery time,
the settlement statement, the signed confirmation and the key receipt."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from server.accounts import roles
from server.accounts.services import session_create, session_delete
from server.accounts.tables import UnitOwner
from server.clock import local_time
from server.delivery import access, day, owner_codes
from server.delivery.owner_homes import owner_homes
from server.errors import Conflict, Invalid, TooManyAttempts, Unauthenticated
from server.i18n import _
from server.org.access import unit_for
from server.org.pages import Form, done
from server.repairs.timeline import unit_timelines
from server.settings import get_settings
from server.web.flash import flash
from server.web.guards import allow, current_user
from server.web.middleware import SESSION_COOKIE, client_address
from server.web.templating import render


@get("/owner/sign-in")
async def sign_in_page(request: Request, m: str | None = None, c: str | None = None,
                       next: str | None = None) -> Response:
    """The link on the notice fills the form in; only pressing the button uses the code up
    (a link preview that fetches the page does not). `next`: an owner page to go on to (a unit's QR code)."""
    return render(request, "delivery/owner_sign_in.html", form={"mobile": m or "", "code": c or ""}, error=None,
                  errors={}, next=_owner_next(next))


def _owner_next(target: Any) -> str:
    """Only this site's owner pages: never a redirect to another host."""
    text = str(target or "")
    return text if text.startswith("/owner/") and not text.startswith("//") and "\\" not in text else "/owner"


@post("/owner/sign-in", status_code=303)
async def sign_in(request: Request, data: Form) -> Response:
    mobile, code = str(data.get("mobile") or "").strip(), str(data.get("code") or "").strip()
    try:
        user = await owner_codes.redeem(mobile, code, client_address(request.scope))
    except (Invalid, Unauthenticated, TooManyAttempts) as exc:
        return render(request, "delivery/owner_sign_in.html", status_code=exc.status_code,
                      form={"mobile": mobile, "code": code}, error=exc.message,
                      errors=getattr(exc, "field_errors", None) or {}, next=_owner_next(data.get("next")))
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await session_delete(old)
    raw = await session_create(user, client_address(request.scope), request.headers.get("user-agent", ""))
    response = Redirect(path=_owner_next(data.get("next")), status_code=303)
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", path="/",
                        max_age=get_settings().session_days * 86400)
    return flash(response, _("Welcome. You are signed in."))


class OwnerPages(Controller):
    path = "/owner"
    guards = [allow(roles.OWNER)]

    @get("/")
    async def home(self, request: Request) -> Response:
        return await self._page(request)

    async def _page(self, request: Request, *, refused: dict | None = None, status_code: int = 200) -> Response:
        """The owner's homes; `refused` = {unit id: message} puts a refused booking's
        reason beside that home's times (with the time chosen kept)."""
        user = current_user(request)
        unit_ids = [r["unit"] for r in await UnitOwner.select(UnitOwner.unit).where(
            UnitOwner.user == user.id).order_by(UnitOwner.unit).run()]
        homes = await owner_homes(unit_ids)  # every home, in a fixed number of queries
        timelines = await unit_timelines(unit_ids, staff=False)  # likewise: each home's latest events
        return render(request, "delivery/owner_home.html", status_code=status_code, homes=homes,
                      timelines=timelines, stages=day.STAGES, when=local_time, refused=refused or {})

    @post("/units/{unit_id:int}/appointment")
    async def book(self, request: Request, unit_id: int, data: Form) -> Response:
        user = current_user(request)
        await unit_for(user, unit_id)
        try:
            await day.book(actor=user, unit_id=unit_id, slot_id=data.get("slot_id"),
                           client_id=data.get("client_id") or None)
        except (Invalid, Conflict) as exc:
            # Said beside the times, not only at the top of a long page.
            message = next(iter(exc.field_errors.values()), exc.message) if exc.field_errors else exc.message
            return await self._page(request, refused={unit_id: {"message": message, "slot": data.get("slot_id")}},
                                    status_code=exc.status_code)
        return done(request, f"/owner#unit-{unit_id}", _("Your delivery time is booked."))

    @post("/appointments/{appointment_id:int}/cancel")
    async def cancel(self, request: Request, appointment_id: int) -> Response:
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        try:
            await day.cancel(actor=user, appointment=appointment)
        except Conflict as exc:
            return await self._page(request, refused={appointment.unit: {"message": exc.message}},
                                    status_code=exc.status_code)
        return done(request, f"/owner#unit-{appointment.unit}", _("Your booking is cancelled."))


OWNER_PAGES = [sign_in_page, sign_in, OwnerPages]
