"""交房公告: the delivery announcement (regulation 2, steps 7 and 8).

The CS center drafts it from a template filled with the batch's data
(templates/delivery/announcement_<locale>.txt: the wording lives there, not
here), edits it while it is a draft and approves it; Brand & PR publishes it,
which opens its public page /announcements/<public_token> to anyone.

A published announcement is a public record and is never edited: a
correction is a new draft that `supersedes` the old one. Once the correction
is published, the old public page points readers to it.

    draft --approve--> approved --publish--> published
"""
from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader
from jinja2_fragments import render_block

from server import clock
from server.accounts import roles
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.delivery.tables import Announcement, DeliveryBatch, DeliveryBatchUnit
from server.errors import Conflict, Invalid, NotFound
from server.i18n import _, current_locale
from server.i18n import lazy_gettext as _l
from server.inspections.states import next_state
from server.notifications import handoffs
from server.notifications.services import send_soon
from server.org.access import is_staff
from server.org.tables import Building, Project
from server.settings import PROJECT_ROOT, get_settings

TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"draft": "approved"},
    "publish": {"approved": "published"},
}
STATUS_LABELS = {"draft": _l("Draft"), "approved": _l("Approved"), "published": _l("Published")}

DRAFTERS = frozenset({roles.CS_STAFF, roles.ADMIN})
"""Draft, edit and approve (the CS center writes the announcement)."""
PUBLISHERS = frozenset({roles.PR, roles.ADMIN})
"""Publish (Brand & PR puts it out)."""

TITLE_MAX = 200
BODY_MAX = 20000


def _not_found() -> NotFound:
    return NotFound(_("The page or record was not found."))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _template_name() -> str:
    return f"delivery/announcement_{'en' if current_locale.get() == 'en' else 'zh_CN'}.txt"


# ---------------------------------------------------------------- access

async def batch_for(user: Any, batch_id: int) -> DeliveryBatch:
    """Staff see every batch; anyone else gets the same 404 as a missing one."""
    batch = await DeliveryBatch.objects().get(DeliveryBatch.id == batch_id).run() if is_staff(user) else None
    if batch is None:
        raise _not_found()
    return batch


async def announcement_for(user: Any, announcement_id: int) -> Announcement:
    found = await Announcement.objects().get(Announcement.id == announcement_id).run() if is_staff(user) else None
    if found is None:
        raise _not_found()
    return found


# ---------------------------------------------------------------- the template

async def template_context(batch: DeliveryBatch) -> dict:
    """What the announcement template may use: the batch's facts, and today."""
    project = await Project.select(Project.name).where(Project.id == batch.project).first().run()
    building = (await Building.select(Building.name).where(Building.id == batch.building).first().run()
                if batch.building else None)
    units = await DeliveryBatchUnit.count().where(DeliveryBatchUnit.batch == batch.id).run()
    return {"project": project["name"] if project else "", "building": building["name"] if building else "",
            "batch": batch.name, "starts_on": batch.starts_on, "ends_on": batch.ends_on, "place": batch.place,
            "what_to_bring": [line.strip() for line in (batch.what_to_bring or "").splitlines() if line.strip()],
            "unit_count": units, "today": clock.today()}


@lru_cache(maxsize=1)
def _wording() -> Environment:
    """The wording templates: plain text, nothing escaped, no web globals (not the pages' environment)."""
    return Environment(loader=FileSystemLoader(str(PROJECT_ROOT / "templates")), autoescape=False,
                       trim_blocks=True, lstrip_blocks=True, auto_reload=get_settings().debug)


def render_template(context: dict) -> tuple[str, str]:
    """(title, body) from the template in the current language."""
    env = _wording()
    title = render_block(env, _template_name(), "title", context).strip()
    body = render_block(env, _template_name(), "body", context).strip()
    return title[:TITLE_MAX], body


# ---------------------------------------------------------------- writes

async def announcement_draft(*, actor: Any, batch: DeliveryBatch, supersedes_id: int | None = None) -> Announcement:
    """A new draft: from the template, or, for a correction, a copy of the published one it supersedes."""
    if supersedes_id is not None:
        old = await Announcement.objects().get(
            (Announcement.id == supersedes_id) & (Announcement.batch == batch.id)).run()
        if old is None:
            raise Invalid(_("Please correct the marked fields."),
                          field_errors={"supersedes_id": _("Choose a published announcement of this batch.")})
        if old.status != "published":
            raise Conflict(_("Only a published announcement can be corrected; edit the draft instead."))
        title, body = old.title, old.body
    else:
        title, body = render_template(await template_context(batch))
    announcement = Announcement(batch=batch.id, title=title, body=body, status="draft",
                                public_token=secrets.token_urlsafe(24), drafted_by=getattr(actor, "id", None),
                                drafted_at=_now(), supersedes=supersedes_id)
    async with write_transaction():
        await announcement.save().run()
        await audit_record(actor=actor, object_type="announcement", object_id=announcement.id, action="draft",
                           to_state="draft", details={"batch_id": batch.id, "supersedes_id": supersedes_id})
    return announcement


