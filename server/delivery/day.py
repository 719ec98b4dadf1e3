"""Delivery day (现场交付): time slots, owners' bookings, the check-in queue,
the owner's walkthrough, the signed delivery confirmation.

An appointment moves booked -> checked_in -> walkthrough -> signed (or is
cancelled); it is "done" once the keys have gone to the owner, which is the
key-handover record (`to: "owner"`) of server/handover, not a state here.
The walkthrough is an inspection of kind delivery_walkthrough: its defects
are captured with the inspection's own pages and go to rectification like
any other. The confirmation is a legal record: written once, hashed, never
changed (database triggers); a correction is a new record.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from server import clock
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.clock import CHINA, day_start
from server.db import lock_row, write_transaction
from server.delivery.tables import Appointment, DeliveryBatch, DeliveryBatchUnit, DeliveryConfirmation, DeliverySlot
from server.errors import Conflict, Invalid
from server.handover.services import canonical_content
from server.handover.signatures import BadSignature, signature_from_data_url
from server.handover.tables import KeyHandover
from server.i18n import _, lazy_gettext as _l
from server.inspections.tables import Defect
from server.notifications import handoffs
from server.notifications.services import send_soon
from server.once import create_once
from server.org.tables import Unit
from server.photos.storage import get_storage, read_bytes

ACTIVE = ("booked", "checked_in", "walkthrough", "signed")
STAGES = {
    "booked": (_l("Booked"), "grey"),
    "checked_in": (_l("Waiting"), "blue"),
    "walkthrough": (_l("Walking through"), "orange"),
    "signed": (_l("Signed, keys to hand over"), "orange"),
    "done": (_l("Keys handed over"), "green"),
    "cancelled": (_l("Cancelled"), "grey"),
}
MAX_SLOTS = 200


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        raise _invalid({"client_id": _("This is not a valid identifier.")}) from None


# ---------------------------------------------------------------- slots

def _clock(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat((text or "").strip())
    except ValueError:
        return None


async def slots_generate(*, actor: Any, batch: DeliveryBatch, day: dt.date | None, start: str, end: str,
                         minutes: Any, capacity: Any) -> int:
    """Slots of `minutes` from start to end (China time) on a day of the batch; returns how many were made."""
    errors: dict[str, str] = {}
    if day is None or not batch.starts_on <= day <= batch.ends_on:
        errors["day"] = _("Choose a day between the batch's first and last delivery day.")
    first, last = _clock(start), _clock(end)
    if first is None:
        errors["start"] = _("Enter a time such as 09:00.")
    if last is None:
        errors["end"] = _("Enter a time such as 09:00.")
    elif first is not None and last <= first:
        errors["end"] = _("The end must be after the start.")
    length = _whole(minutes, 10, 240)
    if length is None:
        errors["minutes"] = _("Enter whole minutes from 10 to 240.")
    size = _whole(capacity, 1, 500)
    if size is None:
        errors["capacity"] = _("Enter a whole number from 1 to 500.")
    if errors:
        raise _invalid(errors)
    starts = dt.datetime.combine(day, first, CHINA)
    finish = dt.datetime.combine(day, last, CHINA)
    slots = []
    while starts + dt.timedelta(minutes=length) <= finish and len(slots) < MAX_SLOTS:
        slots.append(DeliverySlot(batch=batch.id, starts_at=starts, ends_at=starts + dt.timedelta(minutes=length),
                                  capacity=size))
        starts += dt.timedelta(minutes=length)
    if not slots:
        raise _invalid({"minutes": _("No slot of this length fits between the start and the end.")})
    async with write_transaction():
        await DeliverySlot.insert(*slots).run()
        await audit_record(actor=actor, object_type="delivery_batch", object_id=batch.id, action="slots_add",
                           details={"day": day.isoformat(), "slots": len(slots), "capacity": size})
    return len(slots)


def _whole(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


async def slots_of(batch_id: int, *, upcoming_only: bool = False) -> list[dict]:
    """The batch's slots in time order with how many are booked and how many places are left (2 queries)."""
    return (await slots_of_batches([batch_id], upcoming_only=upcoming_only)).get(batch_id, [])


async def slots_of_batches(batch_ids: list[int], *, upcoming_only: bool = False) -> dict[int, list[dict]]:
    """slots_of for several batches at once: {batch id: its slots} (2 queries)."""
    query = DeliverySlot.select().where(DeliverySlot.batch.is_in(list(batch_ids) or [-1]))
    if upcoming_only:
        query = query.where(DeliverySlot.starts_at > now())
    slots = await query.order_by(DeliverySlot.starts_at).run()
    booked: dict[int, int] = {}
    for row in await Appointment.select(Appointment.slot).where(
            Appointment.slot.is_in([s["id"] for s in slots] or [-1]) & Appointment.status.is_in(list(ACTIVE))).run():
        booked[row["slot"]] = booked.get(row["slot"], 0) + 1
    by_batch: dict[int, list[dict]] = {}
    for slot in slots:
        slot["booked"] = booked.get(slot["id"], 0)
        slot["left"] = max(slot["capacity"] - slot["booked"], 0)
        by_batch.setdefault(slot["batch"], []).append(slot)
    return by_batch


