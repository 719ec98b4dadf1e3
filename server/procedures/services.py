"""Procedures: start one from a template, and move its steps along.

A step's life is a small table (`TRANSITIONS`), checked in one place:

    open --complete--> done                  (no approval needed)
    open --complete--> awaiting_approval --approve--> done
                       awaiting_approval --reject---> open   (a reason is required)
    done --reopen----> open                  (a correction, by the CS center)

Completions, decisions and documents are history rows, added and never
edited. Every change writes an audit entry (who, when, from, to) in the same
transaction. Other contexts call `start_procedure` and `procedure_for`.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from server.audit.services import audit_record
from server.clock import today
from server.db import lock_row, write_transaction
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.i18n import _
from server.notifications import handoffs
from server.notifications.services import send_soon
from server.org.tables import Party, Project
from server.procedures import access, documents, tender_rules
from server.procedures.seed import TEMPLATES
from server.procedures.tables import (
    Procedure, ProcedureStatus, ProcedureStep, ProcedureTemplate, StepApproval, StepCompletion, StepDocument,
    StepStatus, TemplateStep,
)

NAME_MAX = 200
NOTE_MAX = 2000
SUBJECT_KIND_MAX = 40

# (action, from status) -> to status; `complete` goes on to approval where the step needs one.
TRANSITIONS = {
    ("complete", StepStatus.OPEN): StepStatus.DONE,
    ("approve", StepStatus.AWAITING_APPROVAL): StepStatus.DONE,
    ("reject", StepStatus.AWAITING_APPROVAL): StepStatus.OPEN,
    ("reopen", StepStatus.DONE): StepStatus.OPEN,
}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else json.loads(value or "[]")


def is_overdue(step: Any, on: dt.date | None = None) -> bool:
    due, status = (step["due_date"], step["status"]) if isinstance(step, dict) else (step.due_date, step.status)
    return due is not None and status != StepStatus.DONE and due < (on or today())


def _transition(step: ProcedureStep, action: str) -> str:
    target = TRANSITIONS.get((action, step.status))
    if target is None:
        raise Conflict(_("This step cannot be changed that way now: it is %(status)s.",
                         status=status_label(step.status)))
    if action == "complete" and step.needs_approval:
        return StepStatus.AWAITING_APPROVAL
    return target


def status_label(status: str) -> str:
    from server.procedures.labels import STEP_STATUS

    return str(STEP_STATUS.get(status, (status, ""))[0])


# ---------------------------------------------------------------- templates

async def templates_ensure() -> None:
    """Create each template of `seed.TEMPLATES` whose code is missing (call it from a write)."""
    async with write_transaction():
        existing = {r["code"] for r in await ProcedureTemplate.select(ProcedureTemplate.code).run()}
        for spec in TEMPLATES:
            if spec["code"] in existing:
                continue
            template = ProcedureTemplate(code=spec["code"], name=spec["name"], regulation=spec.get("regulation", ""))
            await template.save().run()
            await TemplateStep.insert(*[
                TemplateStep(template=template.id, position=position, title=step["title"],
                             responsible_role=step.get("role", ""), responsible_label=step.get("label", ""),
                             documents=step.get("docs", []), needs_approval=bool(step.get("approver")),
                             approver_role=step.get("approver", ""), due_offset_days=step.get("days", 0))
                for position, step in enumerate(spec["steps"], start=1)
            ]).run()


async def template_list() -> list[dict]:
    """Every template with its steps in order (two queries)."""
    templates = await ProcedureTemplate.select().order_by(ProcedureTemplate.id).run()
    steps = await TemplateStep.select().order_by(TemplateStep.template).order_by(TemplateStep.position).run()
    by_template: dict[int, list[dict]] = {}
    for step in steps:
        step["documents"] = as_list(step["documents"])
        by_template.setdefault(step["template"], []).append(step)
    return [{**t, "steps": by_template.get(t["id"], [])} for t in templates]


# ---------------------------------------------------------------- starting and finding

def due_dates(offsets: list[int], start: dt.date, ends_by: dt.date | None = None) -> tuple[dt.date, list[dt.date]]:
    """(the procedure's start, each step's due date) for steps due `offsets` days into it.

    Without `ends_by`, the steps are due `offset` days after `start`. With it, no step is due
    after `ends_by` and the last one is due on it: the procedure starts the template's span
    before it (not before `start`); when fewer days are left than the template spans, every
    offset shrinks in proportion (rounded down), so the steps keep their order."""
    if ends_by is None:
        return start, [start + dt.timedelta(days=o) for o in offsets]
    span = max(offsets, default=0)
    begin = min(max(start, ends_by - dt.timedelta(days=span)), ends_by)
    days = (ends_by - begin).days
    if days >= span:
        return begin, [begin + dt.timedelta(days=o) for o in offsets]
    return begin, [begin + dt.timedelta(days=o * days // span) for o in offsets]


async def start_procedure(template_code: str, subject_kind: str, subject_id: int, project_id: int,
                          start_date: dt.date | None, by_user: Any, ends_by: dt.date | None = None) -> Procedure:
    """Start `template_code` for a subject (e.g. "delivery_batch", 7) of a project.

    The template's steps are copied, each due `due_offset_days` after
    `start_date` (today if None), or timed by `due_dates` to end on `ends_by`
    (a delivery preparation ends on the first delivery day). One running or
    finished procedure per subject and template: a second start is a Conflict (409).
    """
    errors: dict[str, str] = {}
    subject_kind = (subject_kind or "").strip()
    if not subject_kind or len(subject_kind) > SUBJECT_KIND_MAX:
        errors["subject_kind"] = _("This field is required.")
    if not isinstance(subject_id, int) or isinstance(subject_id, bool) or subject_id < 1:
        errors["subject_id"] = _("This value is not valid.")
    if start_date is not None and not isinstance(start_date, dt.date):
        errors["start_date"] = _("This value is not valid.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    start_date = start_date or today()
    await templates_ensure()
    async with write_transaction():
        template = await ProcedureTemplate.objects().get(ProcedureTemplate.code == template_code).run()
        if template is None:
            raise Invalid(_("There is no procedure template %(code)s.", code=template_code),
                          field_errors={"template_code": _("This value is not valid.")})
        if not await Project.exists().where(Project.id == project_id).run():
            raise NotFound(_("The page or record was not found."))
        if await procedure_for(subject_kind, subject_id, template_code) is not None:
            raise Conflict(_("This procedure has already been started for it."))
        steps = await TemplateStep.objects().where(TemplateStep.template == template.id).order_by(
            TemplateStep.position).run()
        start_date, dues = due_dates([s.due_offset_days for s in steps], start_date, ends_by)
        procedure = Procedure(template=template.id, template_code=template.code, name=template.name,
                              subject_kind=subject_kind, subject_id=subject_id, project=project_id,
                              start_date=start_date, started_by=getattr(by_user, "id", None))
        await procedure.save().run()
        await ProcedureStep.insert(*[
            ProcedureStep(procedure=procedure.id, position=s.position, title=s.title,
                          responsible_role=s.responsible_role, responsible_label=s.responsible_label,
                          responsible_party=s.responsible_party, documents=as_list(s.documents),
                          needs_approval=s.needs_approval, approver_role=s.approver_role,
                          due_date=due)
            for s, due in zip(steps, dues)
        ]).run()
        await audit_record(actor=by_user, object_type="procedure", object_id=procedure.id, action="start",
                           to_state=ProcedureStatus.IN_PROGRESS,
                           details={"template": template.code, "subject_kind": subject_kind,
                                    "subject_id": subject_id, "project_id": project_id,
                                    "start_date": start_date.isoformat(), "steps": len(steps)})
    return procedure


async def procedure_for(subject_kind: str, subject_id: int, template_code: str | None = None) -> Procedure | None:
    """The procedure started for this subject (of this template, if given), or None."""
    where = (Procedure.subject_kind == subject_kind) & (Procedure.subject_id == subject_id)
    if template_code:
        where &= Procedure.template_code == template_code
    return await Procedure.objects().where(where).order_by(Procedure.id).first().run()


def procedure_url(procedure_id: int) -> str:
    """The procedure's page, for links from other contexts' pages."""
    return f"/procedures/{procedure_id}"


# ---------------------------------------------------------------- step actions

async def _locked_step(step_id: int) -> ProcedureStep:
    """Re-read inside the write transaction, holding the row (PostgreSQL): the state we
    check is the state we change, and two people completing a step at once cannot both pass."""
    await lock_row(ProcedureStep, step_id)
    step = await ProcedureStep.objects().get(ProcedureStep.id == step_id).run()
    if step is None:
        raise NotFound(_("The page or record was not found."))
    return step


async def missing_documents(step: ProcedureStep) -> list[str]:
    have = {r["name"] for r in await StepDocument.select(StepDocument.name).where(
        StepDocument.step == step.id).run()}
    return [name for name in as_list(step.documents) if name not in have]


async def _set_status(step: ProcedureStep, to: str, *, actor: Any, action: str, details: dict | None = None) -> None:
    from_state = step.status
    now = dt.datetime.now(dt.timezone.utc)
    values: dict[Any, Any] = {ProcedureStep.status: to, ProcedureStep.done_at: now if to == StepStatus.DONE else None}
    await ProcedureStep.update(values).where(ProcedureStep.id == step.id).run()
    step.status, step.done_at = to, values[ProcedureStep.done_at]
    await audit_record(actor=actor, object_type="procedure_step", object_id=step.id, action=action,
                       from_state=from_state, to_state=to, details={"procedure_id": step.procedure, **(details or {})})
    await _update_procedure(step.procedure, actor)


async def _update_procedure(procedure_id: int, actor: Any) -> None:
    """A procedure is completed while every step is done (and in progress again when one reopens)."""
    procedure = await Procedure.objects().get(Procedure.id == procedure_id).run()
    open_steps = await ProcedureStep.count().where(
        (ProcedureStep.procedure == procedure_id) & (ProcedureStep.status != StepStatus.DONE)).run()
    to = ProcedureStatus.COMPLETED if open_steps == 0 else ProcedureStatus.IN_PROGRESS
    if to == procedure.status:
        return
    completed_at = dt.datetime.now(dt.timezone.utc) if to == ProcedureStatus.COMPLETED else None
    await Procedure.update({Procedure.status: to, Procedure.completed_at: completed_at}).where(
        Procedure.id == procedure_id).run()
    await audit_record(actor=actor, object_type="procedure", object_id=procedure_id,
                       action="complete" if to == ProcedureStatus.COMPLETED else "reopen",
                       from_state=procedure.status, to_state=to)


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


async def step_document_add(*, actor: Any, step_id: int, name: Any, path: Any, size: int,
                            filename: str) -> StepDocument:
    """Keep an uploaded file (a staged temp file) as one of the step's documents."""
    step = await _locked_step(step_id)
    if not access.may_work_on(actor, step):
        raise Forbidden(_("Only the responsible department or the CS center can work on this step."))
    if step.status != StepStatus.OPEN:
        raise Conflict(_("Documents can be added only while the step is open."))
    name = _text(name, NAME_MAX)
    if not name:
        required = as_list(step.documents)
        if len(required) != 1:
            raise Invalid(_("Please correct the marked fields."),
                          field_errors={"name": _("Say which document this is.")})
        name = required[0]
    stored = await documents.store(path, size, filename)
    try:
        async with write_transaction():
            step = await _locked_step(step_id)
            if step.status != StepStatus.OPEN:
                raise Conflict(_("Documents can be added only while the step is open."))
            document = StepDocument(step=step.id, name=name, filename=stored.filename,
                                    media_type=stored.kind.media_type, byte_size=stored.size, sha256=stored.sha256,
                                    storage_key=stored.key, uploaded_by=getattr(actor, "id", None))
            await document.save().run()
            await audit_record(actor=actor, object_type="procedure_step", object_id=step.id, action="add_document",
                               from_state=step.status, to_state=step.status,
                               details={"procedure_id": step.procedure, "document_id": document.id, "name": name,
                                        "sha256": stored.sha256, "bytes": stored.size})
    except BaseException:
        from server.photos.storage import get_storage

        await get_storage().delete(stored.key)  # not recorded: do not keep the file either
        raise
    return document


