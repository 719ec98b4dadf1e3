"""Procedure templates, running procedures, their steps, and each step's history.

A template's steps are *copied* into a procedure when it starts, so editing a
template never changes a procedure already running. What happened to a step
(documents, completions, approval decisions) is history: rows are added,
never edited; a correction is a newer row. The step's `status` is the one
denormalised summary of that history, changed only by `services`.
"""
from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Party, Project


class StepStatus:
    OPEN = "open"
    AWAITING_APPROVAL = "awaiting_approval"
    DONE = "done"


class ProcedureStatus:
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ProcedureTemplate(Table, tablename="procedure_template"):
    code = Varchar(length=50, unique=True)
    """Stable name other code starts procedures by: "delivery_preparation", "pm_tender"."""
    name = Varchar(length=200)
    regulation = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class TemplateStep(Table, tablename="procedure_template_step"):
    template = ForeignKey(references=ProcedureTemplate, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    title = Text()
    responsible_role = Varchar(length=30, default="")
    """The role whose users complete the step; empty: CS staff (and admin) only."""
    responsible_label = Varchar(length=100, default="")
    """The department as the regulation names it (项目部, 总公司办公室...), shown when no party is set."""
    responsible_party = ForeignKey(references=Party, on_delete=OnDelete.set_null, null=True, default=None)
    documents = JSON(default="[]")
    """Names of the documents the step needs before it can be completed."""
    needs_approval = Boolean(default=False)
    approver_role = Varchar(length=30, default="")
    due_offset_days = Integer(default=0)
    """Due date = the procedure's start date + this many days."""


class Procedure(Table, tablename="procedure_run"):
    template = ForeignKey(references=ProcedureTemplate, on_delete=OnDelete.restrict, index=True)
    template_code = Varchar(length=50)
    name = Varchar(length=200)
    subject_kind = Varchar(length=40)
    """What the procedure is for: "delivery_batch", "project", ... with `subject_id`."""
    subject_id = Integer(index=True)
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    start_date = Date()
    status = Varchar(length=20, default=ProcedureStatus.IN_PROGRESS)
    started_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class ProcedureStep(Table, tablename="procedure_step"):
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    title = Text()
    responsible_role = Varchar(length=30, default="")
    responsible_label = Varchar(length=100, default="")
    responsible_party = ForeignKey(references=Party, on_delete=OnDelete.set_null, null=True, default=None)
    documents = JSON(default="[]")
    needs_approval = Boolean(default=False)
    approver_role = Varchar(length=30, default="")
    due_date = Date(null=True, default=None)
    status = Varchar(length=20, default=StepStatus.OPEN, index=True)
    done_at = Timestamptz(null=True, default=None)
    overdue_notified_due = Date(null=True, default=None)
    """The due date whose breach the department was told of (server/procedures/overdue.py): once per breach;
    a moved due date can be breached, and told of, again."""


class StepDocument(Table, tablename="procedure_document"):
    """An uploaded file for a step. A newer upload under the same name supersedes it; nothing is deleted."""

    step = ForeignKey(references=ProcedureStep, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    """Which required document this is (one of the step's `documents`), or a free name."""
    filename = Varchar(length=200)
    media_type = Varchar(length=100)
    """Found by looking at the bytes, never taken from the client."""
    byte_size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=200)
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class StepCompletion(Table, tablename="procedure_step_completion"):
    step = ForeignKey(references=ProcedureStep, on_delete=OnDelete.cascade, index=True)
    note = Text(default="")
    """Anything worth keeping with it: a filing number, a reference."""
    completed_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    completed_at = Timestamptz(default=TimestamptzNow())


class StepApproval(Table, tablename="procedure_step_approval"):
    step = ForeignKey(references=ProcedureStep, on_delete=OnDelete.cascade, index=True)
    completion = ForeignKey(references=StepCompletion, on_delete=OnDelete.cascade, null=True, default=None)
    decision = Varchar(length=20)
    """"approved" or "rejected"."""
    reason = Text(default="")
    decided_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    decided_at = Timestamptz(default=TimestamptzNow())