# ---------------------------------------------------------------- bookings

async def appointment_of_unit(unit_id: int) -> Appointment | None:
    return await Appointment.objects().where((Appointment.unit == unit_id) & Appointment.status.is_in(
        list(ACTIVE))).order_by(Appointment.id, ascending=False).first().run()


async def book(*, actor: Any, unit_id: int, slot_id: Any, client_id: Any = None) -> tuple[Appointment, bool]:
    """Book (or move) the unit's delivery appointment; (appointment, created). A full slot is a 409."""
    uuid_ = _uuid(client_id)
    return await create_once(uuid_, find=lambda known: Appointment.objects().get(Appointment.client_id == known).run(),
                             create=lambda: _book(actor=actor, unit_id=unit_id, slot_id=slot_id, client_id=uuid_))


async def _book(*, actor: Any, unit_id: int, slot_id: Any, client_id: uuid.UUID | None) -> tuple[Appointment, bool]:
    try:
        slot = await DeliverySlot.objects().get(DeliverySlot.id == int(slot_id)).run()
    except (TypeError, ValueError):
        slot = None
    link = await DeliveryBatchUnit.objects().get(DeliveryBatchUnit.unit == unit_id).run()
    if slot is None or link is None or slot.batch != link.batch:
        raise _invalid({"slot_id": _("Choose one of the times offered.")})
    if slot.starts_at <= now():
        raise _invalid({"slot_id": _("This time has passed. Choose a later one.")})
    async with write_transaction():
        # Two phones booking at once: the unit, then the slot, one booking at a time.
        await lock_row(DeliveryBatchUnit, link.id)
        await lock_row(DeliverySlot, slot.id)
        current = await appointment_of_unit(unit_id)
        if not may_move(current):
            raise Conflict(_("This unit has already checked in: its appointment can no longer be moved."))
        if current is not None and current.slot == slot.id:
            return current, False
        taken = await Appointment.count().where((Appointment.slot == slot.id)
                                                & Appointment.status.is_in(list(ACTIVE))).run()
        if taken >= slot.capacity:
            raise Conflict(_("This time is fully booked. Choose another."))
        if current is not None:
            await _set_status(actor, current, "cancelled", action="rebook")
        appointment = Appointment(batch=slot.batch, unit=unit_id, slot=slot.id, client_id=client_id,
                                  booked_by=getattr(actor, "id", None))
        await appointment.save().run()
        await audit_record(actor=actor, object_type="appointment", object_id=appointment.id, action="book",
                           to_state="booked", details={"unit_id": unit_id, "slot_id": slot.id})
        told = await handoffs.appointment_changed(actor=actor, appointment=appointment, action="book")
    await send_soon(told)
    return appointment, True


async def _set_status(actor: Any, appointment: Appointment, target: str, *, action: str, **changes: Any) -> None:
    await compare_and_set(appointment, target, actor=actor, object_type="appointment", action=action,
                          conflict_message=_("Someone else changed this appointment just now. Reload to see it."),
                          **changes)


def may_move(appointment: Appointment | None) -> bool:
    """A unit may be booked, or its booking moved or cancelled, until the owner checks in."""
    return appointment is None or appointment.status == "booked"


def _require(appointment: Appointment, *states: str) -> None:
    if appointment.status not in states:
        raise Conflict(_("This step does not fit the appointment's current state (%(state)s).",
                         state=str(STAGES.get(appointment.status, (appointment.status,))[0])))


async def cancel(*, actor: Any, appointment: Appointment) -> None:
    _require(appointment, "booked")
    async with write_transaction():
        await _set_status(actor, appointment, "cancelled", action="cancel")
        told = await handoffs.appointment_changed(actor=actor, appointment=appointment, action="cancel")
    await send_soon(told)


