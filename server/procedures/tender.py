"""The property-management tender's records (regulation 3): writes, each audited in its transaction.

Who: the tender notice is written and published by Brand & PR (role `pr`; an
administrator may stand in). Every other record belongs to a step of the
procedure (seed.TENDER_RECORDS) and is recorded by whoever may work on that
step (access.may_work_on: its department, or the CS center coordinating).

Order: seed.py says what each record needs first (no scores before experts
are drawn, no winner before every bidder is scored, no filing or contract
before a winner) and tender_rules.check_record refuses it with a 409 that
changes nothing. A record whose step is done is refused too (reopen it).

Corrections: a winner, a filing or the contract dates are legal facts and
never edited. Recording one again adds a newer record that `supersedes` the
one in force and must say why; the history keeps both. A bidder's score may
be changed until a winner is recorded; each change is audited (old, new).
The notice may be edited while it is not published (unpublish it first).
"""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from server.accounts import roles
from server.audit.services import audit_record
from server.db import lock_row, write_transaction
from server.errors import Conflict, Forbidden, NotFound
from server.i18n import _
from server.once import create_once
from server.org.tables import Party
from server.procedures import access, tender_rules
from server.procedures.seed import TENDER_TEMPLATE
from server.procedures.tables import Procedure, ProcedureStep
from server.procedures.tender_input import actor_id as _actor_id, date_of as _date, invalid as _invalid
from server.procedures.tender_input import now as _now, required as _required, text as _text
from server.procedures.tender_notice import (  # noqa: F401  (the notice's functions, for callers of this module)
    NOTICE_ROLES, may_write_notice, notice_save, notice_set_published, public_path, published_notice,
)
from server.procedures.tender_tables import RecordKind, TenderBid, TenderExpert, TenderRecord

NAME_MAX, NUMBER_MAX, REASON_MAX = 100, 100, 2000


# ---------------------------------------------------------------- access

async def tender_for(user: Any, procedure_id: int) -> Procedure:
    """The tender procedure (404 for anyone who may not see it, and for a procedure that is no tender)."""
    procedure = await access.procedure_for_user(user, procedure_id)
    if procedure.template_code != TENDER_TEMPLATE:
        raise NotFound(_("The page or record was not found."))
    return procedure


async def _may_record(actor: Any, procedure_id: int, kind: str) -> ProcedureStep:
    step = await tender_rules.record_step(procedure_id, kind)
    if step is None or not access.may_work_on(actor, step):
        raise Forbidden(_("Only the responsible department or the CS center can work on this step."))
    return step



# ---------------------------------------------------------------- experts and bidders

async def _once(table: Any, client_id: Any, create):
    if client_id is not None and not isinstance(client_id, uuid.UUID):
        try:
            client_id = uuid.UUID(str(client_id))
        except ValueError:
            raise _invalid({"client_id": _("This value is not valid.")}) from None

    async def find(cid: uuid.UUID):
        return await table.objects().get(table.client_id == cid).run()

    return await create_once(client_id, find=find, create=lambda: create(client_id))


async def expert_add(*, actor: Any, procedure: Procedure, fields: dict) -> tuple[TenderExpert, bool]:
    """An expert drawn for the evaluation: name, field, drawn_on (not in the future)."""
    await _may_record(actor, procedure.id, "expert")
    errors: dict[str, str] = {}
    name = _required(fields, errors, "name", NAME_MAX)
    field = _required(fields, errors, "field", NAME_MAX)
    drawn_on = _date(fields, errors, "drawn_on", not_after_today=True)
    if errors:
        raise _invalid(errors)

    async def create(client_id):
        async with write_transaction():
            await tender_rules.check_record(procedure.id, "expert")
            expert = TenderExpert(procedure=procedure.id, name=name, field=field, drawn_on=drawn_on,
                                  client_id=client_id, recorded_by=_actor_id(actor))
            await expert.save().run()
            await audit_record(actor=actor, object_type="tender_expert", object_id=expert.id, action="draw",
                               details={"procedure_id": procedure.id, "name": name, "field": field,
                                        "drawn_on": drawn_on.isoformat()})
        return expert, True

    return await _once(TenderExpert, fields.get("client_id"), create)


