"""Delivery batches: the units delivered together, whether each is ready,
and the owner accounts made for them.

A unit is ready for delivery when it has passed inspection and the CS center
has received its keys from the construction unit; otherwise the batch says
what it still lacks. A unit belongs to one batch only.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server import clock
from server.accounts import roles
from server.accounts.passwords import UNUSABLE_PASSWORD
from server.accounts.tables import UnitOwner, User
from server.audit.services import audit_record
from server.db import newest_by, write_transaction
from server.delivery.tables import DeliveryBatch, DeliveryBatchUnit, UnitContract
from server.errors import Invalid, NotFound
from server.handover.tables import KeyHandover
from server.i18n import _, lazy_gettext as _l
from server.org.tables import Building, Project, Unit, UnitStatus
from server.procedures.seed import TEMPLATES
from server.procedures.services import procedure_for, start_procedure
from server.procedures.tables import Procedure

LACKS = {
    "inspection": _l("Has not passed inspection"),
    "keys": _l("Keys not yet received by the CS center"),
}
PROCEDURE_TEMPLATE = "delivery_preparation"
PREPARATION_DAYS = max(step["days"] for spec in TEMPLATES if spec["code"] == PROCEDURE_TEMPLATE
                       for step in spec["steps"])
"""The days the preparation takes (its last step, on-site delivery: server/procedures/seed.py)."""


async def batch_create(*, actor: Any, project_id: int, name: str, starts_on: dt.date | None,
                       ends_on: dt.date | None, place: str = "", what_to_bring: str = "",
                       building_id: int | None = None) -> tuple[DeliveryBatch, int]:
    """A batch of a building's (or the whole project's) units not yet in another batch, its preparation
    procedure and its owners' accounts; (batch, units added)."""
    if not await Project.exists().where(Project.id == project_id).run():
        raise NotFound(_("The page or record was not found."))
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if starts_on is None:
        errors["starts_on"] = _("Enter a date.")
    if ends_on is None:
        errors["ends_on"] = _("Enter a date.")
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The end date must not be before the start date.")
    if building_id is not None and not await Building.exists().where(
            (Building.id == building_id) & (Building.project == project_id)).run():
        errors["building_id"] = _("Choose a building of this project.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    scope = (Unit.building == building_id) if building_id is not None else Unit.building.is_in(
        Building.select(Building.id).where(Building.project == project_id))
    async with write_transaction():
        unit_ids = [r["id"] for r in await Unit.select(Unit.id).where(
            scope & Unit.id.not_in(DeliveryBatchUnit.select(DeliveryBatchUnit.unit))).order_by(Unit.id).run()]
        if not unit_ids:
            raise Invalid(_("Every unit here is already in a delivery batch."),
                          field_errors={"building_id": _("No units left to deliver here.")})
        batch = DeliveryBatch(project=project_id, building=building_id, name=name.strip()[:100],
                              starts_on=starts_on, ends_on=ends_on, place=(place or "").strip()[:200],
                              what_to_bring=(what_to_bring or "").strip(), created_by=getattr(actor, "id", None))
        await batch.save().run()
        await DeliveryBatchUnit.insert(*[DeliveryBatchUnit(batch=batch.id, unit=u) for u in unit_ids]).run()
        await audit_record(actor=actor, object_type="delivery_batch", object_id=batch.id, action="create",
                           details={"units": len(unit_ids), "building_id": building_id})
    await _start_preparation(actor, batch)
    # Owner accounts come with the batch (from the contracts there are now);
    # "make owner accounts" on the batch page picks up contracts added later.
    await owners_setup(actor=actor, batch_id=batch.id)
    return batch, len(unit_ids)


async def _start_preparation(actor: Any, batch: DeliveryBatch) -> None:
    """Start the 10-step delivery preparation of regulation 2 for the batch: it ends on the first
    delivery day, every step due on or before it (squeezed when fewer days are left: see
    preparation_warning)."""
    await start_procedure(PROCEDURE_TEMPLATE, "delivery_batch", batch.id, batch.project, clock.today(), actor,
                          ends_by=batch.starts_on)


def preparation_warning(starts_on: dt.date) -> str | None:
    """What to tell whoever sets up a batch whose first delivery day leaves the preparation less
    time than it takes (None when there is time enough)."""
    left = (starts_on - clock.today()).days
    if left >= PREPARATION_DAYS:
        return None
    return _("The delivery preparation takes %(needed)s days, but only %(left)s are left before the first "
             "delivery day (%(day)s). Its steps are due sooner, all by that day: check that every department "
             "can make it, or move the delivery.", needed=PREPARATION_DAYS, left=max(left, 0),
             day=starts_on.isoformat())


async def preparation_of(batch_id: int) -> Procedure | None:
    return await procedure_for("delivery_batch", batch_id, PROCEDURE_TEMPLATE)


async def preparations_of(batch_ids: list[int]) -> dict[int, int]:
    """{batch id: its preparation procedure's id}, for a list of batches (one query)."""
    rows = await Procedure.select(Procedure.id, Procedure.subject_id).where(
        (Procedure.subject_kind == "delivery_batch") & (Procedure.template_code == PROCEDURE_TEMPLATE)
        & Procedure.subject_id.is_in(batch_ids or [-1])).run()
    return {r["subject_id"]: r["id"] for r in rows}


