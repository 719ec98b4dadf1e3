"""The in-app inbox (messages to a party's users or to one user) and the
outside channels' hourly batches (destinations, items waiting, messages sent)."""
from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
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


# ---------------------------------------------------------------- outside channels, batched per hour

class ChannelDestination(Table, tablename="channel_destination"):
    """Where outside messages go: one webhook URL or one email address (a
    party's). Sent to at most once an hour: `last_sent_at` is claimed with a
    compare-and-set, so two workers never both send within the hour."""

    key = Varchar(length=80, unique=True)
    """channel + ':' + sha256 of the address: one row per place, whoever it serves."""
    channel = Varchar(length=10)
    """webhook or email."""
    address = Varchar(length=500)
    last_sent_at = Timestamptz(null=True, default=None)


class ChannelMessage(Table, tablename="channel_message"):
    """One message sent to a destination, listing the items it carried."""

    destination = ForeignKey(references=ChannelDestination, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=10, default="sending", index=True)
    """sending, sent, retrying or failed."""
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class ChannelItem(Table, tablename="channel_item"):
    """One hand-off to tell a destination; waits (message empty) until its hour comes."""

    destination = ForeignKey(references=ChannelDestination, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=300, default="")
    dedupe_key = Varchar(length=120, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    message = ForeignKey(references=ChannelMessage, on_delete=OnDelete.set_null, null=True, default=None,
                         index=True)
