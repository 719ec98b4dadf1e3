"""Return visits (回访): the CS center calls the owner a few days after sign-off.

`visits_list_due` (an arq cron job, workers/settings.py) puts each signed-off
repair on the call list when its project's `return_visit_days` have passed
since the sign-off, counted in China days; once per sign-off. The call list
is the listed repairs still signed off (not visited yet).

A call is a record (written once): not reached → the repair stays on the list
for a later call; reached with satisfaction 3 to 5 (满意 or 基本满意) → `visit`
then `close`; 1 or 2 (不满意: the problem is still there, or the work was bad)
→ `visit` then, as CS chooses, `reopen` (triaged again, the SLA clock starts
again) or escalate to the CS manager: every admin gets a notice and the repair
stays visited for the manager to reopen or close.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.columns.combination import WhereRaw

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.notifications.services import Notice, active_users, default_language, notify, send_soon
from server.repairs import states
from server.repairs.closing_tables import RepairSignoff, RepairVisit, RepairVisitDue
from server.repairs.tables import RepairRequest, RepairSettings

CALLERS = (roles.CS_STAFF, roles.ADMIN)
SATISFIED_FROM = 3
FOLLOW_UPS = ("reopen", "escalate")
MAX_COMMENT = 1000


def waiting_call() -> Any:
    """A where-clause on RepairVisitDue: listed repairs not visited yet (the call list)."""
    return RepairVisitDue.repair.is_in(RepairRequest.select(RepairRequest.id).where(
        RepairRequest.status == states.SIGNED_OFF)) & WhereRaw(
        "NOT EXISTS (SELECT 1 FROM repair_visit WHERE repair_visit.listing = repair_visit_due.id "
        "AND repair_visit.reached = {})", True)


async def visits_list_due(now: dt.datetime | None = None) -> int:
    """Put the signed-off repairs whose return-visit day has come on the call list; returns how many."""
    from server.repairs.selectors import unit_projects

    now = now or clock.now()
    today = now.astimezone(clock.CHINA).date()
    rows = await RepairSignoff.select(RepairSignoff.id, RepairSignoff.repair, RepairSignoff.created_at,
                                      RepairSignoff.repair.unit.as_alias("unit")).where(
        (RepairSignoff.outcome == "signed") & (RepairSignoff.repair.status == states.SIGNED_OFF)
        & WhereRaw("NOT EXISTS (SELECT 1 FROM repair_visit_due WHERE repair_visit_due.signoff = repair_signoff.id)")
    ).run()
    if not rows:
        return 0
    projects = await unit_projects(row["unit"] for row in rows)
    days = {r["project"]: r["return_visit_days"] for r in await RepairSettings.select(
        RepairSettings.project, RepairSettings.return_visit_days).where(
        RepairSettings.project.is_in(sorted(set(projects.values())) or [-1])).run()}
    listed = 0
    async with write_transaction():
        for row in rows:
            wait = days.get(projects.get(row["unit"]), RepairSettings.return_visit_days.default)
            due_on = row["created_at"].astimezone(clock.CHINA).date() + dt.timedelta(days=wait)
            if due_on > today:
                continue
            made = await RepairVisitDue.insert(RepairVisitDue(repair=row["repair"], signoff=row["id"], due_on=due_on,
                                                              listed_at=now)).on_conflict(
                action="DO NOTHING").returning(RepairVisitDue.id).run()
            if made:
                listed += 1
                await audit_record(actor=None, object_type="repair", object_id=row["repair"],
                                   action="return_visit_listed", details={"due_on": due_on.isoformat()})
    return listed


async def visits_job(ctx: Any = None) -> int:
    """arq cron: fill the call list. `ctx["now"]` (tests) sets the clock."""
    return await visits_list_due((ctx or {}).get("now"))


def _checked(reached: Any, satisfaction: Any, comment: Any, follow_up: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if isinstance(reached, str):
        reached = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False,
                   "no": False}.get(reached.strip().lower())
    if reached not in (True, False):
        errors["reached"] = _("Say whether the owner was reached.")
    score = None
    if reached is True:
        try:
            score = int(str(satisfaction).strip()) if not isinstance(satisfaction, bool) else None
        except (TypeError, ValueError):
            score = None
        if score is None or not 1 <= score <= 5:
            errors["satisfaction"] = _("Choose the owner's satisfaction from 1 to 5.")
    follow = str(follow_up or "").strip() or "reopen"
    if score is not None and score < SATISFIED_FROM and follow not in FOLLOW_UPS:
        errors["follow_up"] = _("Choose whether to reopen the repair or escalate it to the CS manager.")
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        errors["comment"] = _("At most %(n)s characters.", n=MAX_COMMENT)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    return {"reached": reached, "score": score, "comment": text, "follow_up": follow}


async def visit_record(*, actor: Any, repair: RepairRequest, reached: Any, satisfaction: Any = None,
                       comment: Any = "", follow_up: Any = None) -> RepairVisit:
    """Record one return-visit call (module doc). 403 for anyone but CS, 409 unless the repair is signed off."""
    if getattr(actor, "role", None) not in CALLERS:
        raise Forbidden(_("You do not have permission to do this."))
    if repair.status != states.SIGNED_OFF:
        raise Conflict(_("This repair cannot be changed this way in its current state."))
    clean = _checked(reached, satisfaction, comment, follow_up)
    outcome = ""
    if clean["reached"]:
        outcome = "closed" if clean["score"] >= SATISFIED_FROM else (
            "reopened" if clean["follow_up"] == "reopen" else "escalated")
    due = await RepairVisitDue.select(RepairVisitDue.id).where(RepairVisitDue.repair == repair.id).order_by(
        RepairVisitDue.id, ascending=False).first().run()
    destinations: list[int] = []
    conflict = _("This repair was changed by someone else. Please reload.")
    async with write_transaction():
        if clean["reached"]:
            await compare_and_set(repair, states.VISITED, actor=actor, object_type="repair", action="visit",
                                  conflict_message=conflict, updated_at=dt.datetime.now(dt.timezone.utc))
            if outcome in ("closed", "reopened"):
                target = states.CLOSED if outcome == "closed" else states.REOPENED
                await compare_and_set(repair, target, actor=actor, object_type="repair",
                                      action="close" if outcome == "closed" else "reopen",
                                      conflict_message=conflict, updated_at=dt.datetime.now(dt.timezone.utc))
        elif not await RepairRequest.exists().where((RepairRequest.id == repair.id)
                                                     & (RepairRequest.status == states.SIGNED_OFF)).run():
            raise Conflict(conflict)
        visit = RepairVisit(repair=repair.id, listing=due["id"] if due else None, reached=clean["reached"],
                            satisfaction=clean["score"], comment=clean["comment"], outcome=outcome,
                            created_by=getattr(actor, "id", None))
        await visit.save().run()
        await audit_record(actor=actor, object_type="repair", object_id=repair.id, action="return_visit",
                           details={"visit_id": visit.id, "reached": clean["reached"],
                                    "satisfaction": clean["score"], "outcome": outcome})
        if outcome == "escalated":
            with default_language():
                notice = Notice(key=f"repair-visit:{visit.id}", link=f"/repairs/{repair.id}",
                                title=_("Owner dissatisfied: repair No. %(id)s", id=repair.id),
                                body=_("Satisfaction %(score)s of 5 at the return visit. %(comment)s",
                                       score=clean["score"], comment=clean["comment"]))
            destinations = await notify(await active_users(User.role == roles.ADMIN, exclude=actor), notice)
    await send_soon(destinations)
    return visit


async def call_list(limit: int = 200) -> list[dict]:
    """The call list, oldest due first: repair, due_on, and how many calls were made (not reached)."""
    rows = await RepairVisitDue.select(RepairVisitDue.id, RepairVisitDue.repair, RepairVisitDue.due_on).where(
        waiting_call()).order_by(RepairVisitDue.due_on).order_by(RepairVisitDue.id).limit(limit).run()
    calls: dict[int, int] = {}
    for visit in await RepairVisit.select(RepairVisit.listing).where(
            RepairVisit.listing.is_in([r["id"] for r in rows] or [-1])).run():
        calls[visit["listing"]] = calls.get(visit["listing"], 0) + 1
    return [{**row, "calls": calls.get(row["id"], 0)} for row in rows]
