"""The tender notice (招标公告, regulation 3 step 5): written and published by Brand & PR.

While published, its page /tender-notices/<public_token> opens to anyone
without signing in; a draft or an unpublished notice is a 404 there. A
published notice is not edited: unpublish it first (each edit is audited
with the text before and after).
"""
from __future__ import annotations

import secrets
from typing import Any

from server.accounts import roles
from server.audit.services import audit_record
from server.db import lock_row, write_transaction
from server.errors import Conflict, Forbidden, NotFound
from server.i18n import _
from server.procedures import tender_rules
from server.procedures.tables import Procedure
from server.procedures.tender_input import actor_id as _actor_id, date_of as _date, invalid as _invalid
from server.procedures.tender_input import now as _now, required as _required
from server.procedures.tender_tables import NoticeStatus, TenderNotice

NOTICE_ROLES = frozenset({roles.PR, roles.ADMIN})
TITLE_MAX, BODY_MAX = 200, 20000
NOTICE_TRANSITIONS = {
    "publish": {NoticeStatus.DRAFT: NoticeStatus.PUBLISHED, NoticeStatus.UNPUBLISHED: NoticeStatus.PUBLISHED},
    "unpublish": {NoticeStatus.PUBLISHED: NoticeStatus.UNPUBLISHED},
}


def may_write_notice(user: Any) -> bool:
    return user is not None and user.role in NOTICE_ROLES


async def notice_save(*, actor: Any, procedure: Procedure, fields: dict) -> TenderNotice:
    """Write or change the notice (title, body, opens_on, closes_on) while it is not published."""
    if not may_write_notice(actor):
        raise Forbidden(_("Only Brand & PR can write and publish the tender notice."))
    errors: dict[str, str] = {}
    title = _required(fields, errors, "title", TITLE_MAX)
    body = _required(fields, errors, "body", BODY_MAX)
    opens_on = _date(fields, errors, "opens_on")
    closes_on = _date(fields, errors, "closes_on")
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = _("The closing date must not be before the opening date.")
    if errors:
        raise _invalid(errors)
    async with write_transaction():
        await tender_rules.check_record(procedure.id, "notice")
        notice = await TenderNotice.objects().get(TenderNotice.procedure == procedure.id).run()
        values = {"title": title, "body": body.replace("\r\n", "\n"), "opens_on": opens_on, "closes_on": closes_on}
        if notice is None:
            notice = TenderNotice(procedure=procedure.id, public_token=secrets.token_urlsafe(24),
                                  status=NoticeStatus.DRAFT, written_by=_actor_id(actor), written_at=_now(), **values)
            await notice.save().run()
            action, before = "write", None
        else:
            await lock_row(TenderNotice, notice.id)
            updated = await TenderNotice.update({getattr(TenderNotice, k): v for k, v in values.items()}).where(
                (TenderNotice.id == notice.id) & (TenderNotice.status != NoticeStatus.PUBLISHED)).returning(
                TenderNotice.id).run()
            if not updated:
                raise Conflict(_("A published notice is not edited: unpublish it first."))
            before = {k: str(getattr(notice, k)) for k in values}
            for k, v in values.items():
                setattr(notice, k, v)
            action = "edit"
        await audit_record(actor=actor, object_type="tender_notice", object_id=notice.id, action=action,
                           to_state=notice.status, details={"procedure_id": procedure.id, "before": before,
                                                            "after": {k: str(v) for k, v in values.items()}})
    return notice


async def notice_set_published(*, actor: Any, procedure: Procedure, publish: bool) -> TenderNotice:
    if not may_write_notice(actor):
        raise Forbidden(_("Only Brand & PR can write and publish the tender notice."))
    action = "publish" if publish else "unpublish"
    async with write_transaction():
        notice = await TenderNotice.objects().get(TenderNotice.procedure == procedure.id).run()
        if notice is None:
            raise Conflict(_("Write the tender notice first."))
        target = NOTICE_TRANSITIONS[action].get(notice.status)
        changes = {TenderNotice.status: target}
        if publish:
            changes |= {TenderNotice.published_by: _actor_id(actor), TenderNotice.published_at: _now()}
        updated = await TenderNotice.update(changes).where(
            (TenderNotice.id == notice.id) & (TenderNotice.status == notice.status)).returning(
            TenderNotice.id).run() if target else []
        if not updated:
            raise Conflict(_("The notice is already published.") if publish
                           else _("Only a published notice can be unpublished."))
        await audit_record(actor=actor, object_type="tender_notice", object_id=notice.id, action=action,
                           from_state=notice.status, to_state=target, details={"procedure_id": procedure.id})
    return await TenderNotice.objects().get(TenderNotice.id == notice.id).run()


async def published_notice(token: str) -> TenderNotice:
    """The public page's notice: published only, else 404."""
    found = await TenderNotice.objects().get(
        (TenderNotice.public_token == token) & (TenderNotice.status == NoticeStatus.PUBLISHED)).run()
    if found is None:
        raise NotFound(_("The page or record was not found."))
    return found


def public_path(token: str) -> str:
    return f"/tender-notices/{token}"

