"""JSON API: the property-management tender's records on its procedure (rules in tender.py).

Staff roles read (contractors and owners: 403 at the guard, 404 for a
procedure that is not a tender). Brand & PR write and publish the notice;
the other records are written by whoever may work on their step. 400 with
per-field Chinese messages for bad input, 409 when an earlier record or step
is missing (nothing changes), and a repeated `client_id` answers the first
record (200).
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Optional

import msgspec
from litestar import Controller, Request, Response, get, post

from server.procedures import access, tender
from server.procedures.tender_selectors import tender_state
from server.settings import get_settings
from server.web.guards import allow, current_user


class NoticeIn(msgspec.Struct):
    title: str
    body: str
    opens_on: str
    """Bids accepted from (YYYY-MM-DD)."""
    closes_on: str
    """Bids accepted until, inclusive (YYYY-MM-DD; not before opens_on)."""


class NoticeOut(msgspec.Struct):
    id: int
    title: str
    body: str
    opens_on: dt.date
    closes_on: dt.date
    status: str
    """draft, published or unpublished"""
    public_url: Optional[str]
    """The page anyone may open without signing in, while published."""
    written_by_id: Optional[int]
    written_at: dt.datetime
    published_by_id: Optional[int]
    published_at: Optional[dt.datetime]


class ExpertIn(msgspec.Struct):
    name: str
    field: str
    """The expert's speciality."""
    drawn_on: str
    """When drawn (YYYY-MM-DD, not in the future)."""
    client_id: Optional[uuid.UUID] = None


class ExpertOut(msgspec.Struct):
    id: int
    name: str
    field: str
    drawn_on: dt.date
    recorded_by_id: Optional[int]
    recorded_at: dt.datetime
    withdrawn_at: Optional[dt.datetime]
    """Set when it was recorded by mistake and withdrawn (kept, no longer counted)."""
    withdrawn_reason: str


class WithdrawIn(msgspec.Struct):
    reason: str


class BidIn(msgspec.Struct):
    party_id: Optional[int] = None
    """A party of kind property_company (only such a bidder can win)..."""
    name: Optional[str] = None
    """...or just the bidder's name."""
    client_id: Optional[uuid.UUID] = None


class ScoreIn(msgspec.Struct):
    score: str
    """0 to 100, at most two decimals, as a string ("87.50")."""


class BidOut(msgspec.Struct):
    id: int
    party_id: Optional[int]
    name: str
    score: Optional[Decimal]
    scored_by_id: Optional[int]
    scored_at: Optional[dt.datetime]
    winner: bool


class RecordIn(msgspec.Struct):
    kind: str
    """winner (bid_id), winner_filing or price_filing (number, filed_on), contract (signed_on, starts_on, ends_on)."""
    bid_id: Optional[int] = None
    number: Optional[str] = None
    filed_on: Optional[str] = None
    signed_on: Optional[str] = None
    starts_on: Optional[str] = None
    ends_on: Optional[str] = None
    """After starts_on."""
    reason: Optional[str] = None
    """Required when a record of this kind is already in force: this one corrects (supersedes) it."""
    client_id: Optional[uuid.UUID] = None


class RecordOut(msgspec.Struct):
    id: int
    kind: str
    bid_id: Optional[int]
    party_id: Optional[int]
    party_name: Optional[str]
    number: str
    filed_on: Optional[dt.date]
    signed_on: Optional[dt.date]
    starts_on: Optional[dt.date]
    ends_on: Optional[dt.date]
    supersedes_id: Optional[int]
    reason: str
    recorded_by_id: Optional[int]
    recorded_at: dt.datetime


class TenderOut(msgspec.Struct):
    procedure_id: int
    notice: Optional[NoticeOut]
    experts: list[ExpertOut]
    bids: list[BidOut]
    """Best score first."""
    winner: Optional[RecordOut]
    winner_filing: Optional[RecordOut]
    contract: Optional[RecordOut]
    price_filing: Optional[RecordOut]
    history: list[RecordOut]
    """Records no longer in force (corrected by a newer one), newest first."""
    facts: list[str]
    """Which of the facts the steps wait for exist: notice_published, experts, bids_scored, winner, ..."""


def _row(value) -> dict:
    return value if isinstance(value, dict) else value.to_dict()


def notice_out(notice) -> NoticeOut:
    n = _row(notice)
    published = n["status"] == "published"
    return NoticeOut(id=n["id"], title=n["title"], body=n["body"], opens_on=n["opens_on"], closes_on=n["closes_on"],
                     status=n["status"], written_by_id=n["written_by"], written_at=n["written_at"],
                     public_url=f"{get_settings().base_url}{tender.public_path(n['public_token'])}" if published else None,
                     published_by_id=n["published_by"], published_at=n["published_at"])


def expert_out(expert) -> ExpertOut:
    e = _row(expert)
    return ExpertOut(id=e["id"], name=e["name"], field=e["field"], drawn_on=e["drawn_on"],
                     recorded_by_id=e["recorded_by"], recorded_at=e["recorded_at"],
                     withdrawn_at=e["withdrawn_at"], withdrawn_reason=e["withdrawn_reason"])


def bid_out(bid, winner: bool = False) -> BidOut:
    b = _row(bid)
    score = None if b["score"] is None else Decimal(b["score"]).quantize(Decimal("0.01"))  # the same on both databases
    return BidOut(id=b["id"], party_id=b["party"], name=b["name"], score=score, scored_by_id=b["scored_by"],
                  scored_at=b["scored_at"], winner=b.get("winner", winner))


