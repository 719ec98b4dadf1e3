"""消息: the signed-in person's in-app inbox, unread first.

A contractor reads its party's messages (rectification notices) and its own;
everyone else reads the messages addressed to them (escalations, ...). A
party's message is one row for all its users: whoever reads it marks it read
for the party. Opening a message marks it read and follows its link.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect
from piccolo.querystring import QueryString

from server.clock import local_time
from server.db import write_transaction
from server.errors import NotFound
from server.i18n import _
from server.notifications.services import addressed_to
from server.notifications.tables import InboxMessage
from server.notifications.waiting import waiting_for
from server.org.pages import done, page_of, paged_rows
from server.web.guards import current_user, signed_in
from server.web.nav import NAV_COUNTS, nav_urls_of
from server.web.templating import render


async def inbox_mark_read(user: Any, message_id: int | None = None) -> InboxMessage | None:
    """Mark one message (or, without an id, all of them) read; answers the one message."""
    where = addressed_to(user) & InboxMessage.read_at.is_null()
    message = None
    if message_id is not None:
        message = await InboxMessage.objects().where(addressed_to(user) & (InboxMessage.id == message_id)).first().run()
        if message is None:
            raise NotFound(_("The page or record was not found."))
        where &= InboxMessage.id == message_id
    async with write_transaction():
        await InboxMessage.update({InboxMessage.read_at: dt.datetime.now(dt.timezone.utc)}).where(where).run()
    return message


class InboxPages(Controller):
    path = "/inbox"
    guards = [signed_in]
    include_in_schema = False

    @get("/")
    async def inbox(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        where = addressed_to(current_user(request))
        unread_first = QueryString('CASE WHEN "inbox_message"."read_at" IS NULL THEN 0 ELSE 1 END')
        messages = await paged_rows(
            InboxMessage.objects().where(where).order_by(unread_first).order_by(InboxMessage.id, ascending=False),
            InboxMessage.count().where(where), page_of(limit, offset))
        unread = await InboxMessage.count().where(where & InboxMessage.read_at.is_null()).run()
        return render(request, "notifications/inbox.html", block="list", messages=messages, unread=unread,
                      when=local_time)

    @post("/{message_id:int}/open")
    async def open_message(self, request: Request, message_id: int) -> Response:
        """Mark read, then go where the message points (a path in this app only)."""
        message = await inbox_mark_read(current_user(request), message_id)
        link = message.link if message.link.startswith("/") and not message.link.startswith("//") else "/inbox"
        return Redirect(path=link, status_code=303)

    @post("/{message_id:int}/read")
    async def mark_read(self, request: Request, message_id: int) -> Response:
        await inbox_mark_read(current_user(request), message_id)
        return done(request, "/inbox", _("Marked as read."))

    @post("/read-all")
    async def mark_all_read(self, request: Request) -> Response:
        await inbox_mark_read(current_user(request))
        return done(request, "/inbox", _("All messages marked as read."))


@get("/nav", guards=[signed_in], include_in_schema=False)
async def nav_bar(request: Request, path: str = "/") -> Response:
    """The tab bar alone with fresh counts, for htmx to swap in (`path`: the page it sits on)."""
    user = current_user(request)
    request.scope[NAV_COUNTS] = await waiting_for(user, nav_urls_of(user.role))
    path = path if path.startswith("/") and not path.startswith("//") else "/"
    return render(request, "base.html", block="nav", current_path=path)


INBOX_PAGES = [InboxPages, nav_bar]
