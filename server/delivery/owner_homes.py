"""What the owner's home page shows for each of their homes: the batch, the
booking and its time, the times still open, the signed confirmation and the key
receipt. A selector: a fixed number of queries however many homes (no query per home)."""
from __future__ import annotations

from itertools import groupby

from server.clock import local_time
from server.db import newest_by
from server.delivery import day
from server.delivery.tables import (Appointment, DeliveryBatch, DeliveryBatchUnit, DeliveryConfirmation,
                                    DeliverySlot)
from server.handover.tables import KeyHandover
from server.org.tables import Unit


async def owner_homes(unit_ids: list[int]) -> list[dict]:
    """One entry per unit, in the order given (at most 10 queries in all; a query whose ids are known to
    be none is not sent: a home delivered before the software has no batch, slots or booking)."""
    ids = list(unit_ids) or [-1]
    units = {u["id"]: u for u in await Unit.select(
        Unit.id, Unit.number, Unit.status, Unit.building.name.as_alias("building"),
        Unit.building.project.name.as_alias("project")).where(Unit.id.is_in(ids)).run()}
    batch_of = {r["unit"]: r["batch"] for r in await DeliveryBatchUnit.select(
        DeliveryBatchUnit.unit, DeliveryBatchUnit.batch).where(DeliveryBatchUnit.unit.is_in(ids)).run()}
    batch_ids = sorted(set(batch_of.values()))
    batches = {b.id: b for b in await DeliveryBatch.objects().where(
        DeliveryBatch.id.is_in(batch_ids)).run()} if batch_ids else {}
    appointments = newest_by(await Appointment.objects().where(
        Appointment.unit.is_in(ids) & Appointment.status.is_in(list(day.ACTIVE))).order_by(Appointment.id).run())
    booked = {s["id"]: s for s in await DeliverySlot.select().where(DeliverySlot.id.is_in(
        [a.slot for a in appointments.values()])).run()} if appointments else {}
    open_slots = await day.slots_of_batches(batch_ids, upcoming_only=True) if batch_ids else {}
    confirmations = newest_by(await DeliveryConfirmation.objects().where(
        DeliveryConfirmation.unit.is_in(ids)).order_by(DeliveryConfirmation.id).run())
    handovers = newest_by(await KeyHandover.objects().where(
        KeyHandover.unit.is_in(ids) & (KeyHandover.to == "owner")).order_by(KeyHandover.id).run())
    homes = []
    for unit_id in unit_ids:
        if unit_id not in units:
            continue
        batch = batches.get(batch_of.get(unit_id))
        appointment = appointments.get(unit_id)
        slots = open_slots.get(batch.id, []) if batch else []
        slot_days = [(date, list(rows)) for date, rows in groupby(
            slots, key=lambda s: local_time(s["starts_at"], "%m-%d"))]
        homes.append({"unit": units[unit_id], "batch": batch, "appointment": appointment,
                      "slot": booked.get(appointment.slot) if appointment else None, "slots": slots,
                      "slot_days": slot_days, "confirmation": confirmations.get(unit_id),
                      "handover": handovers.get(unit_id),
                      "may_book": batch is not None and day.may_move(appointment)})
    return homes
