"""Customer inquiries (客户咨询, regulation 5): who asked, how, about what, and
the answer given (linked to the knowledge-base entry it came from, if any)."""
from piccolo.columns import Boolean, ForeignKey, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.knowledge.tables import KnowledgeEntry
from server.org.tables import Party, Project, Unit


class Inquiry(Table, tablename="inquiry"):
    owner = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    """The owner account asking, when the asker has one (found by their phone)."""
    asker_name = Varchar(length=100, default="")
    asker_phone = Varchar(length=30, default="")
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=True, default=None)
    channel = Varchar(length=20)
    """phone | walk_in | online | wechat"""
    category = Varchar(length=50, default="")
    question = Text()
    status = Varchar(length=20, default="open", index=True)
    """open | answered | escalated | drafted | returned | approved | closed (server/inquiries/states.py)"""
    answer = Text(default="")
    knowledge_entry = ForeignKey(references=KnowledgeEntry, on_delete=OnDelete.restrict, null=True, default=None)
    """The knowledge-base entry whose answer was used."""
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    answered_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    """The unit's project, or the one chosen when the inquiry is about no unit (its SLA hours apply)."""
    draft = Text(default="")
    """CS's answer drafted from the departments' replies, waiting for the CS manager's approval."""
    return_reason = Text(default="")
    """Why the CS manager sent the last draft back."""
    approved_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class ContactSheet(Table, tablename="inquiry_sheet"):
    """One department's part of an inquiry's work contact sheet (工作联系单): what CS asks, by when, the reply."""
    inquiry = ForeignKey(references=Inquiry, on_delete=OnDelete.restrict, index=True)
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, index=True)
    request = Text(default="")
    deadline = Timestamptz()
    status = Varchar(length=20, default="waiting", index=True)
    """waiting | replied"""
    reply = Text(default="")
    replied_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class InquiryCallback(Table, tablename="inquiry_callback"):
    """A phone call to the customer with the approved answer: a record, never changed (database triggers refuse
    UPDATE and DELETE); a correction is a new callback."""
    inquiry = ForeignKey(references=Inquiry, on_delete=OnDelete.restrict, index=True)
    reached = Boolean(default=False)
    satisfied = Boolean(null=True, default=None)
    note = Text(default="")
    by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class InquirySla(Table, tablename="inquiry_sla"):
    """A project's hours to the first response and to the answer, per category ('' = every other category)."""
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=50, default="")
    response_hours = Numeric(digits=(8, 2))
    answer_hours = Numeric(digits=(8, 2))


class InquiryBreach(Table, tablename="inquiry_breach"):
    """One missed deadline, escalated once (`key` names the inquiry or sheet, the stage and the deadline)."""
    key = Varchar(length=120, unique=True)
    inquiry = ForeignKey(references=Inquiry, on_delete=OnDelete.restrict, index=True)
    sheet = ForeignKey(references=ContactSheet, on_delete=OnDelete.restrict, null=True, default=None)
    stage = Varchar(length=20)
    """response | answer | reply"""
    deadline = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
