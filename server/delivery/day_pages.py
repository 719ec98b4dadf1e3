"""Delivery-day pages for staff on site: the check-in list, one appointment
(check in, walkthrough with defect capture, the owner's signature, then keys),
and the printable delivery confirmation (staff and the unit's owner)."""
from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post

from server import clock
from server.clock import local_time
from server.delivery import access, day
from server.delivery.tables import DeliveryBatch, DeliveryConfirmation, DeliverySlot
from server.errors import Conflict, Invalid
from server.handover.tables import KeyHandover
from server.i18n import _
from server.org.pages import Form, done, opt_int, typed
from server.web.guards import allow, current_user, signed_in
from server.web.templating import render


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return clock.today()


class DeliveryDayPages(Controller):
    path = "/delivery"

    @get("/batches/{batch_id:int}/day", guards=[allow(*access.DAY_STAFF)])
    async def queue(self, request: Request, batch_id: int, on: str | None = None) -> Response:
        batch = await access.batch_for(current_user(request), batch_id)
        when = _day(on)
        rows = await day.queue(batch_id, when)
        days = [batch.starts_on + dt.timedelta(days=i) for i in range((batch.ends_on - batch.starts_on).days + 1)][:31]
        counts = {stage: sum(r["stage"] == stage for r in rows) for stage in day.STAGES}
        return render(request, "delivery/day.html", batch=batch, rows=rows, on=when, days=days, counts=counts,
                      stages=day.STAGES, when=local_time)

    async def _appointment_page(self, request: Request, appointment_id: int, *, form: dict | None = None,
                                errors: dict | None = None, message: str | None = None,
                                status_code: int = 200) -> Response:
        appointment = await access.appointment_for(current_user(request), appointment_id)
        slot = await DeliverySlot.objects().get(DeliverySlot.id == appointment.slot).run()
        batch = await DeliveryBatch.objects().get(DeliveryBatch.id == appointment.batch).run()
        confirmation = await DeliveryConfirmation.objects().where(
            DeliveryConfirmation.appointment == appointment.id).order_by(
            DeliveryConfirmation.id, ascending=False).first().run()
        handover = await KeyHandover.objects().where(
            (KeyHandover.unit == appointment.unit) & (KeyHandover.to == "owner")).order_by(
            KeyHandover.id, ascending=False).first().run()
        stage = "done" if appointment.status == "signed" and handover else appointment.status
        return render(request, "delivery/appointment.html", status_code=status_code,
                      block="confirm_form" if status_code != 200 else None, appointment=appointment, slot=slot,
                      batch=batch, unit=await day.unit_row(appointment.unit), stage=stage, stages=day.STAGES,
                      defects=await day.walkthrough_defects(appointment.walkthrough), confirmation=confirmation,
                      handover=handover, form=form or {}, errors=errors or {}, message=message, when=local_time)

    @get("/appointments/{appointment_id:int}", guards=[allow(*access.DAY_STAFF)])
    async def appointment(self, request: Request, appointment_id: int, corrects: str | None = None) -> Response:
        """`?corrects=<confirmation id>` opens the confirmation form again for a correction (a new record)."""
        return await self._appointment_page(request, appointment_id, form={"corrects_id": corrects} if corrects else None)

    @post("/appointments/{appointment_id:int}/check-in", guards=[allow(*access.DAY_STAFF)])
    async def check_in(self, request: Request, appointment_id: int) -> Response:
        appointment = await access.appointment_for(current_user(request), appointment_id)
        number = await day.check_in(actor=current_user(request), appointment=appointment)
        return done(request, f"/delivery/appointments/{appointment_id}", _("Checked in: number %(n)s.", n=number))

    @post("/appointments/{appointment_id:int}/walkthrough", guards=[allow(*access.DAY_STAFF)])
    async def walkthrough(self, request: Request, appointment_id: int) -> Response:
        appointment = await access.appointment_for(current_user(request), appointment_id)
        await day.start_walkthrough(actor=current_user(request), appointment=appointment)
        return done(request, f"/delivery/appointments/{appointment_id}#walkthrough",
                    _("Walkthrough started. Record what the owner points out."))

    @post("/appointments/{appointment_id:int}/confirmation", guards=[allow(*access.DAY_STAFF)])
    async def confirm(self, request: Request, appointment_id: int, data: Form) -> Response:
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        try:
            record, _created = await day.confirm(
                actor=user, appointment=appointment, owner_name=str(data.get("owner_name") or ""),
                manual_handed_over=data.get("manual_handed_over") == "on",
                guarantee_handed_over=data.get("guarantee_handed_over") == "on",
                signature=data.get("signature"), remarks=str(data.get("remarks") or ""),
                client_id=data.get("client_id") or None, corrects_id=opt_int(data.get("corrects_id")))
        except Invalid as exc:
            return await self._appointment_page(request, appointment_id, form=typed(data),
                                                errors=exc.field_errors, message=exc.message, status_code=400)
        except Conflict as exc:
            return await self._appointment_page(request, appointment_id, form=typed(data), message=exc.message,
                                                status_code=409)
        return done(request, f"/delivery/appointments/{appointment_id}?signed={record.id}#keys",
                    _("Delivery confirmation signed (#%(id)s). Now hand over the keys.", id=record.id))

    @get("/confirmations/{confirmation_id:int}", guards=[signed_in])
    async def confirmation(self, request: Request, confirmation_id: int) -> Response:
        record = await access.confirmation_for(current_user(request), confirmation_id)
        return render(request, "delivery/confirmation.html", **await confirmation_context(record),
                      may_correct=current_user(request).role in access.DAY_STAFF)


async def confirmation_context(record: DeliveryConfirmation) -> dict:
    """What the confirmation shows of a record the caller may see (the page and its PDF)."""
    fields = day.confirmation_fields(record)
    later = await DeliveryConfirmation.select(DeliveryConfirmation.id).where(
        DeliveryConfirmation.corrects == record.id).run()
    return {"record": record, "unit": await day.unit_row(record.unit),
            "defects": await day.defects_listed(fields["defect_ids"]), "intact": await day.confirmation_verify(record),
            "corrected_by": [r["id"] for r in later], "when": local_time}


DELIVERY_DAY_PAGES = [DeliveryDayPages]
