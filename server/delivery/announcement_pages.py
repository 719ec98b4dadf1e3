"""Pages of the delivery announcement (交房公告): a batch's announcements with
the buttons the user's role allows (CS: draft, edit, approve, correct; PR:
publish), one announcement, and the public page anyone opens from its link.

Every rule is in announcements.py; a refused action shows the announcement
again with the reason (409 or 400), keeping what was typed.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from piccolo.querystring import QueryString

from server.accounts import roles
from server.accounts.tables import User
from server.clock import local_time
from server.delivery import announcements as svc
from server.delivery.tables import Announcement, DeliveryBatch
from server.errors import Conflict, Invalid
from server.i18n import _
from server.org.pages import Form, done, opt_int, page_of, paged_rows
from server.org.tables import Project
from server.web.guards import allow, current_user
from server.web.templating import render


async def _batch_row(batch_id: int) -> dict:
    return await DeliveryBatch.select(
        DeliveryBatch.id, DeliveryBatch.name, DeliveryBatch.starts_on, DeliveryBatch.ends_on, DeliveryBatch.place,
        DeliveryBatch.project.name.as_alias("project"), DeliveryBatch.building.name.as_alias("building"),
    ).where(DeliveryBatch.id == batch_id).first().run()


async def _names(ids: list[Any]) -> dict[int, str]:
    ids = [i for i in ids if i]
    rows = await User.select(User.id, User.username, User.display_name).where(User.id.is_in(ids or [-1])).run()
    return {r["id"]: r["display_name"] or r["username"] for r in rows}


def _may(user: Any) -> dict[str, bool]:
    return {"draft": user.role in svc.DRAFTERS, "publish": user.role in svc.PUBLISHERS}


class AnnouncementPages(Controller):
    path = "/delivery"
    include_in_schema = False

    @get("/batches/{batch_id:int}/announcements", guards=[allow(*roles.STAFF)])
    async def batch_list(self, request: Request, batch_id: int, limit: str | None = None,
                         offset: str | None = None) -> Response:
        user = current_user(request)
        await svc.batch_for(user, batch_id)
        where = Announcement.batch == batch_id
        page = await paged_rows(Announcement.select().where(where).order_by(Announcement.id, ascending=False),
                                Announcement.count().where(where), page_of(limit, offset))
        newer = await svc.superseded_ids([r["id"] for r in page["rows"]])
        return render(request, "delivery/announcement_list.html", block="list", batch=await _batch_row(batch_id),
                      page=page, newer=newer, labels=svc.STATUS_LABELS, may=_may(user), when=local_time)

    @get("/announcements", guards=[allow(*roles.STAFF)])
    async def all_list(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        """Every batch's announcements, those approved and waiting to be published first (Brand & PR's list)."""
        user = current_user(request)
        waiting_first = QueryString("CASE WHEN \"delivery_announcement\".\"status\" = 'approved' THEN 0 ELSE 1 END")
        page = await paged_rows(Announcement.select().order_by(waiting_first).order_by(Announcement.id, ascending=False),
                                Announcement.count(), page_of(limit, offset))
        newer = await svc.superseded_ids([r["id"] for r in page["rows"]])
        return render(request, "delivery/announcement_list.html", block="list", batch=None, page=page, newer=newer,
                      labels=svc.STATUS_LABELS, may=_may(user), when=local_time)

    @post("/batches/{batch_id:int}/announcements", guards=[allow(*svc.DRAFTERS)])
    async def draft(self, request: Request, batch_id: int, data: Form) -> Response:
        user = current_user(request)
        batch = await svc.batch_for(user, batch_id)
        supersedes = opt_int(data.get("supersedes_id"))
        announcement = await svc.announcement_draft(actor=user, batch=batch, supersedes_id=supersedes)
        message = _("Correction drafted: edit it, then approve it.") if supersedes else _(
            "Announcement drafted from the template: check and edit it, then approve it.")
        return done(request, f"/delivery/announcements/{announcement.id}", message)

    async def _detail(self, request: Request, announcement: Announcement, *, form: dict | None = None,
                      errors: dict | None = None, message: str | None = None, status_code: int = 200) -> Response:
        user = current_user(request)
        newer = await svc.newer_version(announcement) if announcement.status == "published" else None
        names = await _names([announcement.drafted_by, announcement.approved_by, announcement.published_by])
        return render(request, "delivery/announcement_detail.html", block="form" if status_code != 200 else None,
                      status_code=status_code, a=announcement, batch=await _batch_row(announcement.batch),
                      form=form or {"title": announcement.title, "body": announcement.body}, errors=errors or {},
                      message=message, newer=newer, names=names, labels=svc.STATUS_LABELS, may=_may(user),
                      public_path=svc.public_path(announcement), when=local_time)

    @get("/announcements/{announcement_id:int}", guards=[allow(*roles.STAFF)])
    async def detail(self, request: Request, announcement_id: int) -> Response:
        return await self._detail(request, await svc.announcement_for(current_user(request), announcement_id))

    @post("/announcements/{announcement_id:int}", guards=[allow(*svc.DRAFTERS)])
    async def edit(self, request: Request, announcement_id: int, data: Form) -> Response:
        user = current_user(request)
        announcement = await svc.announcement_for(user, announcement_id)
        form = {"title": str(data.get("title") or ""), "body": str(data.get("body") or "")}
        try:
            await svc.announcement_edit(actor=user, announcement=announcement, **form)
        except (Invalid, Conflict) as exc:
            return await self._detail(request, announcement, form=form, errors=exc.field_errors,
                                      message=exc.message, status_code=exc.status_code)
        return done(request, f"/delivery/announcements/{announcement_id}", _("Saved."))

    async def _act(self, request: Request, announcement_id: int, action: Any, message: str) -> Response:
        user = current_user(request)
        announcement = await svc.announcement_for(user, announcement_id)
        try:
            await action(actor=user, announcement=announcement)
        except (Invalid, Conflict) as exc:
            return await self._detail(request, announcement, message=exc.message, status_code=exc.status_code)
        return done(request, f"/delivery/announcements/{announcement_id}", message)

    @post("/announcements/{announcement_id:int}/approve", guards=[allow(*svc.DRAFTERS)])
    async def approve(self, request: Request, announcement_id: int) -> Response:
        return await self._act(request, announcement_id, svc.announcement_approve,
                               _("Approved: Brand & PR can now publish it."))

    @post("/announcements/{announcement_id:int}/publish", guards=[allow(*svc.PUBLISHERS)])
    async def publish(self, request: Request, announcement_id: int) -> Response:
        return await self._act(request, announcement_id, svc.announcement_publish,
                               _("Published: its public page is open to everyone."))


class PublicAnnouncementPage(Controller):
    """/announcements/<token>: no sign-in; only a published announcement, else 404."""

    path = "/announcements"
    include_in_schema = False

    @get("/{token:str}")
    async def public(self, request: Request, token: str) -> Response:
        announcement = await svc.published_by_token(token)
        batch = await DeliveryBatch.select(DeliveryBatch.project).where(
            DeliveryBatch.id == announcement.batch).first().run()
        project = await Project.select(Project.name).where(Project.id == batch["project"]).first().run()
        return render(request, "delivery/announcement_public.html", a=announcement, project=project["name"],
                      newer=await svc.newer_version(announcement), when=local_time)


ANNOUNCEMENT_PAGES = [AnnouncementPages, PublicAnnouncementPage]