def record_out(record) -> RecordOut:
    r = _row(record)
    return RecordOut(id=r["id"], kind=r["kind"], bid_id=r["bid"], party_id=r["party"], party_name=r.get("party_name"),
                     number=r["number"], filed_on=r["filed_on"], signed_on=r["signed_on"], starts_on=r["starts_on"],
                     ends_on=r["ends_on"], supersedes_id=r["supersedes"], reason=r["reason"],
                     recorded_by_id=r["recorded_by"], recorded_at=r["recorded_at"])


async def tender_out(procedure_id: int) -> TenderOut:
    state = await tender_state(procedure_id)
    records = state["records"]
    older = sorted((r for rows in state["history"].values() for r in rows), key=lambda r: r["id"], reverse=True)
    return TenderOut(procedure_id=procedure_id, notice=notice_out(state["notice"]) if state["notice"] else None,
                     experts=[expert_out(e) for e in state["experts"]], bids=[bid_out(b) for b in state["bids"]],
                     **{k: record_out(records[k]) if k in records else None
                        for k in ("winner", "winner_filing", "contract", "price_filing")},
                     history=[record_out(r) for r in older], facts=sorted(state["facts"]))


def _fields(data: msgspec.Struct) -> dict:
    return msgspec.structs.asdict(data)


class TenderApi(Controller):
    path = "/api/v1/procedures/{procedure_id:int}/tender"
    tags = ["Procedures"]
    guards = [allow(*access.VIEW_ROLES)]

    @get("/")
    async def detail(self, request: Request, procedure_id: int) -> TenderOut:
        """The tender's notice, experts, bidders with scores, and the legal facts in force with their history.
        404 when the procedure is not a property-management tender (`pm_tender`)."""
        await tender.tender_for(current_user(request), procedure_id)
        return await tender_out(procedure_id)

    @post("/notice", guards=[allow(*tender.NOTICE_ROLES)], status_code=200)
    async def notice(self, request: Request, procedure_id: int, data: NoticeIn) -> NoticeOut:
        """Write or change the tender notice (Brand & PR). 409 while it is published (unpublish it first)."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        return notice_out(await tender.notice_save(actor=user, procedure=procedure, fields=_fields(data)))

    @post("/notice/publish", guards=[allow(*tender.NOTICE_ROLES)], status_code=200)
    async def publish(self, request: Request, procedure_id: int) -> NoticeOut:
        """Open its public page (Brand & PR). 409 when already published or not written."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        return notice_out(await tender.notice_set_published(actor=user, procedure=procedure, publish=True))

    @post("/notice/unpublish", guards=[allow(*tender.NOTICE_ROLES)], status_code=200)
    async def unpublish(self, request: Request, procedure_id: int) -> NoticeOut:
        """Close its public page (404 from then on). 409 unless published."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        return notice_out(await tender.notice_set_published(actor=user, procedure=procedure, publish=False))

    @post("/experts", status_code=201)
    async def expert(self, request: Request, procedure_id: int, data: ExpertIn) -> Response[ExpertOut]:
        """An evaluation expert drawn (step 7's department or the CS center)."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        expert, created = await tender.expert_add(actor=user, procedure=procedure, fields=_fields(data))
        return Response(expert_out(expert), status_code=201 if created else 200)

    @post("/experts/{expert_id:int}/withdraw", status_code=200)
    async def withdraw(self, request: Request, procedure_id: int, expert_id: int, data: WithdrawIn) -> ExpertOut:
        """An expert recorded by mistake: withdrawn with a reason, kept in the list, no longer counted as drawn.
        409 when already withdrawn or once step 7 is done."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        return expert_out(await tender.expert_withdraw(actor=user, procedure=procedure, expert_id=expert_id,
                                                       reason=data.reason))

    @post("/bids", status_code=201)
    async def bid(self, request: Request, procedure_id: int, data: BidIn) -> Response[BidOut]:
        """A bidder: a property-company party or a name. 400 when it is already recorded."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        bid, created = await tender.bid_add(actor=user, procedure=procedure, fields=_fields(data))
        return Response(bid_out(bid), status_code=201 if created else 200)

    @post("/bids/{bid_id:int}/score", status_code=200)
    async def score(self, request: Request, procedure_id: int, bid_id: int, data: ScoreIn) -> BidOut:
        """Score a bidder. 409 before experts are drawn, or once a winner is recorded."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        return bid_out(await tender.bid_score(actor=user, procedure=procedure, bid_id=bid_id, score=data.score))

    @post("/records", status_code=201)
    async def record(self, request: Request, procedure_id: int, data: RecordIn) -> Response[RecordOut]:
        """A legal fact: the winner (a property-company bidder; 409 before every bidder is scored), the winner
        or price filing number, the contract dates (409 before a winner). Never edited: recording a kind
        again corrects it (a reason is required) and keeps the old one in `history`."""
        user = current_user(request)
        procedure = await tender.tender_for(user, procedure_id)
        fields = _fields(data)
        record, created = await tender.record_add(actor=user, procedure=procedure, kind=data.kind, fields=fields)
        state = await tender_state(procedure_id)
        named = next((r for r in [state["records"].get(record.kind)] + state["history"][record.kind]
                      if r and r["id"] == record.id), None)
        return Response(record_out(named or record), status_code=201 if created else 200)


TENDER_API = [TenderApi]
