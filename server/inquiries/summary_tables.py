"""The monthly inquiry summary (regulation 5, item 3) and the links from
knowledge-base entries to the inquiries they came from.

`InquirySummary` is one project's month: the figures the cron computed
(`figures`, JSON, recomputed only by the cron or a "compute again"), and what CS
adds (notes, the inquiries chosen as highlights). `KnowledgeSource` links an
entry to a source inquiry (published from a summary, or linked by hand).
"""
from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.inquiries.tables import Inquiry
from server.knowledge.tables import KnowledgeEntry
from server.org.tables import Project


class InquirySummary(Table, tablename="inquiry_summary"):
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    month = Date()
    """The first day of the month summarised (China dates)."""
    figures = Text(default="{}")
    """JSON: the counts and times (summary.figures)."""
    notes = Text(default="")
    highlights = Text(default="")
    """Space-separated ids of the inquiries CS chose as the month's highlights."""
    version = Integer(default=1)
    computed_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class KnowledgeSource(Table, tablename="knowledge_source"):
    entry = ForeignKey(references=KnowledgeEntry, on_delete=OnDelete.cascade, index=True)
    inquiry = ForeignKey(references=Inquiry, on_delete=OnDelete.restrict, index=True)
    summary = ForeignKey(references=InquirySummary, on_delete=OnDelete.set_null, null=True, default=None)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_by_name = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
