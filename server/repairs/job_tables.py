"""The repair job after triage (issue 11): the quality center's site survey and
repair plan (维修方案) with its attachments and the CS center's decision on it,
the repair unit a job is dispatched to with the visit time agreed with the
owner, and the CS center's checks during the repair.

Surveys, plans and checks are records of what was found and decided: written
once, never edited (a plan sent back is followed by a new plan). A plan's
decision is set once, from blank. An assignment is superseded, never deleted,
when the job goes to another unit.
"""
from piccolo.columns import UUID, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Party
from server.repairs.tables import RepairRequest


class RepairSurvey(Table, tablename="repair_survey"):
    """What the quality center found on site; its photos are `repair` photos of stage `survey`."""

    client_id = UUID(null=True, default=None, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    findings = Text()
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairPlan(Table, tablename="repair_plan"):
    """A repair plan (维修方案) and the CS center's decision on it."""

    client_id = UUID(null=True, default=None, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    text = Text()
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    decision = Varchar(length=20, default="")
    """"" (waiting) | approved | returned"""
    reason = Text(default="")
    """Why it was sent back."""
    decided_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class RepairPlanDocument(Table, tablename="repair_plan_document"):
    """An attachment of a plan: sniffed and stored like a procedure step's documents."""

    plan = ForeignKey(references=RepairPlan, on_delete=OnDelete.restrict, index=True)
    filename = Varchar(length=200)
    media_type = Varchar(length=100)
    byte_size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=300)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairAssignment(Table, tablename="repair_assignment"):
    """The repair unit a job is given to; `superseded` once it goes to another unit."""

    client_id = UUID(null=True, default=None, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, index=True)
    suggested = Boolean(default=False)
    """True when CS took the suggested unit (the construction unit of that trade in that building)."""
    visit_at = Timestamptz(null=True, default=None)
    """The visit time agreed with the owner."""
    visit_note = Text(default="")
    superseded = Boolean(default=False, index=True)
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairCheck(Table, tablename="repair_check"):
    """A CS check during the repair: materials, quality or safety, ok or not; photos are `repair_check` photos."""

    client_id = UUID(null=True, default=None, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    aspect = Varchar(length=20)
    """materials | quality | safety"""
    result = Varchar(length=10)
    """ok | not_ok"""
    note = Text(default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