async def announcement_edit(*, actor: Any, announcement: Announcement, title: str | None = None,
                            body: str | None = None) -> Announcement:
    """Change the title or body of a draft (only a draft: anything else is a 409)."""
    errors: dict[str, str] = {}
    if title is not None:
        title = title.strip()
        if not title:
            errors["title"] = _("This field is required.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("At most %(n)s characters.", n=TITLE_MAX)
    if body is not None:
        body = body.replace("\r\n", "\n").strip()
        if len(body) > BODY_MAX:
            errors["body"] = _("At most %(n)s characters.", n=BODY_MAX)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    changes = {}
    if title is not None:
        changes[Announcement.title] = title
    if body is not None:
        changes[Announcement.body] = body
    if not changes:
        return announcement
    async with write_transaction():
        # Compare-and-set: an approval that got in first makes this edit a 409.
        updated = await Announcement.update(changes).where(
            (Announcement.id == announcement.id) & (Announcement.status == "draft")).returning(Announcement.id).run()
        if not updated:
            raise Conflict(_("Only a draft can be edited. A published announcement is corrected by a new one."))
        await audit_record(actor=actor, object_type="announcement", object_id=announcement.id, action="edit",
                           details={"fields": sorted(c._meta.name for c in changes)})
    for column, value in changes.items():
        setattr(announcement, column._meta.name, value)
    return announcement


async def _transition(actor: Any, announcement: Announcement, action: str, **changes: Any) -> Announcement:
    target = next_state(TRANSITIONS, action, announcement.status)
    async with write_transaction():
        await compare_and_set(announcement, target, actor=actor, object_type="announcement", action=action,
                              conflict_message=_("This cannot be done in the record's current state."), **changes)
    return announcement


async def announcement_approve(*, actor: Any, announcement: Announcement) -> Announcement:
    if announcement.status != "draft":
        raise Conflict(_("Only a draft can be approved."))
    if not announcement.title.strip() or not announcement.body.strip():
        raise Invalid(_("An empty announcement cannot be approved: write its title and text first."))
    async with write_transaction():
        await _transition(actor, announcement, "approve", approved_by=getattr(actor, "id", None),
                          approved_at=_now())
        told = await handoffs.announcement_approved(actor=actor, announcement=announcement)
    await send_soon(told)
    return announcement


async def announcement_publish(*, actor: Any, announcement: Announcement) -> Announcement:
    if announcement.status != "approved":
        raise Conflict(_("Only an approved announcement can be published."))
    return await _transition(actor, announcement, "publish", published_by=getattr(actor, "id", None),
                             published_at=_now())


# ---------------------------------------------------------------- reads

async def published_by_token(token: str) -> Announcement:
    """The public page's announcement: published ones only, else 404."""
    found = await Announcement.objects().get(
        (Announcement.public_token == token) & (Announcement.status == "published")).run()
    if found is None:
        raise _not_found()
    return found


async def newer_version(announcement: Announcement) -> Announcement | None:
    """The newest published correction of this announcement (following corrections of corrections)."""
    newest = None
    current_id = announcement.id
    for _step in range(50):  # a chain of corrections is short; the bound guards against a cycle
        newer = await Announcement.objects().where(
            (Announcement.supersedes == current_id) & (Announcement.status == "published")).order_by(
            Announcement.published_at, ascending=False).first().run()
        if newer is None:
            break
        newest, current_id = newer, newer.id
    return newest


async def superseded_ids(ids: list[int]) -> dict[int, int]:
    """{old id: id of a published announcement that corrects it} for these ids (one query)."""
    rows = await Announcement.select(Announcement.id, Announcement.supersedes).where(
        Announcement.supersedes.is_in(ids or [-1]) & (Announcement.status == "published")).order_by(
        Announcement.id).run()
    return {r["supersedes"]: r["id"] for r in rows}


def public_path(announcement: Announcement | dict) -> str:
    token = announcement["public_token"] if isinstance(announcement, dict) else announcement.public_token
    return f"/announcements/{token}"
