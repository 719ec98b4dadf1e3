"""Closing a repair (issue 11): the repairer's completion, the owner's sign-off
or refusal, quotes for paid repairs and the owner's answer, the return-visit
call list and its calls, and SLA breaches already escalated.

Completions, sign-offs, quotes, quote decisions and return visits are records:
written once, never changed (the migration adds database triggers that refuse
UPDATE and DELETE). A sign-off stores a SHA-256 of its canonical content, the
signature image's digest included, as the key handover does.
"""
from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.repairs.tables import RepairRequest


class RepairCompletion(Table, tablename="repair_completion"):
    """The repairer's word that the work is done: a note and after-photos (Photo stage "after")."""

    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    note = Text(default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairSignoff(Table, tablename="repair_signoff"):
    """The owner's answer to one completion: signed, or refused with a reason. One per completion."""

    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    completion = ForeignKey(references=RepairCompletion, on_delete=OnDelete.restrict, unique=True)
    outcome = Varchar(length=10)
    """signed | refused"""
    reason = Text(default="")
    via = Varchar(length=20)
    """screen (the repairer's phone) | owner_phone | link (a signed link)"""
    signer_name = Varchar(length=100, default="")
    signature_key = Varchar(length=200, default="")
    signature_sha256 = Varchar(length=64, default="")
    content_sha256 = Varchar(length=64)
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairQuote(Table, tablename="repair_quote"):
    """A price for a repair the owner pays for (out of warranty), in yuan."""

    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    amount = Numeric(digits=(12, 2))
    description = Text()
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairQuoteDecision(Table, tablename="repair_quote_decision"):
    """The owner's answer to one quote: accepted or declined. One per quote."""

    quote = ForeignKey(references=RepairQuote, on_delete=OnDelete.restrict, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    accepted = Boolean()
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairVisitDue(Table, tablename="repair_visit_due"):
    """A signed-off repair on the CS call list (put there by the return-visit cron job)."""

    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    signoff = ForeignKey(references=RepairSignoff, on_delete=OnDelete.restrict, unique=True)
    due_on = Date()
    listed_at = Timestamptz(default=TimestamptzNow())


class RepairVisit(Table, tablename="repair_visit"):
    """One return-visit call: reached or not, satisfaction 1-5, comment, what followed."""

    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    listing = ForeignKey(references=RepairVisitDue, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    """The call-list entry this call was for (None: a call made before the list had it)."""
    reached = Boolean()
    satisfaction = Integer(null=True, default=None)
    comment = Text(default="")
    outcome = Varchar(length=20, default="")
    """closed | reopened | escalated | "" (not reached: stays on the list)"""
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairSlaBreach(Table, tablename="repair_sla_breach"):
    """An SLA deadline missed and escalated; `key` (repair, stage, clock start) makes it once per breach."""

    key = Varchar(length=100, unique=True)
    repair = ForeignKey(references=RepairRequest, on_delete=OnDelete.restrict, index=True)
    stage = Varchar(length=20)
    """response | on_site | done"""
    deadline = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
