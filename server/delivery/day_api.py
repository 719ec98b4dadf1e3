"""JSON API: delivery batches with readiness, owner accounts, time slots,
appointments, the delivery-day queue and the signed confirmation."""
from __future__ import annotations

from typing import Optional

import msgspec
from litestar import Controller, Request, Response, get, post

from server import clock
from server.accounts import roles
from server.accounts.tables import UnitOwner
from server.delivery import access, batches, day
from server.delivery.tables import Appointment, DeliveryBatch, DeliveryBatchUnit, DeliveryConfirmation
from server.errors import Invalid
from server.i18n import _
from server.org.access import project_for, unit_for
from server.org.pages import form_date
from server.photos.storage import read_bytes
from server.web.guards import allow, current_user, signed_in


class BatchIn(msgspec.Struct):
    name: str
    starts_on: str
    ends_on: str
    place: str = ""
    what_to_bring: str = ""
    building_id: Optional[int] = None


class BatchOut(msgspec.Struct):
    id: int
    project_id: int
    building_id: Optional[int]
    name: str
    starts_on: str
    ends_on: str
    place: str
    what_to_bring: str
    procedure_id: Optional[int] = None
    warnings: list[str] = msgspec.field(default_factory=list)
    """On creation: e.g. too few days left for the delivery preparation (its steps are then due sooner)."""


class UnitReadiness(msgspec.Struct):
    unit_id: int
    building: str
    unit: str
    status: str
    ready: bool
    lacks: list[str]
    """Codes: inspection (has not passed), keys (not yet with the CS center)."""
    lacks_text: list[str]
    delivered: bool


class SlotsIn(msgspec.Struct):
    day: str
    start: str
    end: str
    minutes: int = 30
    capacity: int = 5


class SlotOut(msgspec.Struct):
    id: int
    starts_at: str
    ends_at: str
    capacity: int
    booked: int
    left: int


class BookingIn(msgspec.Struct):
    slot_id: int
    client_id: Optional[str] = None


class AppointmentOut(msgspec.Struct):
    id: int
    batch_id: int
    unit_id: int
    slot_id: int
    status: str
    queue_number: Optional[int]
    walkthrough_inspection_id: Optional[int]
    client_id: Optional[str]


class ConfirmationIn(msgspec.Struct):
    owner_name: str
    manual_handed_over: bool
    guarantee_handed_over: bool
    signature: str
    """The owner's signature as a PNG data URL from the signature pad."""
    remarks: str = ""
    client_id: Optional[str] = None
    corrects_id: Optional[int] = None
    """Set to correct an earlier confirmation: a new signed record; the old one stays as it is."""


class ConfirmationOut(msgspec.Struct):
    id: int
    unit_id: int
    appointment_id: Optional[int]
    owner_name: str
    manual_handed_over: bool
    guarantee_handed_over: bool
    defect_ids: list[int]
    remarks: str
    corrects_id: Optional[int]
    content_sha256: str
    created_at: str
    intact: Optional[bool] = None


def batch_out(batch: DeliveryBatch, procedure_id: int | None) -> BatchOut:
    return BatchOut(id=batch.id, project_id=batch.project, building_id=batch.building, name=batch.name,
                    starts_on=batch.starts_on.isoformat(), ends_on=batch.ends_on.isoformat(), place=batch.place,
                    what_to_bring=batch.what_to_bring, procedure_id=procedure_id)


async def batches_out(rows: list[DeliveryBatch]) -> list[BatchOut]:
    procedures = await batches.preparations_of([b.id for b in rows])
    return [batch_out(b, procedures.get(b.id)) for b in rows]


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(id=a.id, batch_id=a.batch, unit_id=a.unit, slot_id=a.slot, status=a.status,
                          queue_number=a.queue_number, walkthrough_inspection_id=a.walkthrough,
                          client_id=str(a.client_id) if a.client_id else None)


def confirmation_out(r: DeliveryConfirmation, intact: bool | None = None) -> ConfirmationOut:
    fields = day.confirmation_fields(r)
    return ConfirmationOut(id=r.id, unit_id=r.unit, appointment_id=r.appointment, owner_name=r.owner_name,
                           manual_handed_over=r.manual_handed_over, guarantee_handed_over=r.guarantee_handed_over,
                           defect_ids=fields["defect_ids"], remarks=r.remarks, corrects_id=r.corrects,
                           content_sha256=r.content_sha256,
                           created_at=r.created_at.isoformat(), intact=intact)


