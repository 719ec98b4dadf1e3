"""Key handovers: made once, checked, hashed, never changed."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Invalid, NotFound
from server.handover.signatures import BadSignature, signature_from_data_url
from server.handover.tables import KeyHandover, KeyKind
from server.i18n import _
from server.once import create_once
from server.org.tables import Party, Unit, UnitStatus
from server.photos.storage import get_storage, read_bytes
from server.photos.tables import Photo

DEFAULT_KEY_KINDS = ["入户门钥匙", "信报箱钥匙", "电表箱钥匙", "水表箱钥匙", "燃气表箱钥匙", "门禁卡", "车库遥控器"]
METER_KINDS = ("water", "electricity", "gas")
RECEIVERS = ("cs_center", "owner")


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


async def key_kinds() -> list[str]:
    rows = await KeyKind.select(KeyKind.name).order_by(KeyKind.position).order_by(KeyKind.id).run()
    if rows:
        return [r["name"] for r in rows]
    return DEFAULT_KEY_KINDS


async def key_kinds_ensure() -> None:
    async with write_transaction():
        if not await KeyKind.exists().run():
            await KeyKind.insert(*[KeyKind(name=n, position=i) for i, n in enumerate(DEFAULT_KEY_KINDS)]).run()


async def key_kind_add(*, actor: Any, name: str) -> KeyKind:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise _invalid({"name": _("This field is required.")})
    await key_kinds_ensure()
    async with write_transaction():
        if await KeyKind.exists().where(KeyKind.name == name).run():
            raise _invalid({"name": _("This key kind already exists.")})
        kind = KeyKind(name=name, position=await KeyKind.count().run())
        await kind.save().run()
        await audit_record(actor=actor, object_type="key_kind", object_id=kind.id, action="create")
    return kind


def canonical_content(record: dict[str, Any]) -> bytes:
    """The bytes the SHA-256 is taken over: sorted-key JSON of every field
    that makes the record, signature digests included."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


async def _check_keys(keys: Any, errors: dict[str, str]) -> list[dict]:
    allowed = set(await key_kinds())
    clean, seen = [], set()
    if not isinstance(keys, list) or not keys:
        errors["keys"] = _("List the keys handed over.")
        return []
    for entry in keys:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        count = entry.get("count") if isinstance(entry, dict) else None
        if kind not in allowed or kind in seen:
            errors["keys"] = _("Each key kind once, from the configured list.")
            return []
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 99:
            errors["keys"] = _("Key counts are whole numbers from 0 to 99.")
            return []
        seen.add(kind)
        clean.append({"kind": kind, "count": count})
    if not any(k["count"] for k in clean):
        errors["keys"] = _("List the keys handed over.")
    return clean


async def _check_meters(unit_id: int, readings: Any, errors: dict[str, str]) -> list[dict]:
    if readings in (None, []):
        return []
    clean = []
    photo_ids = []
    for entry in readings if isinstance(readings, list) else [None]:
        if not isinstance(entry, dict) or entry.get("kind") not in METER_KINDS:
            errors["meter_readings"] = _("Meter readings need a kind: water, electricity or gas.")
            return []
        try:
            reading = Decimal(str(entry.get("reading")))
            if not reading.is_finite() or reading < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors["meter_readings"] = _("A meter reading is a number of zero or more.")
            return []
        photo_id = entry.get("photo_id")
        if photo_id is not None:
            photo_ids.append(photo_id)
        clean.append({"kind": entry["kind"], "reading": str(reading), "photo_id": photo_id})
    if photo_ids:
        found = await Photo.count().where(Photo.id.is_in(photo_ids) & (Photo.subject_type == "unit")
                                          & (Photo.subject_id == unit_id)).run()
        if found != len(set(photo_ids)):
            errors["meter_readings"] = _("A meter photo must be one taken for this unit.")
    return clean


async def handover_create(*, actor: Any, unit_id: int, to: str, keys: Any, signatures: Any,
                          from_party_id: int | None = None, meter_readings: Any = None, giver_name: str = "",
                          receiver_name: str = "", corrects_id: int | None = None,
                          client_id: Any = None) -> tuple[KeyHandover, bool]:
    """Record a signed key handover; (record, created). 409 while the unit has not passed."""
    try:
        uuid_ = uuid.UUID(str(client_id)) if client_id else None
    except ValueError:
        raise _invalid({"client_id": _("This is not a valid identifier.")}) from None
    return await create_once(
        uuid_, find=lambda known: KeyHandover.objects().get(KeyHandover.client_id == known).run(),
        create=lambda: _handover_create(actor=actor, unit_id=unit_id, to=to, keys=keys, signatures=signatures,
                                        from_party_id=from_party_id, meter_readings=meter_readings,
                                        giver_name=giver_name, receiver_name=receiver_name,
                                        corrects_id=corrects_id, uuid_=uuid_))


