"""Reading a repair job: its surveys, plans with their attachments, the unit it
is assigned to and the checks during the repair, in a fixed number of queries."""
from __future__ import annotations

import uuid
from typing import Any

import msgspec

from server.accounts.tables import User
from server.clock import CHINA
from server.inspections.selectors import photos_by_subject
from server.org.tables import Party
from server.i18n import lazy_gettext as _l
from server.repairs import dispatch, states
from server.repairs.checks import ASPECTS, RESULTS
from server.repairs.job_tables import RepairAssignment, RepairCheck, RepairPlan, RepairPlanDocument, RepairSurvey


ACTION_LABELS = {
    "survey_record": _l("Survey recorded"), "plan_issue": _l("Repair plan written"),
    "plan_approved": _l("Plan approved"), "plan_returned": _l("Plan sent back"), "dispatch": _l("Job sent to the unit"),
    "visit_time": _l("Visit time agreed"), "check": _l("Check during the repair"),
    "completion": _l("Completion recorded with after-photos"), "sign_off_record": _l("Owner's signature recorded"),
    "refuse_record": _l("Owner's refusal recorded"), "quote": _l("Quote sent to the owner"),
    "quote_accepted": _l("Quote accepted by the owner"), "quote_declined": _l("Quote declined by the owner"),
    "sla_overdue": _l("Overdue, escalated"), "return_visit_listed": _l("Put on the return-visit call list"),
    "return_visit": _l("Return-visit call recorded"),
}
"""The history's words for the job's audit lines that do not change the status."""


def _iso(value: Any) -> str | None:
    return value.astimezone(CHINA).isoformat() if value is not None else None


async def _names(ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    rows = await User.select(User.id, User.display_name, User.username).where(User.id.is_in(sorted(ids))).run()
    return {r["id"]: r["display_name"] or r["username"] for r in rows}


async def job_view(repair_id: int, document_base: str = "/api/v1/repair-plan-documents/") -> dict[str, Any]:
    """{surveys, plans, assignment, checks} of one repair, each with who and when."""
    surveys = await RepairSurvey.select().where(RepairSurvey.repair == repair_id).order_by(RepairSurvey.id).run()
    plans = await RepairPlan.select().where(RepairPlan.repair == repair_id).order_by(RepairPlan.id).run()
    docs = await RepairPlanDocument.select().where(RepairPlanDocument.plan.is_in(
        [p["id"] for p in plans] or [-1])).order_by(RepairPlanDocument.id).run()
    assignment = await RepairAssignment.select(*RepairAssignment.all_columns(),
                                               RepairAssignment.party.name.as_alias("party_name")).where(
        (RepairAssignment.repair == repair_id) & (RepairAssignment.superseded == False)).first().run()  # noqa: E712
    checks = await RepairCheck.select().where(RepairCheck.repair == repair_id).order_by(RepairCheck.id).run()
    check_photos = await photos_by_subject("repair_check", [c["id"] for c in checks])
    names = await _names({r["created_by"] for r in (*surveys, *plans, *checks)} | {p["decided_by"] for p in plans})
    by_plan: dict[int, list[dict]] = {}
    for d in docs:
        by_plan.setdefault(d["plan"], []).append({
            "id": d["id"], "filename": d["filename"], "media_type": d["media_type"], "byte_size": d["byte_size"],
            "url": f"{document_base}{d['id']}"})
    return {
        "surveys": [{"id": s["id"], "findings": s["findings"], "created_at": _iso(s["created_at"]),
                     "by_name": names.get(s["created_by"], "")} for s in surveys],
        "plans": [{"id": p["id"], "text": p["text"], "created_at": _iso(p["created_at"]),
                   "by_name": names.get(p["created_by"], ""), "decision": p["decision"] or None,
                   "reason": p["reason"], "decided_at": _iso(p["decided_at"]),
                   "decided_by_name": names.get(p["decided_by"], ""), "documents": by_plan.get(p["id"], [])}
                  for p in plans],
        "assignment": None if assignment is None else {
            "id": assignment["id"], "party_id": assignment["party"], "party_name": assignment["party_name"],
            "suggested": assignment["suggested"], "visit_at": _iso(assignment["visit_at"]),
            "visit_note": assignment["visit_note"], "created_at": _iso(assignment["created_at"])},
        "checks": [{"id": c["id"], "aspect": c["aspect"], "aspect_label": str(ASPECTS.get(c["aspect"], c["aspect"])),
                    "result": c["result"], "result_label": str(RESULTS.get(c["result"], c["result"])),
                    "note": c["note"], "created_at": _iso(c["created_at"]), "by_name": names.get(c["created_by"], ""),
                    "photos": [msgspec.to_builtins(p) for p in check_photos.get(c["id"], [])]} for c in checks],
    }


async def party_name(party_id: int) -> str:
    row = await Party.select(Party.name).where(Party.id == party_id).first().run()
    return row["name"] if row else ""


async def visits_of(repair_ids: list[int]) -> dict[int, dict]:
    """repair id → its standing assignment (party name, agreed visit time), in one query."""
    rows = await RepairAssignment.select(RepairAssignment.repair, RepairAssignment.visit_at,
                                         RepairAssignment.party.name.as_alias("party_name")).where(
        RepairAssignment.repair.is_in(repair_ids or [-1]) & (RepairAssignment.superseded == False)).run()  # noqa: E712
    return {r["repair"]: r for r in rows}


async def job_context(repair: Any, *, link_token: str = "") -> dict[str, Any]:
    """What templates/repairs/_job.html needs on a request's page (pages.py adds it)."""
    base = f"/rj/{link_token}/documents/" if link_token else "/api/v1/repair-plan-documents/"
    view = await job_view(repair.id, document_base=base)
    plans = view["plans"]
    ctx: dict[str, Any] = {"job": view, "aspects": ASPECTS, "results": RESULTS,
                           "plan_approved": bool(plans) and plans[-1]["decision"] == "approved",
                           "plan_waiting": bool(plans) and plans[-1]["decision"] is None,
                           "link_token": link_token, "job_form": {"client_id": str(uuid.uuid4())},
                           "job_errors": {}, "job_message": None, "job_which": "",
                           "unit_choices": [], "suggested": None, "job_action_labels": ACTION_LABELS}
    if not link_token and repair.status in (states.TRIAGED, states.PLANNED):
        ctx["unit_choices"] = await dispatch.unit_choices()
        ctx["suggested"] = await dispatch.suggested_party(repair)
    return ctx
