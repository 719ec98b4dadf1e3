"""JSON API: the delivery announcement (交房公告). Rules in announcements.py."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import msgspec
from litestar import Controller, Request, get, patch, post

from server.accounts import roles
from server.delivery import announcements as svc
from server.delivery.tables import Announcement
from server.pagination import Page
from server.settings import get_settings
from server.web.guards import allow, current_user


class AnnouncementDraftIn(msgspec.Struct):
    supersedes_id: Optional[int] = None
    """A published announcement of this batch to correct: the draft starts as its copy."""


class AnnouncementEditIn(msgspec.Struct):
    title: Optional[str] = None
    body: Optional[str] = None


class AnnouncementOut(msgspec.Struct):
    id: int
    batch_id: int
    title: str
    body: str
    status: str
    """draft, approved or published"""
    public_url: Optional[str]
    """The page anyone may open, once published."""
    supersedes_id: Optional[int]
    superseded_by_id: Optional[int]
    """A published correction of this announcement, if any."""
    drafted_by_id: Optional[int]
    drafted_at: dt.datetime
    approved_by_id: Optional[int]
    approved_at: Optional[dt.datetime]
    published_by_id: Optional[int]
    published_at: Optional[dt.datetime]


class AnnouncementList(msgspec.Struct):
    items: list[AnnouncementOut]
    total: int


def announcement_out(a: Announcement | dict, superseded_by: Optional[int] = None) -> AnnouncementOut:
    row = a if isinstance(a, dict) else a.to_dict()
    published = row["status"] == "published"
    return AnnouncementOut(
        id=row["id"], batch_id=row["batch"], title=row["title"], body=row["body"], status=row["status"],
        public_url=f"{get_settings().base_url}{svc.public_path(row)}" if published else None,
        supersedes_id=row["supersedes"], superseded_by_id=superseded_by, drafted_by_id=row["drafted_by"],
        drafted_at=row["drafted_at"], approved_by_id=row["approved_by"], approved_at=row["approved_at"],
        published_by_id=row["published_by"], published_at=row["published_at"])


async def _out(a: Announcement) -> AnnouncementOut:
    return announcement_out(a, (await svc.superseded_ids([a.id])).get(a.id))


class AnnouncementApi(Controller):
    path = "/api/v1"
    tags = ["Delivery"]

    @post("/delivery-batches/{batch_id:int}/announcements", guards=[allow(*svc.DRAFTERS)], status_code=201)
    async def draft(self, request: Request, batch_id: int, data: Optional[AnnouncementDraftIn] = None
                    ) -> AnnouncementOut:
        """A draft from the template filled with the batch's data (CS staff), or with `supersedes_id` a
        correction of a published announcement (a copy of it to edit). 409 if that one is not published."""
        user = current_user(request)
        batch = await svc.batch_for(user, batch_id)
        announcement = await svc.announcement_draft(actor=user, batch=batch,
                                                    supersedes_id=data.supersedes_id if data else None)
        return await _out(announcement)

    @get("/delivery-batches/{batch_id:int}/announcements", guards=[allow(*roles.STAFF)])
    async def batch_list(self, request: Request, batch_id: int, limit: Optional[int] = None,
                   offset: Optional[int] = None) -> AnnouncementList:
        """The batch's announcements, newest first."""
        await svc.batch_for(current_user(request), batch_id)
        page = Page.of(limit, offset)
        rows = await Announcement.select().where(Announcement.batch == batch_id).order_by(
            Announcement.id, ascending=False).limit(page.limit).offset(page.offset).run()
        newer = await svc.superseded_ids([r["id"] for r in rows])
        total = await Announcement.count().where(Announcement.batch == batch_id).run()
        return AnnouncementList(items=[announcement_out(r, newer.get(r["id"])) for r in rows], total=total)

    @get("/announcements/{announcement_id:int}", guards=[allow(*roles.STAFF)])
    async def detail(self, request: Request, announcement_id: int) -> AnnouncementOut:
        return await _out(await svc.announcement_for(current_user(request), announcement_id))

    @patch("/announcements/{announcement_id:int}", guards=[allow(*svc.DRAFTERS)])
    async def edit(self, request: Request, announcement_id: int, data: AnnouncementEditIn) -> AnnouncementOut:
        """Change a draft's title or body. 409 once approved or published."""
        user = current_user(request)
        announcement = await svc.announcement_for(user, announcement_id)
        return await _out(await svc.announcement_edit(actor=user, announcement=announcement, title=data.title,
                                                      body=data.body))

    @post("/announcements/{announcement_id:int}/approve", guards=[allow(*svc.DRAFTERS)], status_code=200)
    async def approve(self, request: Request, announcement_id: int) -> AnnouncementOut:
        """draft → approved (CS staff). 400 when title or text is empty, 409 from any other state."""
        user = current_user(request)
        announcement = await svc.announcement_for(user, announcement_id)
        return await _out(await svc.announcement_approve(actor=user, announcement=announcement))

    @post("/announcements/{announcement_id:int}/publish", guards=[allow(*svc.PUBLISHERS)], status_code=200)
    async def publish(self, request: Request, announcement_id: int) -> AnnouncementOut:
        """approved → published (Brand & PR): its `public_url` opens without signing in. 409 from any other state."""
        user = current_user(request)
        announcement = await svc.announcement_for(user, announcement_id)
        return await _out(await svc.announcement_publish(actor=user, announcement=announcement))


ANNOUNCEMENT_API = [AnnouncementApi]