async def _handover_create(*, actor: Any, unit_id: int, to: str, keys: Any, signatures: Any,
                           from_party_id: int | None, meter_readings: Any, giver_name: str, receiver_name: str,
                           corrects_id: int | None, uuid_: uuid.UUID | None) -> tuple[KeyHandover, bool]:
    unit = await Unit.objects().get(Unit.id == unit_id).run()
    if unit is None:
        raise NotFound(_("The page or record was not found."))
    errors: dict[str, str] = {}
    if to not in RECEIVERS:
        errors["to"] = _("Choose who receives the keys.")
    if to == "cs_center":
        party = await Party.objects().get(Party.id == from_party_id).run() if from_party_id else None
        if party is None or party.kind != "construction_unit":
            errors["from_party_id"] = _("Choose the construction unit handing over the keys.")
    clean_keys = await _check_keys(keys, errors)
    clean_meters = await _check_meters(unit_id, meter_readings, errors)
    signed = {}
    for side in ("giver", "receiver"):
        try:
            # Decoding the PNG is Pillow work: off the event loop.
            signed[side] = await asyncio.to_thread(
                signature_from_data_url, (signatures or {}).get(side) if isinstance(signatures, dict) else None)
        except BadSignature:
            errors[f"signatures.{side}"] = _("Both parties must sign on the screen.")
    if corrects_id is not None:
        corrected = await KeyHandover.objects().get(KeyHandover.id == corrects_id).run()
        if corrected is None or corrected.unit != unit_id:
            errors["corrects_id"] = _("A correction must point at a handover of the same unit.")
    if errors:
        raise _invalid(errors)
    if unit.status != UnitStatus.PASSED:
        raise Conflict(_("Keys can be handed over only after the unit has passed inspection."))
    if to == "owner" and corrects_id is None and not await KeyHandover.exists().where(
            (KeyHandover.unit == unit_id) & (KeyHandover.to == "cs_center")).run():
        raise Conflict(_("The CS center has not received this unit's keys yet."))

    storage = get_storage()
    stored_keys = {side: f"signatures/{uuid.uuid4().hex}.png" for side in signed}
    for side, sig in signed.items():
        await storage.put_bytes(stored_keys[side], sig.png)
    created_at = dt.datetime.now(dt.timezone.utc)
    fields = {
        "unit": unit_id, "to": to, "from_party": from_party_id if to == "cs_center" else None,
        "client_id": str(uuid_) if uuid_ else None, "keys": clean_keys, "meter_readings": clean_meters,
        "giver_name": (giver_name or "").strip()[:100], "receiver_name": (receiver_name or "").strip()[:100],
        "giver_signature_sha256": signed["giver"].sha256, "receiver_signature_sha256": signed["receiver"].sha256,
        "corrects": corrects_id, "created_by": getattr(actor, "id", None), "created_at": created_at.isoformat(),
    }
    record = KeyHandover(
        unit=unit_id, to=to, from_party=fields["from_party"], client_id=uuid_, keys=clean_keys,
        meter_readings=clean_meters, giver_name=fields["giver_name"], receiver_name=fields["receiver_name"],
        giver_signature_key=stored_keys["giver"], receiver_signature_key=stored_keys["receiver"],
        giver_signature_sha256=signed["giver"].sha256, receiver_signature_sha256=signed["receiver"].sha256,
        corrects=corrects_id, created_by=fields["created_by"], created_at=created_at,
        content_sha256=hashlib.sha256(canonical_content(fields)).hexdigest(),
    )
    try:
        async with write_transaction():
            await record.save().run()
            await audit_record(actor=actor, object_type="unit", object_id=unit_id, action="key_handover",
                               to_state=to, details={"handover_id": record.id, "sha256": record.content_sha256,
                                                     "corrects": corrects_id})
    except BaseException:
        for key in stored_keys.values():
            await storage.delete(key)
        raise
    return record, True


def handover_fields(record: KeyHandover) -> dict[str, Any]:
    """The fields the hash was taken over, rebuilt from the stored record."""
    return {
        "unit": record.unit, "to": record.to, "from_party": record.from_party,
        "client_id": str(record.client_id) if record.client_id else None,
        "keys": record.keys if isinstance(record.keys, list) else json.loads(record.keys),
        "meter_readings": record.meter_readings if isinstance(record.meter_readings, list)
        else json.loads(record.meter_readings),
        "giver_name": record.giver_name, "receiver_name": record.receiver_name,
        "giver_signature_sha256": record.giver_signature_sha256,
        "receiver_signature_sha256": record.receiver_signature_sha256,
        "corrects": record.corrects, "created_by": record.created_by, "created_at": record.created_at.isoformat(),
    }


async def handover_verify(record: KeyHandover) -> bool:
    """True when the stored content and signature images still match their hashes."""
    for key, digest in ((record.giver_signature_key, record.giver_signature_sha256),
                        (record.receiver_signature_key, record.receiver_signature_sha256)):
        data = await read_bytes(key)
        if hashlib.sha256(data).hexdigest() != digest:
            return False
    return hashlib.sha256(canonical_content(handover_fields(record))).hexdigest() == record.content_sha256