async def batch_units(batch_id: int) -> list[dict]:
    """Every unit of the batch with its readiness and what it lacks (3 queries)."""
    units = await Unit.select(
        Unit.id, Unit.number, Unit.floor, Unit.status, Unit.building.name.as_alias("building")).where(
        Unit.id.is_in(DeliveryBatchUnit.select(DeliveryBatchUnit.unit).where(DeliveryBatchUnit.batch == batch_id))
    ).order_by(Unit.building).order_by(Unit.floor).order_by(Unit.number).run()
    ids = [u["id"] for u in units] or [-1]
    keys_in = {r["unit"] for r in await KeyHandover.select(KeyHandover.unit).where(
        KeyHandover.unit.is_in(ids) & (KeyHandover.to == "cs_center")).run()}
    keys_out = {r["unit"] for r in await KeyHandover.select(KeyHandover.unit).where(
        KeyHandover.unit.is_in(ids) & (KeyHandover.to == "owner")).run()}
    for unit in units:
        lacks = []
        if unit["status"] != UnitStatus.PASSED:
            lacks.append("inspection")
        if unit["id"] not in keys_in:
            lacks.append("keys")
        unit["lacks"] = lacks
        unit["lacks_text"] = [str(LACKS[k]) for k in lacks]
        unit["ready"] = not lacks
        unit["delivered"] = unit["id"] in keys_out
    return units


async def batch_of_unit(unit_id: int) -> DeliveryBatch | None:
    link = await DeliveryBatchUnit.select(DeliveryBatchUnit.batch).where(DeliveryBatchUnit.unit == unit_id).first().run()
    return await DeliveryBatch.objects().get(DeliveryBatch.id == link["batch"]).run() if link else None


# ---------------------------------------------------------------- owners

async def _latest_contracts(unit_ids: list[int]) -> dict[int, dict]:
    return newest_by(await UnitContract.select(UnitContract.unit, UnitContract.buyer_name, UnitContract.buyer_phone).where(
        UnitContract.unit.is_in(unit_ids or [-1])).order_by(UnitContract.id).run())


async def owners_setup(*, actor: Any, batch_id: int) -> dict:
    """Make an owner account per unit of the batch from its contract (mobile
    number as user name; no password: the owner signs in with a one-time code
    printed on their notice) and link it to the unit. Safe to run again: it
    makes only what is missing. Returns counts and the units with no mobile."""
    units = await batch_units(batch_id)
    contracts = await _latest_contracts([u["id"] for u in units])
    phones = {c["buyer_phone"] for c in contracts.values() if c["buyer_phone"]}
    made, linked, missing = 0, 0, []
    async with write_transaction():
        users = {u.username: u for u in await User.objects().where(User.username.is_in(list(phones) or [""])).run()}
        links = {(r["unit"], r["user"]) for r in await UnitOwner.select(UnitOwner.unit, UnitOwner.user).where(
            UnitOwner.unit.is_in([u["id"] for u in units] or [-1])).run()}
        for unit in units:
            contract = contracts.get(unit["id"])
            phone = contract["buyer_phone"] if contract else ""
            if not phone:
                missing.append(unit)
                continue
            user = users.get(phone)
            if user is None:
                # No password: the owner signs in with the one-time code on their notice.
                user = User(username=phone, password_hash=UNUSABLE_PASSWORD,
                            role=roles.OWNER, display_name=contract["buyer_name"], phone=phone)
                await user.save().run()
                users[phone] = user
                made += 1
                await audit_record(actor=actor, object_type="user", object_id=user.id, action="create",
                                   details={"role": roles.OWNER, "batch_id": batch_id})
            elif user.role != roles.OWNER:
                missing.append(unit)  # a staff account has this number: never turn it into an owner
                continue
            if (unit["id"], user.id) not in links:
                await UnitOwner.insert(UnitOwner(unit=unit["id"], user=user.id)).run()
                links.add((unit["id"], user.id))
                linked += 1
                await audit_record(actor=actor, object_type="unit", object_id=unit["id"], action="owner_add",
                                   details={"user_id": user.id, "batch_id": batch_id})
    return {"accounts_made": made, "units_linked": linked, "units_without_mobile": missing}


def _owned_in_batch(batch_id: int) -> Any:
    return UnitOwner.unit.is_in(DeliveryBatchUnit.select(DeliveryBatchUnit.unit).where(
        DeliveryBatchUnit.batch == batch_id)) & (UnitOwner.user.role == roles.OWNER)


async def owners_of_batch(batch_id: int, unit_id: int | None = None) -> list[dict]:
    """(unit, owner) pairs of the batch (or of one of its units), for the printed notices."""
    where = _owned_in_batch(batch_id) if unit_id is None else _owned_in_batch(batch_id) & (UnitOwner.unit == unit_id)
    return await UnitOwner.select(
        UnitOwner.unit, UnitOwner.user, UnitOwner.user.username.as_alias("mobile"),
        UnitOwner.user.display_name.as_alias("name"), UnitOwner.unit.number.as_alias("number"),
        UnitOwner.unit.building.name.as_alias("building")).where(where).order_by(UnitOwner.unit).run()


async def owner_count(batch_id: int) -> int:
    return await UnitOwner.count().where(_owned_in_batch(batch_id)).run()
