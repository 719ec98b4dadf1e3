"""Paid repairs (out of warranty, or the owner's own damage): CS quotes a price,
the owner accepts or declines it on their phone before the work starts.

A quote and the owner's answer are records written once. Only the latest
quote of a repair counts: CS may give a new one at any time before the work
starts (a correction, or after the owner declined), and the owner answers
only the latest. A declined quote leaves the repair open, waiting for a new
quote or for the owner to come back to it (what a CS center does: the owner
often declines to negotiate, not to give up the repair); CS closes nothing.
`start` is refused (409) while a paid repair has no accepted latest quote.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from server.accounts import roles
from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.once import is_unique_violation
from server.repairs import states
from server.repairs.closing_tables import RepairQuote, RepairQuoteDecision
from server.repairs.tables import RepairRequest

QUOTERS = (roles.CS_STAFF, roles.ADMIN)
BEFORE_WORK = (states.TRIAGED, states.SURVEYING, states.PLANNED, states.ASSIGNED)
MAX_AMOUNT = Decimal("1000000")
MAX_DESCRIPTION = 2000


def parse_amount(value: Any, errors: dict[str, str]) -> Decimal | None:
    """Yuan, more than 0, at most two decimals."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = _("Enter the amount in yuan, such as 350.00.")
        return None
    if amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("Enter the amount in yuan, such as 350.00.")
        return None
    return amount.quantize(Decimal("0.01"))


async def paid_by_owner(repair: RepairRequest) -> bool:
    from server.repairs.selectors import repair_out

    return (await repair_out(repair))["warranty"]["who_pays"] == "owner"


async def latest(repair_id: int) -> tuple[RepairQuote | None, RepairQuoteDecision | None]:
    quote = await RepairQuote.objects().where(RepairQuote.repair == repair_id).order_by(
        RepairQuote.id, ascending=False).first().run()
    decision = await RepairQuoteDecision.objects().where(
        RepairQuoteDecision.quote == quote.id).first().run() if quote else None
    return quote, decision


async def quote_create(*, actor: Any, repair: RepairRequest, amount: Any, description: Any) -> RepairQuote:
    if getattr(actor, "role", None) not in QUOTERS:
        raise Forbidden(_("You do not have permission to do this."))
    if repair.status not in BEFORE_WORK:
        raise Conflict(_("A quote can be given only after triage and before the work starts."))
    errors: dict[str, str] = {}
    clean = parse_amount(amount, errors)
    text = str(description or "").strip()
    if not text:
        errors["description"] = _("Describe the work and materials the price covers.")
    elif len(text) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)s characters.", n=MAX_DESCRIPTION)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    _quote, decision = await latest(repair.id)
    if decision is not None and decision.accepted:
        raise Conflict(_("The owner has accepted the quote; the price cannot change now."))
    async with write_transaction():
        quote = RepairQuote(repair=repair.id, amount=clean, description=text, created_by=getattr(actor, "id", None))
        await quote.save().run()
        await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="quote",
                           details={"quote_id": quote.id, "amount": str(clean)})
    return quote


async def quote_decide(*, actor: Any, repair: RepairRequest, accepted: Any) -> RepairQuoteDecision:
    """The owner (of the home: the caller has fetched the repair through access) accepts or declines the
    latest quote. 409 without a quote, when it is answered already, or once the work has started."""
    if getattr(actor, "role", None) != roles.OWNER:
        raise Forbidden(_("You do not have permission to do this."))
    if isinstance(accepted, str):
        accepted = {"1": True, "true": True, "accept": True, "0": False, "false": False,
                    "decline": False}.get(accepted.strip().lower())
    if accepted not in (True, False):
        raise Invalid(_("Please correct the marked fields."), field_errors={"accepted": _("Accept or decline.")})
    quote, decision = await latest(repair.id)
    if quote is None or decision is not None or repair.status not in BEFORE_WORK:
        raise Conflict(_("There is no quote waiting for your answer."))
    record = RepairQuoteDecision(quote=quote.id, repair=repair.id, accepted=accepted,
                                 created_by=getattr(actor, "id", None))
    try:
        async with write_transaction():
            await record.save().run()
            await audit_record(actor=actor, object_type="repair", object_id=repair.id,
                               action="quote_accepted" if accepted else "quote_declined",
                               details={"quote_id": quote.id, "amount": str(quote.amount)})
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(_("There is no quote waiting for your answer.")) from None
        raise
    return record


async def start_allowed(repair: RepairRequest) -> None:
    """409 while a repair the owner pays for has no accepted latest quote."""
    if not await paid_by_owner(repair):
        return
    _quote, decision = await latest(repair.id)
    if decision is None or not decision.accepted:
        raise Conflict(_("The owner pays for this repair: it can start only after the owner accepts the quote."))