async def step_complete(*, actor: Any, step_id: int, note: Any = "") -> ProcedureStep:
    note = _text(note, NOTE_MAX)
    async with write_transaction():
        step = await _locked_step(step_id)
        if not access.may_work_on(actor, step):
            raise Forbidden(_("Only the responsible department or the CS center can complete this step."))
        to = _transition(step, "complete")
        await tender_rules.check_step(step)  # the steps and facts it depends on (seed.py): else 409
        missing = await missing_documents(step)
        if missing:
            raise Invalid(_("Upload the required documents first: %(names)s.", names="、".join(missing)),
                          field_errors={"documents": "、".join(missing)})
        completion = StepCompletion(step=step.id, note=note, completed_by=getattr(actor, "id", None))
        await completion.save().run()
        await _set_status(step, to, actor=actor, action="complete",
                          details={"completion_id": completion.id, "note": note})
        told = await handoffs.step_completed(actor=actor, step=step)
    await send_soon(told)
    return step


async def _decide(*, actor: Any, step_id: int, decision: str, reason: str) -> ProcedureStep:
    async with write_transaction():
        step = await _locked_step(step_id)
        if not access.may_decide(actor, step):
            raise Forbidden(_("Only the approver of this step can approve or reject it."))
        to = _transition(step, decision)
        completion = await StepCompletion.objects().where(StepCompletion.step == step.id).order_by(
            StepCompletion.id, ascending=False).first().run()
        if completion is not None and completion.completed_by == getattr(actor, "id", None):
            raise Forbidden(_("Someone other than the person who completed the step must approve it."))
        approval = StepApproval(step=step.id, completion=completion.id if completion else None,
                                decision="approved" if decision == "approve" else "rejected", reason=reason,
                                decided_by=getattr(actor, "id", None))
        await approval.save().run()
        await _set_status(step, to, actor=actor, action=decision,
                          details={"approval_id": approval.id, "reason": reason})
        told = await handoffs.step_completed(actor=actor, step=step)
    await send_soon(told)
    return step


