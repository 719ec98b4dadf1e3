"""API shapes for procedure templates, procedures, steps and their history."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import msgspec

from server.procedures.services import as_list


class TemplateStepOut(msgspec.Struct):
    position: int
    title: str
    responsible_role: str
    responsible_label: str
    responsible_party_id: Optional[int]
    documents: list[str]
    needs_approval: bool
    approver_role: str
    due_offset_days: int


class TemplateOut(msgspec.Struct):
    id: int
    code: str
    name: str
    regulation: str
    steps: list[TemplateStepOut]


class StartIn(msgspec.Struct):
    template_code: str
    subject_kind: str
    subject_id: int
    project_id: int
    start_date: Optional[dt.date] = None
    """Due dates count from it; today (China time) when left out."""


class NoteIn(msgspec.Struct):
    note: str = ""


class ReasonIn(msgspec.Struct):
    reason: str


class DueDateIn(msgspec.Struct):
    due_date: dt.date


class ResponsibleIn(msgspec.Struct):
    party_id: Optional[int]
    """The party that carries the step; null: any user of the step's role."""


class DocumentOut(msgspec.Struct):
    id: int
    step_id: int
    name: str
    filename: str
    media_type: str
    byte_size: int
    sha256: str
    uploaded_by_id: Optional[int]
    uploaded_at: dt.datetime
    url: str


class CompletionOut(msgspec.Struct):
    id: int
    note: str
    completed_by_id: Optional[int]
    completed_by_name: str
    completed_at: dt.datetime


class ApprovalOut(msgspec.Struct):
    id: int
    decision: str
    """"approved" or "rejected"."""
    reason: str
    completion_id: Optional[int]
    decided_by_id: Optional[int]
    decided_by_name: str
    decided_at: dt.datetime


class StepOut(msgspec.Struct):
    id: int
    procedure_id: int
    position: int
    title: str
    responsible_role: str
    responsible_label: str
    responsible_party_id: Optional[int]
    responsible_party_name: str
    required_documents: list[str]
    missing_documents: list[str]
    documents: list[DocumentOut]
    needs_approval: bool
    approver_role: str
    due_date: Optional[dt.date]
    overdue: bool
    status: str
    """"open", "awaiting_approval" or "done"."""
    done_at: Optional[dt.datetime]
    completions: list[CompletionOut]
    approvals: list[ApprovalOut]


class ProcedureOut(msgspec.Struct):
    id: int
    template_code: str
    name: str
    subject_kind: str
    subject_id: int
    project_id: int
    start_date: dt.date
    status: str
    """"in_progress" or "completed"."""
    started_by_id: Optional[int]
    created_at: dt.datetime
    completed_at: Optional[dt.datetime]
    url: str
    """The procedure's page."""
    steps: list[StepOut]


class ProcedureSummaryOut(msgspec.Struct):
    id: int
    template_code: str
    name: str
    subject_kind: str
    subject_id: int
    project_id: int
    project_name: str
    start_date: dt.date
    status: str
    steps_total: int
    steps_done: int
    steps_overdue: int
    created_at: dt.datetime
    url: str


class ProcedureListOut(msgspec.Struct):
    items: list[ProcedureSummaryOut]
    total: int
    limit: int
    offset: int


class TemplateListOut(msgspec.Struct):
    items: list[TemplateOut]
    total: int


def template_out(t: dict) -> TemplateOut:
    return TemplateOut(id=t["id"], code=t["code"], name=t["name"], regulation=t["regulation"], steps=[
        TemplateStepOut(position=s["position"], title=s["title"], responsible_role=s["responsible_role"],
                        responsible_label=s["responsible_label"], responsible_party_id=s["responsible_party"],
                        documents=as_list(s["documents"]), needs_approval=s["needs_approval"],
                        approver_role=s["approver_role"], due_offset_days=s["due_offset_days"])
        for s in t["steps"]])


def document_out(d: Any) -> DocumentOut:
    get = d.get if isinstance(d, dict) else lambda k: getattr(d, k)
    return DocumentOut(id=get("id"), step_id=get("step"), name=get("name"), filename=get("filename"),
                       media_type=get("media_type"), byte_size=get("byte_size"), sha256=get("sha256"),
                       uploaded_by_id=get("uploaded_by"), uploaded_at=get("uploaded_at"),
                       url=f"/api/v1/procedure-documents/{get('id')}/file")


def step_out(s: dict) -> StepOut:
    return StepOut(
        id=s["id"], procedure_id=s["procedure"], position=s["position"], title=s["title"],
        responsible_role=s["responsible_role"], responsible_label=s["responsible_label"],
        responsible_party_id=s["responsible_party"], responsible_party_name=s["party_name"],
        required_documents=s["documents"], missing_documents=s["missing_documents"],
        documents=[document_out(d) for d in s["files"]], needs_approval=s["needs_approval"],
        approver_role=s["approver_role"], due_date=s["due_date"], overdue=s["overdue"], status=s["status"],
        done_at=s["done_at"],
        completions=[CompletionOut(id=c["id"], note=c["note"], completed_by_id=c["completed_by"],
                                   completed_by_name=c["completed_by_name"], completed_at=c["completed_at"])
                     for c in s["completions"]],
        approvals=[ApprovalOut(id=a["id"], decision=a["decision"], reason=a["reason"], completion_id=a["completion"],
                               decided_by_id=a["decided_by"], decided_by_name=a["decided_by_name"],
                               decided_at=a["decided_at"]) for a in s["approvals"]])


def procedure_out(detail: dict) -> ProcedureOut:
    p = detail["procedure"]
    return ProcedureOut(id=p.id, template_code=p.template_code, name=p.name, subject_kind=p.subject_kind,
                        subject_id=p.subject_id, project_id=p.project, start_date=p.start_date, status=p.status,
                        started_by_id=p.started_by, created_at=p.created_at, completed_at=p.completed_at,
                        url=f"/procedures/{p.id}", steps=[step_out(s) for s in detail["steps"]])


def summary_out(r: dict) -> ProcedureSummaryOut:
    return ProcedureSummaryOut(id=r["id"], template_code=r["template_code"], name=r["name"],
                               subject_kind=r["subject_kind"], subject_id=r["subject_id"], project_id=r["project"],
                               project_name=r["project_name"] or "", start_date=r["start_date"], status=r["status"],
                               steps_total=r["steps_total"], steps_done=r["steps_done"],
                               steps_overdue=r["steps_overdue"], created_at=r["created_at"],
                               url=f"/procedures/{r['id']}")