async def check_in(*, actor: Any, appointment: Appointment) -> int:
    """The owner has arrived: next number in the day's queue for the batch."""
    _require(appointment, "booked")
    async with write_transaction():
        await lock_row(DeliveryBatch, appointment.batch)  # two desks checking in at once get two numbers
        slot = await DeliverySlot.objects().get(DeliverySlot.id == appointment.slot).run()
        start = day_start(slot.starts_at.astimezone(CHINA).date())
        same_day = DeliverySlot.select(DeliverySlot.id).where(
            (DeliverySlot.batch == appointment.batch) & (DeliverySlot.starts_at >= start)
            & (DeliverySlot.starts_at < start + dt.timedelta(days=1)))
        rows = await Appointment.select(Appointment.queue_number).where(
            Appointment.slot.is_in(same_day) & Appointment.queue_number.is_not_null()).order_by(
            Appointment.queue_number, ascending=False).first().run()
        number = (rows["queue_number"] if rows else 0) + 1
        await _set_status(actor, appointment, "checked_in", action="check_in", queue_number=number,
                          checked_in_at=now())
    return number


async def start_walkthrough(*, actor: Any, appointment: Appointment) -> int:
    """The owner walks the unit with staff: an inspection of kind delivery_walkthrough, started."""
    from server.inspections import services as inspections

    _require(appointment, "checked_in", "walkthrough")
    if appointment.walkthrough:
        return appointment.walkthrough
    inspection, _created = await inspections.inspection_create(
        actor=actor, unit_id=appointment.unit, inspector_id=getattr(actor, "id", None)
        if getattr(actor, "role", "") in ("inspector", "cs_staff") else None,
        scheduled_for=clock.today(), kind="delivery_walkthrough",
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"appointment:{appointment.id}:walkthrough"))
    if inspection.status == "planned":
        await inspections.inspection_start(actor=actor, inspection=inspection)
    async with write_transaction():
        await _set_status(actor, appointment, "walkthrough", action="walkthrough", walkthrough=inspection.id)
    return inspection.id


def _defect_rows(where: Any) -> Any:
    return Defect.select(Defect.id, Defect.room, Defect.category, Defect.severity, Defect.description,
                         Defect.status).where(where).order_by(Defect.id)


async def walkthrough_defects(inspection_id: int | None) -> list[dict]:
    return await _defect_rows(Defect.inspection == inspection_id).run() if inspection_id else []


async def defects_listed(defect_ids: list[int]) -> list[dict]:
    """The defects a confirmation lists (as they are now: they may have been rectified since)."""
    return await _defect_rows(Defect.id.is_in(defect_ids or [-1])).run()


# ---------------------------------------------------------------- confirmation

async def confirm(*, actor: Any, appointment: Appointment, owner_name: str, manual_handed_over: bool,
                  guarantee_handed_over: bool, signature: Any, remarks: str = "",
                  client_id: Any = None, corrects_id: int | None = None) -> tuple[DeliveryConfirmation, bool]:
    """The owner signs the delivery confirmation; the walkthrough (if any) is
    finished, so its defects go to rectification with notices. A correction
    (`corrects_id`) is a new, newly signed record pointing at the one it
    corrects, which stays as it was."""
    uuid_ = _uuid(client_id)
    return await create_once(
        uuid_, find=lambda known: DeliveryConfirmation.objects().get(DeliveryConfirmation.client_id == known).run(),
        create=lambda: _confirm(actor=actor, appointment=appointment, owner_name=owner_name,
                                manual_handed_over=manual_handed_over, guarantee_handed_over=guarantee_handed_over,
                                signature=signature, remarks=remarks, uuid_=uuid_, corrects_id=corrects_id))