async def step_approve(*, actor: Any, step_id: int, note: Any = "") -> ProcedureStep:
    return await _decide(actor=actor, step_id=step_id, decision="approve", reason=_text(note, NOTE_MAX))


async def step_reject(*, actor: Any, step_id: int, reason: Any) -> ProcedureStep:
    reason = _text(reason, NOTE_MAX)
    if not reason:
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"reason": _("Say why the step is rejected.")})
    return await _decide(actor=actor, step_id=step_id, decision="reject", reason=reason)


async def step_reopen(*, actor: Any, step_id: int, reason: Any) -> ProcedureStep:
    """Correct a finished step: it is open again; its earlier completion stays in the history."""
    reason = _text(reason, NOTE_MAX)
    if not reason:
        raise Invalid(_("Please correct the marked fields."), field_errors={"reason": _("Say why it is reopened.")})
    async with write_transaction():
        step = await _locked_step(step_id)
        if not access.may_coordinate(actor):
            raise Forbidden(_("Only the CS center can reopen a step."))
        to = _transition(step, "reopen")
        await _set_status(step, to, actor=actor, action="reopen", details={"reason": reason})
    return step


async def step_due_date_set(*, actor: Any, step_id: int, due_date: Any) -> ProcedureStep:
    if isinstance(due_date, str):
        try:
            due_date = dt.date.fromisoformat(due_date.strip())
        except ValueError:
            due_date = None
    if not isinstance(due_date, dt.date):
        raise Invalid(_("Please correct the marked fields."),
                      field_errors={"due_date": _("Enter a date like 2026-12-31.")})
    async with write_transaction():
        step = await _locked_step(step_id)
        if not access.may_coordinate(actor):
            raise Forbidden(_("Only the CS center can change due dates."))
        if step.status == StepStatus.DONE:
            raise Conflict(_("The step is done: its due date no longer changes."))
        before = step.due_date
        await ProcedureStep.update({ProcedureStep.due_date: due_date}).where(ProcedureStep.id == step.id).run()
        step.due_date = due_date
        await audit_record(actor=actor, object_type="procedure_step", object_id=step.id, action="change_due_date",
                           from_state=before.isoformat() if before else None, to_state=due_date.isoformat(),
                           details={"procedure_id": step.procedure})
    return step


async def step_responsible_set(*, actor: Any, step_id: int, party_id: int | None) -> ProcedureStep:
    """Name the party that carries the step (the winning property company, a department): from then on
    only users of the step's role *and* that party (or the CS center) may work on it. None clears it."""
    async with write_transaction():
        step = await _locked_step(step_id)
        if not access.may_coordinate(actor):
            raise Forbidden(_("Only the CS center can change who is responsible."))
        if step.status == StepStatus.DONE:
            raise Conflict(_("The step is done: who was responsible no longer changes."))
        if party_id is not None and not await Party.exists().where(Party.id == party_id).run():
            raise Invalid(_("Please correct the marked fields."), field_errors={"party_id": _("Choose a party.")})
        before = step.responsible_party
        await ProcedureStep.update({ProcedureStep.responsible_party: party_id}).where(
            ProcedureStep.id == step.id).run()
        step.responsible_party = party_id
        await audit_record(actor=actor, object_type="procedure_step", object_id=step.id, action="change_responsible",
                           from_state=str(before) if before else None, to_state=str(party_id) if party_id else None,
                           details={"procedure_id": step.procedure})
    return step
