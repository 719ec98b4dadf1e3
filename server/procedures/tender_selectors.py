"""Reads: the tender's records for its procedure's page and the API (a fixed handful of queries)."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from server.accounts.tables import User
from server.org.tables import Party
from server.procedures import access, tender_rules
from server.procedures.seed import TENDER_TEMPLATE
from server.procedures.seed import TENDER_RECORDS
from server.procedures.tender_tables import RecordKind, TenderBid, TenderExpert, TenderNotice, TenderRecord


async def _names(ids: set[Any]) -> dict[int, str]:
    ids = {i for i in ids if i}
    rows = await User.select(User.id, User.username, User.display_name).where(
        User.id.is_in(list(ids) or [-1])).run()
    return {r["id"]: r["display_name"] or r["username"] for r in rows}


async def tender_state(procedure_id: int) -> dict:
    """{"notice", "experts", "bids" (best score first), "records" {kind: in force}, "history" {kind: [older...]},
    "facts", "steps" {record kind: step position}} of one tender."""
    notice = await TenderNotice.select().where(TenderNotice.procedure == procedure_id).first().run()
    experts = await TenderExpert.select().where(TenderExpert.procedure == procedure_id).order_by(
        TenderExpert.drawn_on).order_by(TenderExpert.id).run()
    bids = await TenderBid.select().where(TenderBid.procedure == procedure_id).order_by(TenderBid.id).run()
    records = await TenderRecord.select(*TenderRecord.all_columns(), TenderRecord.party.name.as_alias("party_name"),
                                        TenderRecord.bid.name.as_alias("bid_name")).where(
        TenderRecord.procedure == procedure_id).order_by(TenderRecord.id).run()
    names = await _names({r["recorded_by"] for r in experts + bids + records}
                         | {b["scored_by"] for b in bids} | ({notice["written_by"], notice["published_by"]}
                                                             if notice else set()))
    for row in experts + bids + records:
        row["recorded_by_name"] = names.get(row["recorded_by"], "")
    for bid in bids:
        bid["scored_by_name"] = names.get(bid["scored_by"], "")
        if bid["score"] is not None:  # two decimals on SQLite too
            bid["score"] = Decimal(bid["score"]).quantize(Decimal("0.01"))
    if notice:
        notice["written_by_name"] = names.get(notice["written_by"], "")
        notice["published_by_name"] = names.get(notice["published_by"], "")
    current: dict[str, dict] = {}
    history: dict[str, list[dict]] = {kind: [] for kind in RecordKind.ALL}
    for record in records:
        if record["kind"] in current:
            history[record["kind"]].insert(0, current[record["kind"]])
        current[record["kind"]] = record
    winner_bid = current.get(RecordKind.WINNER, {}).get("bid")
    for bid in bids:
        bid["winner"] = bid["id"] == winner_bid
    bids.sort(key=lambda b: (b["score"] is None, -(b["score"] or 0), b["id"]))
    return {"notice": notice, "experts": experts, "bids": bids, "records": current, "history": history,
            "facts": await tender_rules.facts(procedure_id),
            "steps": {kind: rule["step"] for kind, rule in TENDER_RECORDS.items()}}


async def property_companies(limit: int = 500) -> list[dict]:
    return await Party.select(Party.id, Party.name).where(Party.kind == "property_company").order_by(
        Party.name).limit(limit).run()


async def tender_context(user: Any, procedure: Any, detail: dict, typed: dict | None = None) -> dict:
    """What the procedure page needs for a tender: {"tender": state, "tender_can": {kind: bool},
    "tender_form": what was typed in a refused form ({"kind", field: value}), "property_companies"}."""
    if procedure.template_code != TENDER_TEMPLATE:
        return {"tender": None}
    from server.procedures.tender import may_write_notice

    steps = {s["position"]: s for s in detail["steps"]}
    can = {kind: kind != "notice" and rule["step"] in steps and steps[rule["step"]]["status"] != "done"
           and access.may_work_on(user, steps[rule["step"]]) for kind, rule in TENDER_RECORDS.items()}
    can["notice"] = may_write_notice(user)
    return {"tender": await tender_state(procedure.id), "tender_can": can, "tender_form": typed or {},
            "property_companies": await property_companies(), "uuid4": lambda: str(uuid.uuid4())}
