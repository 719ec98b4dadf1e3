"""Overdue procedure steps: tell the step's department (its approver while it awaits approval), once per breach.

Called by the overdue cron (server/inspections/overdue.overdue_job, every few
minutes). A step is overdue when it is not done and its due date has passed
(services.is_overdue, China date). Marking is a compare-and-set on
`overdue_notified_due` (the due date whose breach was told), so however often
the job runs, a breach is told once; a step whose due date is moved and
passed again is told again. Each telling is audited.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.accounts.tables import User
from server.audit.services import audit_record
from server.clock import today
from server.db import write_transaction
from server.i18n import _
from server.notifications import handoffs
from server.notifications.services import Notice, active_users, default_language, notify, send_soon
from server.procedures.tables import Procedure, ProcedureStep, StepStatus


async def steps_overdue_notify(on: dt.date | None = None) -> int:
    """Tell the departments of newly overdue steps; answers how many steps were told of."""
    on = on or today()
    told: list[int] = []
    count = 0
    async with write_transaction():
        newly = await ProcedureStep.update({ProcedureStep.overdue_notified_due: ProcedureStep.due_date}).where(
            (ProcedureStep.status != StepStatus.DONE) & ProcedureStep.due_date.is_not_null()
            & (ProcedureStep.due_date < on)
            & (ProcedureStep.overdue_notified_due.is_null() | (ProcedureStep.overdue_notified_due
                                                               != ProcedureStep.due_date))
        ).returning(*ProcedureStep.all_columns()).run()
        if not newly:
            return 0
        names = {r["id"]: r["name"] for r in await Procedure.select(Procedure.id, Procedure.name).where(
            Procedure.id.is_in(sorted({s["procedure"] for s in newly}))).run()}
        for step in newly:
            waiting_for = (User.role == step["approver_role"] if step["status"] == StepStatus.AWAITING_APPROVAL
                           else handoffs.department(step))  # the approver holds it up, or its department
            users = await active_users(waiting_for)
            with default_language():
                notice = Notice(f"step:{step['id']}:overdue:{step['due_date'].isoformat()}",
                                _("Overdue: %(step)s", step=step["title"]),
                                _("%(procedure)s: step %(position)s was due on %(date)s and is not done.",
                                  procedure=names.get(step["procedure"], ""), position=step["position"],
                                  date=step["due_date"].isoformat()),
                                f"/procedures/{step['procedure']}#step-{step['id']}")
            told += await notify(users, notice)
            await audit_record(actor=None, object_type="procedure_step", object_id=step["id"], action="overdue",
                               from_state=step["status"], to_state=step["status"],
                               details={"procedure_id": step["procedure"], "due_date": step["due_date"].isoformat(),
                                        "told": len(users)})
            count += 1
    await send_soon(told)
    return count


async def overdue_steps_job(ctx: Any = None) -> int:
    return await steps_overdue_notify()
