"""The owner's sign-off of a completed repair (客户签字确认), or their refusal.

Either is a record written once (database triggers refuse UPDATE and DELETE),
one per completion: a second answer is a 409, from the status check or, when
two race, from the unique completion. A signature is a PNG from the signature
pad (server/handover/signatures.py), stored beside the key handovers' and
hashed; the record keeps a SHA-256 of its canonical content as they do.

The owner signs on the repairer's phone (`via` "screen": CS staff or the
repairer holds it), on their own phone signed in (`owner_phone`), or from a
signed, expiring link sent when they are not at home (`link`: the token is the
credential, bound to that completion). A refusal needs a reason and sends the
job back to the repair unit (`refuse` → in_repair); a signature is optional.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from typing import Any

from server import signing
from server.accounts import roles
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.handover.services import canonical_content
from server.handover.signatures import BadSignature, signature_from_data_url
from server.i18n import _
from server.once import is_unique_violation
from server.photos.storage import get_storage, read_bytes
from server.repairs import states
from server.repairs.closing import latest_completion
from server.repairs.closing_tables import RepairSignoff
from server.repairs.tables import RepairRequest

LINK_PURPOSE = "repair-signoff"
LINK_DAYS = 7
MAX_REASON = 1000
SIGNED, REFUSED = "signed", "refused"
VIA_SCREEN, VIA_OWNER, VIA_LINK = "screen", "owner_phone", "link"


def link_token(repair_id: int, completion_id: int) -> str:
    """A password-free link for the owner to sign this completion, for LINK_DAYS."""
    return signing.sign(LINK_PURPOSE, {"r": repair_id, "c": completion_id}, LINK_DAYS * 86400)


def link_target(token: str) -> tuple[int, int] | None:
    """(repair id, completion id) of a link; None when forged, altered or expired."""
    data = signing.unsign(LINK_PURPOSE, token)
    if not data or not isinstance(data.get("r"), int) or not isinstance(data.get("c"), int):
        return None
    return data["r"], data["c"]


def _via_for(actor: Any, via: str) -> str:
    """How the answer was given, from who gives it; 403 for a role that may not take it."""
    if via == VIA_LINK:
        return VIA_LINK
    role = getattr(actor, "role", None)
    if role == roles.OWNER:
        return VIA_OWNER
    if role in states.TRANSITIONS["sign_off"].roles:
        return VIA_SCREEN
    raise Forbidden(_("You do not have permission to do this."))


async def signoff_record(*, actor: Any, repair: RepairRequest, outcome: str, signature: Any = None,
                         signer_name: Any = "", reason: Any = "", via: str = "",
                         completion_id: int | None = None) -> RepairSignoff:
    """The owner's answer to the latest completion (module doc). `completion_id`, from a link, must be
    the latest one (409 otherwise). 400 without a signature (signing) or a reason (refusing)."""
    via = _via_for(actor, via)
    action = "sign_off" if outcome == SIGNED else "refuse"
    if outcome not in (SIGNED, REFUSED):
        raise Invalid(_("Please correct the marked fields."), field_errors={"outcome": _("Sign or refuse.")})
    target = states.target_of(action, repair.status)
    completion = await latest_completion(repair.id)
    if target is None or completion is None or (completion_id is not None and completion_id != completion.id):
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    errors: dict[str, str] = {}
    name = str(signer_name or "").strip()
    if len(name) > 100:
        errors["signer_name"] = _("At most %(n)s characters.", n=100)
    reason = str(reason or "").strip()
    if outcome == REFUSED and not reason:
        errors["reason"] = _("Say why the repair is not accepted.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("At most %(n)s characters.", n=MAX_REASON)
    signed = None
    if outcome == SIGNED or signature:
        try:
            signed = await asyncio.to_thread(signature_from_data_url, signature)
        except BadSignature:
            errors["signature"] = _("The owner must sign on the screen.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    storage = get_storage()
    key = f"signatures/{uuid.uuid4().hex}.png" if signed else ""
    if signed:
        await storage.put_bytes(key, signed.png)
    created_at = dt.datetime.now(dt.timezone.utc)
    fields = {"repair": repair.id, "completion": completion.id, "outcome": outcome, "reason": reason, "via": via,
              "signer_name": name, "signature_sha256": signed.sha256 if signed else "",
              "created_by": getattr(actor, "id", None), "created_at": created_at.isoformat()}
    record = RepairSignoff(repair=repair.id, completion=completion.id, outcome=outcome, reason=reason, via=via,
                           signer_name=name, signature_key=key, signature_sha256=fields["signature_sha256"],
                           created_by=fields["created_by"], created_at=created_at,
                           content_sha256=hashlib.sha256(canonical_content(fields)).hexdigest())
    try:
        async with write_transaction():
            await compare_and_set(repair, target, actor=actor, object_type="repair", action=action,
                                  conflict_message=_("This repair was changed by someone else. Please reload."),
                                  updated_at=created_at)
            await record.save().run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id, action=f"{action}_record",
                               details={"signoff_id": record.id, "sha256": record.content_sha256, "via": via})
    except BaseException as exc:
        if key:
            await storage.delete(key)
        if is_unique_violation(exc):
            raise Conflict(_("This repair was changed by someone else. Please reload.")) from None
        raise
    return record


def signoff_fields(record: RepairSignoff) -> dict[str, Any]:
    """The fields the hash was taken over, rebuilt from the stored record."""
    return {"repair": record.repair, "completion": record.completion, "outcome": record.outcome,
            "reason": record.reason, "via": record.via, "signer_name": record.signer_name,
            "signature_sha256": record.signature_sha256, "created_by": record.created_by,
            "created_at": record.created_at.isoformat()}


async def signoff_verify(record: RepairSignoff) -> bool:
    """True when the stored content and the signature image still match their hashes."""
    if record.signature_key:
        if hashlib.sha256(await read_bytes(record.signature_key)).hexdigest() != record.signature_sha256:
            return False
    return hashlib.sha256(canonical_content(signoff_fields(record))).hexdigest() == record.content_sha256