class DeliveryBatchApi(Controller):
    path = "/api/v1"
    tags = ["Delivery"]

    @post("/projects/{project_id:int}/delivery-batches", guards=[allow(*access.ORGANISERS)], status_code=201)
    async def create(self, request: Request, project_id: int, data: BatchIn) -> BatchOut:
        """A batch of a building's units (building_id) or of the whole project, leaving out units already
        in a batch. Starts the 10-step delivery preparation procedure for it, every step due on or before
        the first delivery day; `warnings` says when fewer days are left than the preparation takes."""
        user = current_user(request)
        await project_for(user, project_id)
        errors: dict[str, str] = {}
        starts, ends = form_date(data.starts_on, "starts_on", errors), form_date(data.ends_on, "ends_on", errors)
        if errors:
            raise Invalid(_("Please correct the marked fields."), field_errors=errors)
        batch, _count = await batches.batch_create(
            actor=user, project_id=project_id, name=data.name, starts_on=starts, ends_on=ends, place=data.place,
            what_to_bring=data.what_to_bring, building_id=data.building_id)
        out = (await batches_out([batch]))[0]
        warning = batches.preparation_warning(batch.starts_on)
        out.warnings = [warning] if warning else []
        return out

    @get("/projects/{project_id:int}/delivery-batches", guards=[allow(*access.READERS)])
    async def list_for_project(self, request: Request, project_id: int) -> dict:
        await project_for(current_user(request), project_id)
        rows = await DeliveryBatch.objects().where(DeliveryBatch.project == project_id).order_by(
            DeliveryBatch.starts_on).run()
        return {"items": await batches_out(rows), "total": len(rows)}

    @get("/delivery-batches/{batch_id:int}", guards=[allow(*access.READERS)])
    async def get_one(self, request: Request, batch_id: int) -> dict:
        """The batch with each unit's readiness: ready when it has passed inspection and the CS center
        has its keys; otherwise `lacks` says what is missing."""
        batch = await access.batch_for(current_user(request), batch_id)
        units = [UnitReadiness(unit_id=u["id"], building=u["building"], unit=u["number"], status=u["status"],
                               ready=u["ready"], lacks=u["lacks"], lacks_text=u["lacks_text"],
                               delivered=u["delivered"]) for u in await batches.batch_units(batch_id)]
        return {**msgspec.to_builtins((await batches_out([batch]))[0]), "units": msgspec.to_builtins(units),
                "ready": sum(u.ready for u in units), "total": len(units)}

    @post("/delivery-batches/{batch_id:int}/owners", guards=[allow(*access.ORGANISERS)], status_code=200)
    async def owners(self, request: Request, batch_id: int) -> dict:
        """Owner accounts from the units' contracts (mobile number as user name, no password; they sign in
        with the one-time code on their notice). Run again after contracts change: makes only what is missing."""
        user = current_user(request)
        await access.batch_for(user, batch_id)
        result = await batches.owners_setup(actor=user, batch_id=batch_id)
        return {"accounts_made": result["accounts_made"], "units_linked": result["units_linked"],
                "units_without_mobile": [u["id"] for u in result["units_without_mobile"]]}

    @post("/delivery-batches/{batch_id:int}/slots", guards=[allow(*access.ORGANISERS)], status_code=201)
    async def add_slots(self, request: Request, batch_id: int, data: SlotsIn) -> dict:
        """Time slots of `minutes` between start and end (China time, "09:00") on one day of the batch."""
        user = current_user(request)
        batch = await access.batch_for(user, batch_id)
        errors: dict[str, str] = {}
        when = form_date(data.day, "day", errors)
        if errors:
            raise Invalid(_("Please correct the marked fields."), field_errors=errors)
        made = await day.slots_generate(actor=user, batch=batch, day=when, start=data.start, end=data.end,
                                        minutes=data.minutes, capacity=data.capacity)
        return {"created": made}

    @get("/delivery-batches/{batch_id:int}/slots", guards=[signed_in])
    async def list_slots(self, request: Request, batch_id: int) -> dict:
        """Staff see every slot; an owner of a unit in the batch sees the ones still to come."""
        user = current_user(request)
        if not access.is_staff(user):
            mine = await DeliveryBatchUnit.exists().where((DeliveryBatchUnit.batch == batch_id) & (
                DeliveryBatchUnit.unit.is_in(UnitOwner.select(UnitOwner.unit).where(UnitOwner.user == user.id)))).run()
            if not mine:
                raise access._not_found()
        else:
            await access.batch_for(user, batch_id)
        slots = await day.slots_of(batch_id, upcoming_only=not access.is_staff(user))
        items = [SlotOut(id=s["id"], starts_at=s["starts_at"].isoformat(), ends_at=s["ends_at"].isoformat(),
                         capacity=s["capacity"], booked=s["booked"], left=s["left"]) for s in slots]
        return {"items": msgspec.to_builtins(items), "total": len(items)}

    @get("/delivery-batches/{batch_id:int}/queue", guards=[allow(*access.DAY_STAFF)])
    async def queue(self, request: Request, batch_id: int, on: Optional[str] = None) -> dict:
        """The check-in list of one day (`on`, YYYY-MM-DD, default today): appointments in slot order with their stage
        (booked, checked_in, walkthrough, signed, done)."""
        await access.batch_for(current_user(request), batch_id)
        errors: dict[str, str] = {}
        when = form_date(on, "on", errors) if on else clock.today()
        if errors:
            raise Invalid(_("Please correct the marked fields."), field_errors=errors)
        rows = await day.queue(batch_id, when)
        return {"items": [{"appointment_id": r["id"], "unit_id": r["unit"], "building": r["building"],
                           "unit": r["number"], "slot_starts_at": r["slot_row"]["starts_at"].isoformat(),
                           "queue_number": r["queue_number"], "stage": r["stage"]} for r in rows],
                "total": len(rows)}


