"""The in-app inbox: messages to a party's users (or to one user)."""
from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Party


class InboxMessage(Table, tablename="inbox_message"):
    """Addressed to a party (every user of it sees it) or to one user."""

    party = ForeignKey(references=Party, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    dedupe_key = Varchar(length=100, unique=True)
    """So a job that runs twice posts one message, not two."""
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)
