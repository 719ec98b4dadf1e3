"""The ordering rule: a step (or a tender record) that depends on earlier ones waits for them.

The dependencies are data in seed.py (`after`, `needs` on the template's
steps; `TENDER_RECORDS`). A step whose rules are not met is refused with a
409 that says in Chinese what is missing, and nothing changes. Rules are
looked up by the procedure's template code and the step's position, so a
template without them (the delivery preparation) is not affected.
"""
from __future__ import annotations

from typing import Any

from server.errors import Conflict
from server.i18n import _
from server.i18n import lazy_gettext as _l
from server.procedures.seed import TEMPLATES, TENDER_RECORDS
from server.procedures.tables import Procedure, ProcedureStep, StepStatus
from server.procedures.tender_tables import NoticeStatus, TenderBid, TenderExpert, TenderNotice, TenderRecord

FACT_LABELS = {
    "notice_published": _l("publish the tender notice first"),
    "experts": _l("draw the evaluation experts first"),
    "bids_scored": _l("record the bidders and score every one first"),
    "winner": _l("record the winning property company first"),
    "winner_filing": _l("record the winner's filing number first"),
    "contract": _l("record the contract dates first"),
    "price_filing": _l("record the price filing number first"),
}


def step_rules(template_code: str, position: int) -> dict:
    """{"after": [positions], "needs": [facts]} of a template's step (empty lists when it has none)."""
    for spec in TEMPLATES:
        if spec["code"] == template_code and 1 <= position <= len(spec["steps"]):
            step = spec["steps"][position - 1]
            return {"after": list(step.get("after", [])), "needs": list(step.get("needs", []))}
    return {"after": [], "needs": []}


async def current_records(procedure_id: int) -> dict[str, dict]:
    """{kind: the record in force (the newest of its kind)}."""
    rows = await TenderRecord.select().where(TenderRecord.procedure == procedure_id).order_by(TenderRecord.id).run()
    return {r["kind"]: r for r in rows}


async def facts(procedure_id: int) -> set[str]:
    """Which of the tender's facts exist now."""
    have: set[str] = set()
    if await TenderNotice.exists().where((TenderNotice.procedure == procedure_id)
                                         & (TenderNotice.status == NoticeStatus.PUBLISHED)).run():
        have.add("notice_published")
    if await TenderExpert.exists().where((TenderExpert.procedure == procedure_id)
                                         & TenderExpert.withdrawn_at.is_null()).run():
        have.add("experts")
    bids = await TenderBid.select(TenderBid.score).where(TenderBid.procedure == procedure_id).run()
    if bids and all(b["score"] is not None for b in bids):
        have.add("bids_scored")
    have |= set(await current_records(procedure_id))
    return have


def _refuse(missing: list[str]) -> Conflict:
    return Conflict(_("Not yet: %(missing)s.", missing="；".join(missing)))


async def check_step(step: ProcedureStep) -> None:
    """Before completing `step`: the steps it follows are done and the facts it needs exist (else 409)."""
    procedure = await Procedure.select(Procedure.template_code).where(Procedure.id == step.procedure).first().run()
    rules = step_rules(procedure["template_code"], step.position)
    missing: list[str] = []
    if rules["after"]:
        earlier = await ProcedureStep.select(ProcedureStep.position).where(
            (ProcedureStep.procedure == step.procedure) & ProcedureStep.position.is_in(rules["after"])
            & (ProcedureStep.status != StepStatus.DONE)).order_by(ProcedureStep.position).run()
        missing += [_("step %(n)s is not done yet", n=r["position"]) for r in earlier]
    if rules["needs"]:
        have = await facts(step.procedure)
        missing += [str(FACT_LABELS[f]) for f in rules["needs"] if f not in have]
    if missing:
        raise _refuse(missing)


async def check_record(procedure_id: int, kind: str) -> None:
    """Before recording a `kind` of tender record: its step is not done and the facts it needs exist (else 409)."""
    rule = TENDER_RECORDS[kind]
    step = await ProcedureStep.select(ProcedureStep.status).where(
        (ProcedureStep.procedure == procedure_id) & (ProcedureStep.position == rule["step"])).first().run()
    if step is not None and step["status"] == StepStatus.DONE:
        raise Conflict(_("Step %(n)s is done: reopen it to change its records.", n=rule["step"]))
    have = await facts(procedure_id) if rule["needs"] else set()
    missing = [str(FACT_LABELS[f]) for f in rule["needs"] if f not in have]
    if missing:
        raise _refuse(missing)


async def record_step(procedure_id: int, kind: str) -> Any:
    """The step a kind of record belongs to (its department records it)."""
    return await ProcedureStep.objects().get((ProcedureStep.procedure == procedure_id)
                                             & (ProcedureStep.position == TENDER_RECORDS[kind]["step"])).run()
