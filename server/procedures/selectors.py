"""Reads: a procedure with its steps and their history, and paged lists of procedures.

A fixed handful of queries per page, whatever the number of steps: steps,
documents, completions, decisions, then the names of the people and parties
they mention.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from server.accounts.tables import User
from server.org.tables import Party, Project
from server.pagination import Page
from server.procedures import services
from server.procedures.tables import (
    Procedure, ProcedureStep, StepApproval, StepCompletion, StepDocument, StepStatus,
)


async def _names(ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    rows = await User.select(User.id, User.username, User.display_name).where(User.id.is_in(list(ids))).run()
    return {r["id"]: r["display_name"] or r["username"] for r in rows}


async def _party_names(ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in await Party.select(Party.id, Party.name).where(
        Party.id.is_in(list(ids))).run()}


def _group(rows: list[dict], key: str = "step") -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


async def procedure_detail(procedure: Procedure, on: dt.date | None = None) -> dict:
    """The procedure and its steps in order, each with documents, completions and decisions (oldest first)."""
    on = on or services.today()
    steps = await ProcedureStep.select().where(ProcedureStep.procedure == procedure.id).order_by(
        ProcedureStep.position).run()
    step_ids = [s["id"] for s in steps] or [-1]
    documents = _group(await StepDocument.select(
        StepDocument.id, StepDocument.step, StepDocument.name, StepDocument.filename, StepDocument.media_type,
        StepDocument.byte_size, StepDocument.sha256, StepDocument.uploaded_by, StepDocument.uploaded_at,
    ).where(StepDocument.step.is_in(step_ids)).order_by(StepDocument.id).run())
    completions = _group(await StepCompletion.select().where(StepCompletion.step.is_in(step_ids)).order_by(
        StepCompletion.id).run())
    approvals = _group(await StepApproval.select().where(StepApproval.step.is_in(step_ids)).order_by(
        StepApproval.id).run())
    people = {procedure.started_by}
    for rows, field in ((documents, "uploaded_by"), (completions, "completed_by"), (approvals, "decided_by")):
        people |= {r[field] for group in rows.values() for r in group}
    names = await _names(people)
    parties = await _party_names({s["responsible_party"] for s in steps})
    project = await Project.select(Project.id, Project.name).where(Project.id == procedure.project).first().run()
    out_steps = []
    for step in steps:
        required = services.as_list(step["documents"])
        docs = [{**d, "uploaded_by_name": names.get(d["uploaded_by"], "")} for d in documents.get(step["id"], [])]
        have = {d["name"] for d in docs}
        out_steps.append({
            **step,
            "documents": required,
            "files": docs,
            "missing_documents": [n for n in required if n not in have],
            "party_name": parties.get(step["responsible_party"], ""),
            "overdue": services.is_overdue(step, on),
            "days_overdue": (on - step["due_date"]).days if services.is_overdue(step, on) else 0,
            "completions": [{**c, "completed_by_name": names.get(c["completed_by"], "")}
                            for c in completions.get(step["id"], [])],
            "approvals": [{**a, "decided_by_name": names.get(a["decided_by"], "")}
                          for a in approvals.get(step["id"], [])],
        })
        last = out_steps[-1]
        last["history"] = sorted(
            [{"kind": "completed", "at": c["completed_at"], "who": c["completed_by_name"], "text": c["note"]}
             for c in last["completions"]]
            + [{"kind": a["decision"], "at": a["decided_at"], "who": a["decided_by_name"], "text": a["reason"]}
               for a in last["approvals"]],
            key=lambda entry: entry["at"])
    return {
        "procedure": procedure,
        "project": project,
        "started_by_name": names.get(procedure.started_by, ""),
        "steps": out_steps,
        "done": sum(1 for s in steps if s["status"] == StepStatus.DONE),
        "overdue": sum(1 for s in out_steps if s["overdue"]),
    }


def list_filter(project_id: int | None = None, subject_kind: str | None = None, subject_id: int | None = None,
                template_code: str | None = None) -> Any:
    where = Procedure.id.is_not_null()
    if project_id:
        where &= Procedure.project == project_id
    if subject_kind:
        where &= Procedure.subject_kind == subject_kind
    if subject_id:
        where &= Procedure.subject_id == subject_id
    if template_code:
        where &= Procedure.template_code == template_code
    return where


async def procedure_list(where: Any, page: Page, on: dt.date | None = None) -> dict:
    """Newest first, each with its step counts: {"items", "total", "limit", "offset"}."""
    on = on or services.today()
    rows = await Procedure.select(
        *Procedure.all_columns(), Procedure.project.name.as_alias("project_name"),
    ).where(where).order_by(Procedure.id, ascending=False).limit(page.limit).offset(page.offset).run()
    total = await Procedure.count().where(where).run()
    ids = [r["id"] for r in rows] or [-1]
    in_page = ProcedureStep.procedure.is_in(ids)
    counts = {r["procedure"]: r["count"] for r in await ProcedureStep.select(
        ProcedureStep.procedure, Count()).where(in_page).group_by(ProcedureStep.procedure).run()}
    done = {r["procedure"]: r["count"] for r in await ProcedureStep.select(
        ProcedureStep.procedure, Count()).where(in_page & (ProcedureStep.status == StepStatus.DONE)).group_by(
        ProcedureStep.procedure).run()}
    late = {r["procedure"]: r["count"] for r in await ProcedureStep.select(
        ProcedureStep.procedure, Count()).where(
        in_page & (ProcedureStep.status != StepStatus.DONE) & (ProcedureStep.due_date < on)).group_by(
        ProcedureStep.procedure).run()}
    items = [{**r, "steps_total": counts.get(r["id"], 0), "steps_done": done.get(r["id"], 0),
              "steps_overdue": late.get(r["id"], 0)} for r in rows]
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
