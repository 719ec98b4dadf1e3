"""Recording a customer inquiry and answering it (regulation 5, item 1), the
answer taken from the knowledge base or written by CS staff. Knows nothing of
HTTP. Escalation by work contact sheet is in sheets.py, the SLA in sla.py.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.audit.transitions import compare_and_set
from server.db import write_transaction
from server.errors import Conflict, Invalid
from server.i18n import _, lazy_gettext as _l
from server.inquiries import states
from server.inquiries.tables import Inquiry
from server.knowledge.tables import KnowledgeEntry
from server.org.tables import Project, Unit

CHANNELS = {"phone": _l("Phone"), "walk_in": _l("Walk-in visit"), "online": _l("Online"), "wechat": _l("WeChat")}
STATUSES = states.STATUS_LABELS
MAX_QUESTION = 2000
MAX_ANSWER = 10000
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,28}$")


def _invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def _text(fields: dict[str, Any], name: str) -> str:
    return str(fields.get(name) or "").strip()


def _id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


async def _entry(value: Any, errors: dict[str, str]) -> KnowledgeEntry | None:
    if not str(value or "").strip():
        return None
    entry_id = _id(value)
    entry = await KnowledgeEntry.objects().get(KnowledgeEntry.id == entry_id).run() if entry_id else None
    if entry is None or entry.retired:
        errors["knowledge_entry_id"] = _("This knowledge-base answer is no longer in use.")
        return None
    return entry


async def _asker(fields: dict[str, Any], errors: dict[str, str]) -> tuple[int | None, str, str]:
    """(owner account id or None, name, phone). An owner account is given by `owner_id`, or found by the phone."""
    name, phone = _text(fields, "asker_name"), _text(fields, "asker_phone")
    owner_id = _id(fields.get("owner_id"))
    if owner_id is not None:
        owner = await User.objects().get((User.id == owner_id) & (User.role == roles.OWNER)).run()
        if owner is None:
            errors["owner_id"] = _("There is no such owner.")
            return None, name, phone
        return owner.id, name or owner.display_name, phone or owner.phone
    if not name:
        errors["asker_name"] = _("Enter who is asking.")
    if not phone:
        errors["asker_phone"] = _("Enter a phone number to call back.")
    elif not _PHONE.match(phone):
        errors["asker_phone"] = _("Enter a phone number such as 13800000000.")
    if errors:
        return None, name, phone
    owner = await User.select(User.id).where((User.role == roles.OWNER) & (User.username == phone)).first().run()
    return (owner["id"] if owner else None), name, phone


async def _project(value: Any, unit_id: int | None, errors: dict[str, str]) -> int | None:
    """The unit's project when there is a unit; else the chosen one (none is allowed)."""
    if unit_id is not None and "unit_id" not in errors:
        row = await Unit.select(Unit.building.project.as_alias("project")).where(Unit.id == unit_id).first().run()
        return row["project"] if row else None
    if not str(value or "").strip():
        return None
    project_id = _id(value)
    if project_id is None or not await Project.exists().where(Project.id == project_id).run():
        errors["project_id"] = _("There is no such project.")
        return None
    return project_id


async def inquiry_record(*, actor: Any, fields: dict[str, Any]) -> Inquiry:
    """Record an inquiry: asker (owner_id, or asker_name + asker_phone), unit_id? (or project_id? when the
    inquiry is about no unit: the unit's project otherwise), channel, category?, question,
    and optionally at once its answer (answer and/or knowledge_entry_id: the entry's answer when none is typed)."""
    errors: dict[str, str] = {}
    owner_id, name, phone = await _asker(fields, errors)
    channel = _text(fields, "channel")
    if channel not in CHANNELS:
        errors["channel"] = _("Choose how the question came in.")
    question = _text(fields, "question")
    if not question:
        errors["question"] = _("Enter the question.")
    elif len(question) > MAX_QUESTION:
        errors["question"] = _("At most %(count)s characters.") % {"count": MAX_QUESTION}
    category = _text(fields, "category")[:50]
    unit_id = _id(fields.get("unit_id"))
    if str(fields.get("unit_id") or "").strip() and (
            unit_id is None or not await Unit.exists().where(Unit.id == unit_id).run()):
        errors["unit_id"] = _("There is no such unit.")
    project_id = await _project(fields.get("project_id"), unit_id, errors)
    entry = await _entry(fields.get("knowledge_entry_id"), errors)
    answer = _text(fields, "answer") or (entry.answer if entry else "")
    if len(answer) > MAX_ANSWER:
        errors["answer"] = _("At most %(count)s characters.") % {"count": MAX_ANSWER}
    if errors:
        raise _invalid(errors)
    now = dt.datetime.now(dt.timezone.utc)
    inquiry = Inquiry(owner=owner_id, asker_name=name, asker_phone=phone, unit=unit_id, project=project_id,
                      channel=channel,
                      category=category, question=question, created_by=getattr(actor, "id", None))
    if answer:
        inquiry.status, inquiry.answer, inquiry.answered_at = "answered", answer, now
        inquiry.knowledge_entry, inquiry.answered_by = (entry.id if entry else None), getattr(actor, "id", None)
    async with write_transaction():
        await inquiry.save().run()
        await audit_record(actor=actor, object_type="inquiry", object_id=inquiry.id, action="record",
                           to_state=inquiry.status,
                           details={"channel": channel, "knowledge_entry_id": entry.id if entry else None})
    return inquiry


async def inquiry_answer(*, actor: Any, inquiry: Inquiry, answer: Any, knowledge_entry_id: Any = None) -> Inquiry:
    """Answer an open inquiry (409 once answered): the typed answer, or the knowledge-base entry's."""
    if inquiry.status != states.OPEN:
        raise Conflict(_("This inquiry has already been answered."))
    errors: dict[str, str] = {}
    entry = await _entry(knowledge_entry_id, errors)
    text = str(answer or "").strip() or (entry.answer if entry else "")
    if not text and not errors:
        errors["answer"] = _("Enter the answer.")
    elif len(text) > MAX_ANSWER:
        errors["answer"] = _("At most %(count)s characters.") % {"count": MAX_ANSWER}
    if errors:
        raise _invalid(errors)
    async with write_transaction():
        await compare_and_set(inquiry, "answered", actor=actor, object_type="inquiry", action="answer",
                              conflict_message=_("This inquiry has already been answered."), answer=text,
                              knowledge_entry=entry.id if entry else None, answered_by=getattr(actor, "id", None),
                              answered_at=dt.datetime.now(dt.timezone.utc))
    return inquiry