class AppointmentApi(Controller):
    path = "/api/v1"
    tags = ["Delivery"]

    @post("/units/{unit_id:int}/appointment", guards=[allow(roles.OWNER, *access.DAY_STAFF)], status_code=201)
    async def book(self, request: Request, unit_id: int, data: BookingIn) -> Response[AppointmentOut]:
        """Book or move the unit's delivery appointment (the owner, or staff for them). A full slot is a 409;
        a repeat client_id answers the first booking (200)."""
        user = current_user(request)
        await unit_for(user, unit_id)
        appointment, created = await day.book(actor=user, unit_id=unit_id, slot_id=data.slot_id,
                                              client_id=data.client_id)
        return Response(appointment_out(appointment), status_code=201 if created else 200)

    @get("/units/{unit_id:int}/appointment", guards=[signed_in])
    async def current(self, request: Request, unit_id: int) -> dict:
        await unit_for(current_user(request), unit_id)
        appointment = await day.appointment_of_unit(unit_id)
        return {"appointment": msgspec.to_builtins(appointment_out(appointment)) if appointment else None}

    @post("/appointments/{appointment_id:int}/cancel", guards=[allow(roles.OWNER, *access.DAY_STAFF)],
          status_code=200)
    async def cancel(self, request: Request, appointment_id: int) -> AppointmentOut:
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        await day.cancel(actor=user, appointment=appointment)
        return appointment_out(appointment)

    @post("/appointments/{appointment_id:int}/check-in", guards=[allow(*access.DAY_STAFF)], status_code=200)
    async def check_in(self, request: Request, appointment_id: int) -> AppointmentOut:
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        await day.check_in(actor=user, appointment=appointment)
        return appointment_out(appointment)

    @post("/appointments/{appointment_id:int}/walkthrough", guards=[allow(*access.DAY_STAFF)], status_code=200)
    async def walkthrough(self, request: Request, appointment_id: int) -> AppointmentOut:
        """Start the owner's walkthrough: an inspection (kind delivery_walkthrough) whose defects are
        recorded with POST /inspections/{id}/defects and go to rectification when the owner signs."""
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        await day.start_walkthrough(actor=user, appointment=appointment)
        return appointment_out(appointment)

    @post("/appointments/{appointment_id:int}/confirmation", guards=[allow(*access.DAY_STAFF)], status_code=201)
    async def confirm(self, request: Request, appointment_id: int,
                      data: ConfirmationIn) -> Response[ConfirmationOut]:
        """The owner's signed delivery confirmation (manual and guarantee handed over). Immutable; a repeat
        client_id answers the first record (200). Keys then go to the owner with a key handover `to: owner`."""
        user = current_user(request)
        appointment = await access.appointment_for(user, appointment_id)
        record, created = await day.confirm(
            actor=user, appointment=appointment, owner_name=data.owner_name,
            manual_handed_over=data.manual_handed_over, guarantee_handed_over=data.guarantee_handed_over,
            signature=data.signature, remarks=data.remarks, client_id=data.client_id, corrects_id=data.corrects_id)
        return Response(confirmation_out(record), status_code=201 if created else 200)

    @get("/delivery-confirmations/{confirmation_id:int}", guards=[signed_in])
    async def confirmation(self, request: Request, confirmation_id: int) -> ConfirmationOut:
        record = await access.confirmation_for(current_user(request), confirmation_id)
        return confirmation_out(record, intact=await day.confirmation_verify(record))

    @get("/delivery-confirmations/{confirmation_id:int}/signature", guards=[signed_in], include_in_schema=False)
    async def signature(self, request: Request, confirmation_id: int) -> Response:
        record = await access.confirmation_for(current_user(request), confirmation_id)
        return Response(await read_bytes(record.signature_key), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})
