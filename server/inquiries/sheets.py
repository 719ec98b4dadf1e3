"""Escalating an inquiry by work contact sheet (工作联系单, regulation 5 item 2):
CS sends it to one or more departments (parties of kind `department` — the
sales company is one — or the property company), each with a reply date; each
department replies; CS drafts the answer from the replies; the CS manager (an
administrator) approves it or sends it back with a reason; staff phone the
customer and record the call. The moves are in states.py; each is a
compare-and-set, audited; the departments and the CS manager are told through
the notice channels. Knows nothing of HTTP.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.errors import Conflict, Forbidden, Invalid
from server.i18n import _
from server.inquiries import states
from server.inquiries.tables import ContactSheet, Inquiry, InquiryCallback
from server.notifications.services import Notice, active_users, default_language, notify, notify_party, send_soon
from server.org.tables import Party

SHEET_KINDS = ("department", "property_company")
MAX_TEXT = 5000


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def _text(value: Any, name: str, errors: dict[str, str], *, required: str | None = None) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[name] = required
    elif len(text) > MAX_TEXT:
        errors[name] = _("At most %(count)s characters.") % {"count": MAX_TEXT}
    return text


def _may(action: str, actor: Any, table: dict = states.TRANSITIONS) -> None:
    if getattr(actor, "role", None) not in table[action].roles:
        raise Forbidden(_("You may not do this."))


def _conflict() -> Conflict:
    return Conflict(_("This inquiry has moved on: reload the page to see where it stands."))


def _check(action: str, inquiry: Inquiry) -> str:
    target = states.target_of(action, inquiry.status)
    if target is None:
        raise _conflict()
    return target


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of a China date: a reply due "by" that day is late from the next."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=clock.CHINA) - dt.timedelta(seconds=1)


async def sheet_parties() -> list[dict]:
    """The parties a sheet may go to: departments (the sales company among them) and property companies."""
    return await Party.select(Party.id, Party.name, Party.kind).where(Party.kind.is_in(list(SHEET_KINDS))).order_by(
        Party.kind).order_by(Party.name).run()


async def _departments(items: Any, errors: dict[str, str]) -> list[tuple[int, dt.datetime]]:
    """[(party id, deadline)] from [{"party_id", "reply_by" (YYYY-MM-DD, China date, today or later)}]."""
    if not isinstance(items, list) or not items:
        errors["departments"] = _("Choose at least one department.")
        return []
    allowed = {p["id"] for p in await sheet_parties()}
    chosen: list[tuple[int, dt.datetime]] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        party = str(item.get("party_id") or "").strip()
        party_id = int(party) if party.isdigit() else None
        if party_id not in allowed:
            errors[f"departments.{index}.party_id"] = _("Choose a department or the property company.")
            continue
        if party_id in {c[0] for c in chosen}:
            errors[f"departments.{index}.party_id"] = _("Each department once.")
            continue
        try:
            day = dt.date.fromisoformat(str(item.get("reply_by") or "").strip())
        except ValueError:
            errors[f"reply_by_{party_id}"] = _("Enter the reply date, such as 2026-12-31.")
            continue
        if day < clock.today():
            errors[f"reply_by_{party_id}"] = _("The reply date cannot be in the past.")
            continue
        chosen.append((party_id, end_of(day)))
    return chosen


async def _managers() -> list[int]:
    return await active_users(User.role == roles.ADMIN)


async def sheet_escalate(*, actor: Any, inquiry: Inquiry, request: Any, departments: Any) -> list[ContactSheet]:
    """Send an open inquiry to departments: `request` (what CS asks them), `departments` [{party_id, reply_by}]."""
    _may("escalate", actor)
    target = _check("escalate", inquiry)
    errors: dict[str, str] = {}
    text = _text(request, "request", errors)
    chosen = await _departments(departments, errors)
    if errors:
        raise _invalid(errors)
    sheets = [ContactSheet(inquiry=inquiry.id, party=party_id, request=text, deadline=deadline,
                           created_by=getattr(actor, "id", None)) for party_id, deadline in chosen]
    destinations: list[int] = []
    async with write_transaction():
        await compare_and_set(inquiry, target, actor=actor, object_type="inquiry", action="escalate",
                              conflict_message=str(_conflict()))
        for sheet in sheets:
            await sheet.save().run()
            await audit_record(actor=actor, object_type="inquiry_sheet", object_id=sheet.id, action="send",
                               to_state=states.WAITING,
                               details={"inquiry_id": inquiry.id, "party_id": sheet.party,
                                        "deadline": sheet.deadline.isoformat()})
            with default_language():
                notice = Notice(key=f"inquiry-sheet:{sheet.id}", link=f"/sheets/{sheet.id}",
                                title=_("Work contact sheet: inquiry No. %(id)s", id=inquiry.id),
                                body=_("Please reply by %(day)s: %(question)s", day=clock.local_time(
                                    sheet.deadline, "%Y-%m-%d"), question=inquiry.question[:100]))
            destinations += await notify_party(sheet.party, notice)
    await send_soon(destinations)
    return sheets


async def sheet_reply(*, actor: Any, sheet: ContactSheet, reply: Any) -> ContactSheet:
    """A department's reply to its sheet (its own users only; 409 once replied)."""
    if not getattr(actor, "party", None) or actor.party != sheet.party:
        raise Forbidden(_("Only the department the sheet went to may reply."))
    if states.target_of("reply", sheet.status, states.SHEET_TRANSITIONS) is None:
        raise Conflict(_("This sheet has already been replied to."))
    errors: dict[str, str] = {}
    text = _text(reply, "reply", errors, required=_("Enter the reply."))
    if errors:
        raise _invalid(errors)
    inquiry = await Inquiry.objects().get(Inquiry.id == sheet.inquiry).run()
    async with write_transaction():
        await compare_and_set(sheet, states.REPLIED, actor=actor, object_type="inquiry_sheet", action="reply",
                              conflict_message=_("This sheet has already been replied to."), reply=text,
                              replied_by=actor.id, replied_at=clock.now())
        await audit_record(actor=actor, object_type="inquiry", object_id=sheet.inquiry, action="sheet_reply",
                           details={"sheet_id": sheet.id, "party_id": sheet.party})
        with default_language():
            notice = Notice(key=f"inquiry-sheet-reply:{sheet.id}", link=f"/inquiries/{sheet.inquiry}",
                            title=_("A department replied: inquiry No. %(id)s", id=sheet.inquiry),
                            body=text[:200])
        destinations = await notify([u for u in [sheet.created_by, inquiry.created_by if inquiry else None]
                                     if u and u != actor.id], notice)
    await send_soon(destinations)
    return sheet


