"""Reading what closed (or is closing) a repair, for its page: completions with their after-photos,
the owner's answers, quotes and their answers, return visits, the call list's state."""
from __future__ import annotations

from typing import Any

from server.inspections.selectors import photos_by_subject
from server.repairs import quotes, sla
from server.repairs.closing_tables import RepairCompletion, RepairQuote, RepairQuoteDecision, RepairSignoff, \
    RepairVisit, RepairVisitDue
from server.repairs.tables import RepairRequest


async def closing_of(repair: RepairRequest) -> dict[str, Any]:
    """Everything the closing partials (templates/repairs/_closing_*.html) show, in a few queries."""
    import msgspec

    completions = await RepairCompletion.select(
        RepairCompletion.all_columns(), RepairCompletion.created_by.display_name.as_alias("by_name")).where(
        RepairCompletion.repair == repair.id).order_by(RepairCompletion.id).run()
    signoffs = await RepairSignoff.select().where(RepairSignoff.repair == repair.id).order_by(RepairSignoff.id).run()
    by_completion = {s["completion"]: s for s in signoffs}
    for c in completions:
        c["signoff"] = by_completion.get(c["id"])
    photos = [p for p in (await photos_by_subject("repair", [repair.id])).get(repair.id, [])
              if getattr(p, "stage", "") == "after"]
    quote_rows = await RepairQuote.select().where(RepairQuote.repair == repair.id).order_by(RepairQuote.id).run()
    decisions = {d["quote"]: d for d in await RepairQuoteDecision.select().where(
        RepairQuoteDecision.repair == repair.id).run()}
    for q in quote_rows:
        q["decision"] = decisions.get(q["id"])
    latest_quote = quote_rows[-1] if quote_rows else None
    visit_rows = await RepairVisit.select(
        RepairVisit.all_columns(), RepairVisit.created_by.display_name.as_alias("by_name")).where(
        RepairVisit.repair == repair.id).order_by(RepairVisit.id).run()
    listed = await RepairVisitDue.exists().where(RepairVisitDue.repair == repair.id).run()
    late = (await sla.overdue_of([repair.to_dict()])).get(repair.id)
    return {
        "completions": completions, "after_photos": [msgspec.to_builtins(p) for p in photos],
        "latest_completion": completions[-1] if completions else None,
        "quotes": quote_rows, "latest_quote": latest_quote,
        "quote_waiting": bool(latest_quote and latest_quote["decision"] is None),
        "paid": await quotes.paid_by_owner(repair) if repair.status in quotes.BEFORE_WORK or quote_rows else False,
        "quote_open": repair.status in quotes.BEFORE_WORK,
        "visits": visit_rows, "listed": listed, "late": late,
    }
