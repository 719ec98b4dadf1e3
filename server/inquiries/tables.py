"""Customer inquiries (客户咨询, regulation 5): who asked, how, about what, and
the answer given (linked to the knowledge-base entry it came from, if any)."""
from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.knowledge.tables import KnowledgeEntry
from server.org.tables import Unit


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
    """open | answered"""
    answer = Text(default="")
    knowledge_entry = ForeignKey(references=KnowledgeEntry, on_delete=OnDelete.restrict, null=True, default=None)
    """The knowledge-base entry whose answer was used."""
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    answered_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