async def _confirm(*, actor: Any, appointment: Appointment, owner_name: str, manual_handed_over: bool,
                   guarantee_handed_over: bool, signature: Any, remarks: str, uuid_: uuid.UUID | None,
                   corrects_id: int | None) -> tuple[DeliveryConfirmation, bool]:
    from server.inspections import services as inspections
    from server.inspections.tables import Inspection

    errors: dict[str, str] = {}
    owner_name = (owner_name or "").strip()
    if not owner_name:
        errors["owner_name"] = _("This field is required.")
    if not manual_handed_over:
        errors["manual_handed_over"] = _("Hand over the Residential Use Manual and tick it.")
    if not guarantee_handed_over:
        errors["guarantee_handed_over"] = _("Hand over the Quality Guarantee and tick it.")
    try:
        signed = await asyncio.to_thread(signature_from_data_url, signature)
    except BadSignature:
        signed = None
        errors["signature"] = _("The owner must sign on the screen.")
    if corrects_id is not None and not await DeliveryConfirmation.exists().where(
            (DeliveryConfirmation.id == corrects_id) & (DeliveryConfirmation.appointment == appointment.id)).run():
        errors["corrects_id"] = _("A correction must point at a confirmation of the same appointment.")
    if errors:
        raise _invalid(errors)
    if corrects_id is not None:
        _require(appointment, "signed")
    else:
        _require(appointment, "checked_in", "walkthrough")
    if appointment.walkthrough:
        walk = await Inspection.objects().get(Inspection.id == appointment.walkthrough).run()
        if walk is not None and walk.status == "in_progress":
            try:
                await inspections.inspection_complete(actor=actor, inspection=walk)
            except Conflict:
                # Completed meanwhile by a try of the same confirmation sent twice: carry on with it done.
                if await Inspection.exists().where((Inspection.id == walk.id)
                                                   & (Inspection.status == "in_progress")).run():
                    raise
    defect_ids = [d["id"] for d in await walkthrough_defects(appointment.walkthrough)]
    storage = get_storage()
    key = f"signatures/{uuid.uuid4().hex}.png"
    await storage.put_bytes(key, signed.png)
    created_at = now()
    fields = {
        "unit": appointment.unit, "appointment": appointment.id, "client_id": str(uuid_) if uuid_ else None,
        "owner_name": owner_name[:100], "manual_handed_over": True, "guarantee_handed_over": True,
        "defect_ids": defect_ids, "remarks": (remarks or "").strip(), "signature_sha256": signed.sha256,
        "corrects": corrects_id, "created_by": getattr(actor, "id", None), "created_at": created_at.isoformat(),
    }
    record = DeliveryConfirmation(
        unit=appointment.unit, appointment=appointment.id, client_id=uuid_, owner_name=fields["owner_name"],
        manual_handed_over=True, guarantee_handed_over=True, defect_ids=defect_ids, remarks=fields["remarks"],
        signature_key=key, signature_sha256=signed.sha256, corrects=corrects_id, created_by=fields["created_by"],
        created_at=created_at,
        content_sha256=hashlib.sha256(canonical_content(fields)).hexdigest())
    try:
        async with write_transaction():
            if corrects_id is None:
                await _set_status(actor, appointment, "signed", action="confirm")
            await record.save().run()
            await audit_record(actor=actor, object_type="unit", object_id=appointment.unit,
                               action="delivery_confirmation", details={"confirmation_id": record.id,
                                                                         "sha256": record.content_sha256,
                                                                         "corrects": corrects_id})
    except BaseException:
        await storage.delete(key)
        raise
    return record, True


def confirmation_fields(record: DeliveryConfirmation) -> dict[str, Any]:
    defects = record.defect_ids if isinstance(record.defect_ids, list) else json.loads(record.defect_ids or "[]")
    return {
        "unit": record.unit, "appointment": record.appointment,
        "client_id": str(record.client_id) if record.client_id else None, "owner_name": record.owner_name,
        "manual_handed_over": record.manual_handed_over, "guarantee_handed_over": record.guarantee_handed_over,
        "defect_ids": defects, "remarks": record.remarks, "signature_sha256": record.signature_sha256,
        "corrects": record.corrects, "created_by": record.created_by, "created_at": record.created_at.isoformat(),
    }


async def confirmation_verify(record: DeliveryConfirmation) -> bool:
    """True while the stored content and the signature image still match their hashes."""
    if hashlib.sha256(await read_bytes(record.signature_key)).hexdigest() != record.signature_sha256:
        return False
    return hashlib.sha256(canonical_content(confirmation_fields(record))).hexdigest() == record.content_sha256


# ---------------------------------------------------------------- the queue

async def queue(batch_id: int, day: dt.date) -> list[dict]:
    """The day's appointments of the batch in slot order, each with its stage (3 queries)."""
    start = day_start(day)
    slots = {s["id"]: s for s in await DeliverySlot.select().where(
        (DeliverySlot.batch == batch_id) & (DeliverySlot.starts_at >= start)
        & (DeliverySlot.starts_at < start + dt.timedelta(days=1))).run()}
    rows = await Appointment.select(
        Appointment.all_columns(), Appointment.unit.number.as_alias("number"),
        Appointment.unit.building.name.as_alias("building")).where(
        Appointment.slot.is_in(list(slots) or [-1]) & (Appointment.status != "cancelled")).order_by(
        Appointment.id).run()
    handed = {r["unit"] for r in await KeyHandover.select(KeyHandover.unit).where(
        KeyHandover.unit.is_in([r["unit"] for r in rows] or [-1]) & (KeyHandover.to == "owner")).run()}
    for row in rows:
        row["slot_row"] = slots[row["slot"]]
        row["stage"] = "done" if row["status"] == "signed" and row["unit"] in handed else row["status"]
    rows.sort(key=lambda r: (r["slot_row"]["starts_at"], r["queue_number"] or 10**6, r["id"]))
    return rows


async def unit_row(unit_id: int) -> dict | None:
    return await Unit.select(Unit.id, Unit.number, Unit.status, Unit.building.name.as_alias("building"),
                             Unit.building.project.name.as_alias("project")).where(Unit.id == unit_id).first().run()