async def expert_withdraw(*, actor: Any, procedure: Procedure, expert_id: int, reason: Any) -> TenderExpert:
    """An expert recorded by mistake is withdrawn with a reason (kept, shown struck through; no longer counted)."""
    await _may_record(actor, procedure.id, "expert")
    reason = _text(reason)[:REASON_MAX]
    if not reason:
        raise _invalid({"reason": _("Say why the expert is withdrawn.")})
    async with write_transaction():
        await tender_rules.check_record(procedure.id, "expert")
        updated = await TenderExpert.update({
            TenderExpert.withdrawn_at: _now(), TenderExpert.withdrawn_by: _actor_id(actor),
            TenderExpert.withdrawn_reason: reason,
        }).where((TenderExpert.id == expert_id) & (TenderExpert.procedure == procedure.id)
                 & TenderExpert.withdrawn_at.is_null()).returning(TenderExpert.id).run()
        if not updated:
            if not await TenderExpert.exists().where((TenderExpert.id == expert_id)
                                                     & (TenderExpert.procedure == procedure.id)).run():
                raise NotFound(_("The page or record was not found."))
            raise Conflict(_("This expert is already withdrawn."))
        await audit_record(actor=actor, object_type="tender_expert", object_id=expert_id, action="withdraw",
                           details={"procedure_id": procedure.id, "reason": reason})
    return await TenderExpert.objects().get(TenderExpert.id == expert_id).run()


async def bid_add(*, actor: Any, procedure: Procedure, fields: dict) -> tuple[TenderBid, bool]:
    """A bidder: a property-company party (`party_id`), or just a `name`."""
    await _may_record(actor, procedure.id, "bid")
    errors: dict[str, str] = {}
    party_id, name = fields.get("party_id"), _text(fields.get("name"))
    if party_id not in (None, ""):
        party = await Party.select(Party.id, Party.name, Party.kind).where(
            Party.id == int(party_id) if str(party_id).isdigit() else Party.id == -1).first().run()
        if party is None or party["kind"] != "property_company":
            errors["party_id"] = _("Choose a property company.")
        else:
            party_id, name = party["id"], party["name"]
    else:
        party_id = None
        if not name:
            errors["name"] = _("Choose a property company or write the bidder's name.")
    if len(name) > 200:
        errors["name"] = _("At most %(n)s characters.", n=200)
    if errors:
        raise _invalid(errors)

    async def create(client_id):
        async with write_transaction():
            await lock_row(Procedure, procedure.id)  # one bid per bidder, even when two are recorded at once
            await tender_rules.check_record(procedure.id, "bid")
            if await TenderBid.exists().where((TenderBid.procedure == procedure.id) & (
                    (TenderBid.name == name) | (TenderBid.party == party_id if party_id else TenderBid.id == -1))).run():
                raise _invalid({"party_id" if party_id else "name": _("This bidder is already recorded.")})
            bid = TenderBid(procedure=procedure.id, party=party_id, name=name, client_id=client_id,
                            recorded_by=_actor_id(actor))
            await bid.save().run()
            await audit_record(actor=actor, object_type="tender_bid", object_id=bid.id, action="add",
                               details={"procedure_id": procedure.id, "name": name, "party_id": party_id})
        return bid, True

    return await _once(TenderBid, fields.get("client_id"), create)


def _score(value: Any, errors: dict) -> Decimal | None:
    try:
        score = Decimal(_text(value))
    except (InvalidOperation, ValueError):
        score = None
    if score is None or not score.is_finite() or score < 0 or score > 100 or score != score.quantize(Decimal("0.01")):
        errors["score"] = _("Enter a score from 0 to 100, at most two decimals.")
        return None
    return score.quantize(Decimal("0.01"))


async def bid_score(*, actor: Any, procedure: Procedure, bid_id: int, score: Any) -> TenderBid:
    """Score a bidder (0-100). Not before experts are drawn; not after a winner is recorded (409)."""
    await _may_record(actor, procedure.id, "score")
    bid = await TenderBid.objects().get((TenderBid.id == bid_id) & (TenderBid.procedure == procedure.id)).run()
    if bid is None:
        raise NotFound(_("The page or record was not found."))
    errors: dict[str, str] = {}
    value = _score(score, errors)
    if errors:
        raise _invalid(errors)
    async with write_transaction():
        await tender_rules.check_record(procedure.id, "score")
        if RecordKind.WINNER in await tender_rules.current_records(procedure.id):
            raise Conflict(_("A winner is recorded: the scores no longer change."))
        await lock_row(TenderBid, bid.id)
        before = await TenderBid.select(TenderBid.score).where(TenderBid.id == bid.id).first().run()
        await TenderBid.update({TenderBid.score: value, TenderBid.scored_by: _actor_id(actor),
                                TenderBid.scored_at: _now()}).where(TenderBid.id == bid.id).run()
        await audit_record(actor=actor, object_type="tender_bid", object_id=bid.id, action="score",
                           from_state=None if before["score"] is None else f"{Decimal(before['score']):.2f}",
                           to_state=f"{value:.2f}",
                           details={"procedure_id": procedure.id})
    return await TenderBid.objects().get(TenderBid.id == bid.id).run()


