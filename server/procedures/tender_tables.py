"""The property-management tender's key facts (regulation 3), as records beside its procedure.

- `TenderNotice`: the tender notice (招标公告) Brand & PR publishes; its public
  page /tender-notices/<public_token> opens without signing in while published.
- `TenderExpert`: an evaluation expert (评标专家) drawn from the city property office.
- `TenderBid`: a bidder (a property-company party, or a name) and its score.
- `TenderRecord`: the legal facts — the winner (中标), the winner filing
  (中标备案), the contract dates (《前期物业管理合同》) and the price filing
  (价格备案). These are never edited: a correction is a newer record of the
  same kind that names the one it `supersedes`, with a reason; the newest
  record of a kind is the one in force and the older ones stay as history.

Every write goes through server/procedures/tender.py, which audits it.
"""
from piccolo.columns import UUID, Date, ForeignKey, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Party
from server.procedures.tables import Procedure


class NoticeStatus:
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class RecordKind:
    WINNER = "winner"
    WINNER_FILING = "winner_filing"
    CONTRACT = "contract"
    PRICE_FILING = "price_filing"
    ALL = (WINNER, WINNER_FILING, CONTRACT, PRICE_FILING)


class TenderNotice(Table, tablename="tender_notice"):
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, unique=True)
    title = Varchar(length=200)
    body = Text()
    opens_on = Date()
    """Bids are accepted from this day..."""
    closes_on = Date()
    """...up to and including this day."""
    status = Varchar(length=20, default=NoticeStatus.DRAFT)
    public_token = Varchar(length=64, unique=True)
    written_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    written_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    published_at = Timestamptz(null=True, default=None)


class TenderExpert(Table, tablename="tender_expert"):
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    field = Varchar(length=100)
    """The expert's speciality (物业管理, 工程, 财务...)."""
    drawn_on = Date()
    client_id = UUID(null=True, default=None, unique=True)
    recorded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)
    """Recorded by mistake (a wrong name, drawn twice): withdrawn with a reason, never deleted; a withdrawn
    expert no longer counts as drawn."""
    withdrawn_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    withdrawn_reason = Text(default="")


class TenderBid(Table, tablename="tender_bid"):
    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, null=True, default=None)
    """The bidder as a property-company party, when it is one (only such a bidder can win)."""
    name = Varchar(length=200)
    """The bidder's name (the party's name when a party is set)."""
    score = Numeric(digits=(5, 2), null=True, default=None)
    """The evaluation's total score, 0-100; a change is audited with the old and new score."""
    scored_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    scored_at = Timestamptz(null=True, default=None)
    client_id = UUID(null=True, default=None, unique=True)
    recorded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class TenderRecord(Table, tablename="tender_record"):
    """A legal fact; added, never edited (see the module's docstring)."""

    procedure = ForeignKey(references=Procedure, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)
    bid = ForeignKey(references=TenderBid, on_delete=OnDelete.restrict, null=True, default=None)
    """winner: the winning bid."""
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, null=True, default=None)
    """winner: the winning property company."""
    number = Varchar(length=100, default="")
    """winner_filing, price_filing: the filing number."""
    filed_on = Date(null=True, default=None)
    signed_on = Date(null=True, default=None)
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    """contract: signed, in force from, until."""
    supersedes = ForeignKey(references="TenderRecord", on_delete=OnDelete.restrict, null=True, default=None)
    reason = Text(default="")
    """Why it corrects the record it supersedes."""
    client_id = UUID(null=True, default=None, unique=True)
    recorded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