async def inquiry_draft(*, actor: Any, inquiry: Inquiry, draft: Any) -> Inquiry:
    """CS's answer from the departments' replies (every one must have replied), for the CS manager's approval."""
    _may("draft", actor)
    target = _check("draft", inquiry)
    errors: dict[str, str] = {}
    text = _text(draft, "draft", errors, required=_("Enter the answer."))
    if errors:
        raise _invalid(errors)
    if await ContactSheet.exists().where((ContactSheet.inquiry == inquiry.id)
                                         & (ContactSheet.status == states.WAITING)).run():
        raise Conflict(_("Not every department has replied yet."))
    async with write_transaction():
        await compare_and_set(inquiry, target, actor=actor, object_type="inquiry", action="draft",
                              conflict_message=str(_conflict()), draft=text)
        with default_language():
            notice = Notice(key=f"inquiry-draft:{inquiry.id}:{clock.now().timestamp():.0f}",
                            link=f"/inquiries/{inquiry.id}",
                            title=_("An answer to approve: inquiry No. %(id)s", id=inquiry.id), body=text[:200])
        destinations = await notify(await _managers(), notice)
    await send_soon(destinations)
    return inquiry


async def inquiry_approve(*, actor: Any, inquiry: Inquiry) -> Inquiry:
    """The CS manager approves the draft: it becomes the answer; staff are to phone the customer."""
    _may("approve", actor)
    target = _check("approve", inquiry)
    now = clock.now()
    async with write_transaction():
        await compare_and_set(inquiry, target, actor=actor, object_type="inquiry", action="approve",
                              conflict_message=str(_conflict()), answer=inquiry.draft, approved_by=actor.id,
                              approved_at=now, answered_by=actor.id, answered_at=now)
    return inquiry


async def inquiry_send_back(*, actor: Any, inquiry: Inquiry, reason: Any) -> Inquiry:
    """The CS manager sends the draft back to CS with a reason."""
    _may("send_back", actor)
    target = _check("send_back", inquiry)
    errors: dict[str, str] = {}
    text = _text(reason, "reason", errors, required=_("Say why the answer goes back."))
    if errors:
        raise _invalid(errors)
    async with write_transaction():
        await compare_and_set(inquiry, target, actor=actor, object_type="inquiry", action="send_back",
                              conflict_message=str(_conflict()), return_reason=text)
        with default_language():
            notice = Notice(key=f"inquiry-back:{inquiry.id}:{clock.now().timestamp():.0f}",
                            link=f"/inquiries/{inquiry.id}",
                            title=_("Answer sent back: inquiry No. %(id)s", id=inquiry.id), body=text[:200])
        destinations = await notify(await active_users(User.role == roles.CS_STAFF, exclude=actor), notice)
    await send_soon(destinations)
    return inquiry


def _flag(value: Any, name: str, errors: dict[str, str], *, optional: bool = False) -> bool | None:
    text = str(value).strip().lower() if value is not None else ""
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    if optional and text == "":
        return None
    errors[name] = _("Choose yes or no.")
    return None


async def inquiry_callback(*, actor: Any, inquiry: Inquiry, reached: Any, satisfied: Any = None,
                           note: Any = "") -> InquiryCallback:
    """Staff phoned the customer with the approved answer: reached (the inquiry closes) or not (call again);
    when reached, whether the customer is satisfied."""
    _may("callback", actor)
    target = _check("callback", inquiry)
    errors: dict[str, str] = {}
    got = _flag(reached, "reached", errors)
    happy = _flag(satisfied, "satisfied", errors, optional=not got) if got is not None else None
    text = _text(note, "note", errors)
    if errors:
        raise _invalid(errors)
    call = InquiryCallback(inquiry=inquiry.id, reached=bool(got), satisfied=happy if got else None, note=text,
                           by=actor.id, at=clock.now())
    async with write_transaction():
        await call.save().run()
        if got:
            await compare_and_set(inquiry, target, actor=actor, object_type="inquiry", action="callback",
                                  conflict_message=str(_conflict()), closed_at=call.at)
        else:
            fresh = await Inquiry.exists().where((Inquiry.id == inquiry.id)
                                                 & (Inquiry.status == inquiry.status)).run()
            if not fresh:
                raise _conflict()
            await audit_record(actor=actor, object_type="inquiry", object_id=inquiry.id, action="callback_missed")
    return call