# ---------------------------------------------------------------- legal facts

def _winner_fields(fields: dict, errors: dict) -> dict:
    bid_id = fields.get("bid_id")
    if not str(bid_id or "").isdigit():
        errors["bid_id"] = _("Choose the winning bidder.")
        return {}
    return {"bid": int(bid_id)}


def _filing_fields(fields: dict, errors: dict) -> dict:
    return {"number": _required(fields, errors, "number", NUMBER_MAX),
            "filed_on": _date(fields, errors, "filed_on", not_after_today=True)}


def _contract_fields(fields: dict, errors: dict) -> dict:
    values = {"signed_on": _date(fields, errors, "signed_on", not_after_today=True),
              "starts_on": _date(fields, errors, "starts_on"), "ends_on": _date(fields, errors, "ends_on")}
    if values["starts_on"] and values["ends_on"] and values["ends_on"] <= values["starts_on"]:
        errors["ends_on"] = _("The contract must end after it starts.")
    return values


FIELDS = {RecordKind.WINNER: _winner_fields, RecordKind.WINNER_FILING: _filing_fields,
          RecordKind.PRICE_FILING: _filing_fields, RecordKind.CONTRACT: _contract_fields}


async def record_add(*, actor: Any, procedure: Procedure, kind: str, fields: dict) -> tuple[TenderRecord, bool]:
    """Record a legal fact (winner, winner_filing, contract, price_filing); a second one corrects the first."""
    if kind not in FIELDS:
        raise _invalid({"kind": _("This value is not valid.")})
    await _may_record(actor, procedure.id, kind)
    errors: dict[str, str] = {}
    values = FIELDS[kind](fields, errors)
    reason = _text(fields.get("reason"))[:REASON_MAX]
    if values.get("bid"):
        bid = await TenderBid.select(TenderBid.id, TenderBid.party, TenderBid.party.kind).where(
            (TenderBid.id == values["bid"]) & (TenderBid.procedure == procedure.id)).first().run()
        if bid is None:
            errors["bid_id"] = _("Choose the winning bidder.")
        elif bid["party"] is None or bid["party.kind"] != "property_company":
            errors["bid_id"] = _("The winner must be a property company (a party of that kind).")
        else:
            values["party"] = bid["party"]
    if errors:
        raise _invalid(errors)

    async def create(client_id):
        async with write_transaction():
            await lock_row(Procedure, procedure.id)  # two corrections at once: the second sees the first
            await tender_rules.check_record(procedure.id, kind)
            current = (await tender_rules.current_records(procedure.id)).get(kind)
            if current is not None and not reason:
                raise _invalid({"reason": _("Say why the record in force is corrected.")})
            record = TenderRecord(procedure=procedure.id, kind=kind, supersedes=current["id"] if current else None,
                                  reason=reason, client_id=client_id, recorded_by=_actor_id(actor), **values)
            await record.save().run()
            await audit_record(actor=actor, object_type="tender_record", object_id=record.id,
                               action="correct" if current else "record", to_state=kind,
                               details={"procedure_id": procedure.id, "supersedes": record.supersedes,
                                        "reason": reason, **{k: str(v) for k, v in values.items()}})
            if kind == RecordKind.WINNER:
                await _winner_carries_its_steps(actor, procedure.id, values["party"])
        return record, True

    record, created = await _once(TenderRecord, fields.get("client_id"), create)
    return record, created


async def _winner_carries_its_steps(actor: Any, procedure_id: int, party_id: int) -> None:
    """The winning company's steps (its price filing, its moving in) name it: only its users (and the CS
    center) work on them from now on."""
    steps = await ProcedureStep.select(ProcedureStep.id, ProcedureStep.responsible_party).where(
        (ProcedureStep.procedure == procedure_id) & (ProcedureStep.responsible_role == roles.PROPERTY)).run()
    for step in steps:
        if step["responsible_party"] == party_id:
            continue
        await ProcedureStep.update({ProcedureStep.responsible_party: party_id}).where(
            ProcedureStep.id == step["id"]).run()
        await audit_record(actor=actor, object_type="procedure_step", object_id=step["id"],
                           action="change_responsible",
                           from_state=str(step["responsible_party"]) if step["responsible_party"] else None,
                           to_state=str(party_id), details={"procedure_id": procedure_id, "by": "tender_winner"})
