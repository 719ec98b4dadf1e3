"""House acceptance inspection (regulation 4): plans, inspections, checklists,
defects, rectification notices, checks during rectification and rechecks.

State machines live in `states.py`; these tables only hold the facts.
"""
from piccolo.columns import (
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Building, Party, Project, Unit, UnitType


# ------------------------------------------------------------------ checklists

class ChecklistTemplate(Table, tablename="checklist_template"):
    """Rooms and check items. Chosen for a unit: its unit type's template, else
    the project's default, else the global default (project null)."""

    name = Varchar(length=100)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    unit_type = ForeignKey(references=UnitType, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ChecklistRoom(Table, tablename="checklist_room"):
    template = ForeignKey(references=ChecklistTemplate, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50)
    position = Integer(default=0)


class ChecklistItem(Table, tablename="checklist_item"):
    room = ForeignKey(references=ChecklistRoom, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=100)
    category = Varchar(length=30)
    criteria = Text(default="")
    position = Integer(default=0)


class TradeAssignment(Table, tablename="trade_assignment"):
    """Which construction unit answers for a defect category in a building
    (the default responsible party when a defect is recorded)."""

    building = ForeignKey(references=Building, on_delete=OnDelete.cascade, index=True)
    category = Varchar(length=30)
    party = ForeignKey(references=Party, on_delete=OnDelete.cascade)


# ------------------------------------------------------------------ plans and inspections

class InspectionPlan(Table, tablename="inspection_schedule"):
    """验收计划进度表: which units, which days, which inspectors."""

    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    starts_on = Date()
    ends_on = Date()
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Inspection(Table, tablename="inspection"):
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    plan = ForeignKey(references=InspectionPlan, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    inspector = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    scheduled_for = Date(null=True, default=None, index=True)
    status = Varchar(length=20, default="planned", index=True)
    kind = Varchar(length=20, default="acceptance")
    """acceptance (分户验收), or delivery_walkthrough: the owner's walk through
    a unit that has passed, on delivery day. A walkthrough's defects go to
    rectification like any other, but do not take the unit back from passed."""
    is_first = Boolean(default=True)
    """The unit's first inspection: its result counts for the first-time pass rate."""
    template = ForeignKey(references=ChecklistTemplate, on_delete=OnDelete.set_null, null=True, default=None)
    client_id = UUID(null=True, default=None, unique=True)
    started_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    passed_at = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class InspectionAttendee(Table, tablename="inspection_attendee"):
    inspection = ForeignKey(references=Inspection, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30)
    """project_department, supervision_unit or construction_unit."""
    party = ForeignKey(references=Party, on_delete=OnDelete.set_null, null=True, default=None)
    person = Varchar(length=100, default="")


class ItemResult(Table, tablename="item_result"):
    inspection = ForeignKey(references=Inspection, on_delete=OnDelete.cascade, index=True)
    item = ForeignKey(references=ChecklistItem, on_delete=OnDelete.cascade)
    result = Varchar(length=10)
    """ok or na (not applicable: `note` says why); "defect" in rows of old,
    which count for nothing. An item with a defect recorded against it
    counts as checked whatever its result."""
    note = Text(default="")
    batch = UUID(null=True, default=None, index=True)
    """The "whole room OK" action that set this result, so that its undo
    reverts exactly the items that action marked (and none marked since)."""
    by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


# ------------------------------------------------------------------ rectification

class RectificationNotice(Table, tablename="rectification_notice"):
    """整改通知单: one per construction unit per finished inspection."""

    inspection = ForeignKey(references=Inspection, on_delete=OnDelete.restrict, index=True)
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, index=True)
    number = Varchar(length=40, unique=True)
    deadline = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PartyProject(Table, tablename="party_project"):
    """A project where a construction unit has been sent a rectification notice: the project filter of
    its task list (/tasks). Kept by notices.notices_create in the notice's transaction; never removed
    (notices are not deleted). Read instead of going from every defect of the party to its projects,
    which grew with the party's defects (40,000 at the scale benchmark: 6–9 ms of PostgreSQL a page)."""

    party = ForeignKey(references=Party, on_delete=OnDelete.cascade)
    project = ForeignKey(references=Project, on_delete=OnDelete.cascade)


class NoticeDelivery(Table, tablename="notice_delivery"):
    """One channel's delivery of a notice: inbox, webhook or email. Retried
    by the worker; a failure shows on the notice and blocks nothing."""

    notice = ForeignKey(references=RectificationNotice, on_delete=OnDelete.cascade, index=True)
    channel = Varchar(length=10)
    purpose = Varchar(length=20, default="notice")
    """notice, overdue or escalation."""
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)


class Defect(Table, tablename="defect"):
    inspection = ForeignKey(references=Inspection, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    client_id = UUID(null=True, default=None, unique=True)
    checklist_item = ForeignKey(references=ChecklistItem, on_delete=OnDelete.set_null, null=True, default=None)
    room = Varchar(length=50)
    category = Varchar(length=30, index=True)
    severity = Varchar(length=10)
    description = Text(default="")
    construction_unit = ForeignKey(references=Party, on_delete=OnDelete.restrict, index=True)
    pin_x = Numeric(digits=(5, 4), null=True, default=None)
    pin_y = Numeric(digits=(5, 4), null=True, default=None)
    status = Varchar(length=12, default="open", index=True)
    reopen_count = Integer(default=0)
    notice = ForeignKey(references=RectificationNotice, on_delete=OnDelete.set_null, null=True, default=None,
                        index=True)
    deadline = Timestamptz(null=True, default=None, index=True)
    overdue_since = Timestamptz(null=True, default=None)
    captured_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    rectified_at = Timestamptz(null=True, default=None)
    rectify_note = Text(default="")
    closed_at = Timestamptz(null=True, default=None)


class DefectCheck(Table, tablename="defect_check"):
    """A check by the project department or supervisor during rectification."""

    defect = ForeignKey(references=Defect, on_delete=OnDelete.cascade, index=True)
    by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    result = Varchar(length=10)
    note = Text(default="")
    client_id = UUID(null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Recheck(Table, tablename="recheck"):
    """复验 by the CS center: pass closes the defect, fail reopens it."""

    defect = ForeignKey(references=Defect, on_delete=OnDelete.cascade, index=True)
    by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    result = Varchar(length=10)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
