"""Writing the knowledge base (regulation 5): adding an entry, editing it (a
new version each time, compare-and-set on the version the editor read),
retiring and bringing it back. Each change, its version row, its search
tokens and its audit line commit together. Knows nothing of HTTP.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Conflict, Invalid
from server.i18n import _
from server.knowledge import search
from server.knowledge.tables import KnowledgeEntry, KnowledgeToken, KnowledgeVersion

MAX_QUESTION = 500
MAX_ANSWER = 10000
MAX_CATEGORY = 50
MAX_TAGS = 200
INSERT_CHUNK = 5000
"""Token rows per INSERT (three parameters each)."""


def _actor_name(actor: Any) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else ""


def checked(fields: dict[str, Any]) -> dict[str, str]:
    """The fields of an entry, trimmed; Invalid with a message per wrong field."""
    errors: dict[str, str] = {}
    values = {name: str(fields.get(name) or "").strip() for name in ("question", "answer", "category", "tags")}
    values["tags"] = " ".join(values["tags"].replace("，", " ").replace(",", " ").split())
    if not values["question"]:
        errors["question"] = _("Enter the question.")
    elif len(values["question"]) > MAX_QUESTION:
        errors["question"] = _("At most %(count)s characters.") % {"count": MAX_QUESTION}
    if not values["answer"]:
        errors["answer"] = _("Enter the answer.")
    elif len(values["answer"]) > MAX_ANSWER:
        errors["answer"] = _("At most %(count)s characters.") % {"count": MAX_ANSWER}
    if len(values["category"]) > MAX_CATEGORY:
        errors["category"] = _("At most %(count)s characters.") % {"count": MAX_CATEGORY}
    if len(values["tags"]) > MAX_TAGS:
        errors["tags"] = _("At most %(count)s characters.") % {"count": MAX_TAGS}
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    return values


async def _index(entry_id: int, question: str, answer: str) -> None:
    await KnowledgeToken.delete().where(KnowledgeToken.entry == entry_id).run()
    rows = [KnowledgeToken(entry=entry_id, token=token, field="q") for token in sorted(search.index_tokens(question))]
    rows += [KnowledgeToken(entry=entry_id, token=token, field="a") for token in sorted(search.index_tokens(answer))]
    for start in range(0, len(rows), INSERT_CHUNK):  # PostgreSQL takes at most 32,767 parameters a statement
        await KnowledgeToken.insert(*rows[start:start + INSERT_CHUNK]).run()


def _version(entry_id: int, number: int, values: dict[str, str], actor: Any) -> KnowledgeVersion:
    return KnowledgeVersion(entry=entry_id, version=number, question=values["question"], answer=values["answer"],
                            category=values["category"], tags=values["tags"], edited_by=getattr(actor, "id", None),
                            edited_by_name=_actor_name(actor))


async def entry_create(*, actor: Any, fields: dict[str, Any]) -> KnowledgeEntry:
    values = checked(fields)
    entry = KnowledgeEntry(**values, question_key=search.normalize(values["question"]),
                           answer_key=search.normalize(values["answer"]), created_by=getattr(actor, "id", None))
    async with write_transaction():
        await entry.save().run()
        await _version(entry.id, 1, values, actor).save().run()
        await _index(entry.id, values["question"], values["answer"])
        await audit_record(actor=actor, object_type="knowledge", object_id=entry.id, action="create",
                           details={"version": 1})
    return entry


async def entry_edit(*, actor: Any, entry: KnowledgeEntry, fields: dict[str, Any]) -> KnowledgeEntry:
    """A new version of `entry`. `fields["version"]`, when given, is the version the editor read: if another
    edit came first, 409 and nothing is stored. An edit that changes nothing stores nothing."""
    values = checked(fields)
    read = str(fields.get("version") or "").strip()
    expected = int(read) if read.isdigit() else entry.version
    if expected != entry.version:
        raise Conflict(_("Someone else changed this entry meanwhile; reload it and edit again."))
    if all(getattr(entry, name) == value for name, value in values.items()):
        return entry
    changed = sorted(name for name, value in values.items() if getattr(entry, name) != value)
    number = expected + 1
    async with write_transaction():
        updated = await KnowledgeEntry.update({
            **{getattr(KnowledgeEntry, name): value for name, value in values.items()},
            KnowledgeEntry.question_key: search.normalize(values["question"]),
            KnowledgeEntry.answer_key: search.normalize(values["answer"]),
            KnowledgeEntry.version: number, KnowledgeEntry.updated_at: dt.datetime.now(dt.timezone.utc),
        }).where((KnowledgeEntry.id == entry.id) & (KnowledgeEntry.version == expected)).returning(
            KnowledgeEntry.id).run()
        if not updated:
            raise Conflict(_("Someone else changed this entry meanwhile; reload it and edit again."))
        await _version(entry.id, number, values, actor).save().run()
        await _index(entry.id, values["question"], values["answer"])
        await audit_record(actor=actor, object_type="knowledge", object_id=entry.id, action="edit",
                           details={"version": number, "changed": changed})
    for name, value in values.items():
        setattr(entry, name, value)
    entry.version = number
    return entry


async def entry_retire(*, actor: Any, entry: KnowledgeEntry, retired: bool) -> KnowledgeEntry:
    """Retire an entry (it leaves search and suggestions) or bring it back; 409 if it already is so."""
    async with write_transaction():
        updated = await KnowledgeEntry.update({KnowledgeEntry.retired: retired}).where(
            (KnowledgeEntry.id == entry.id) & (KnowledgeEntry.retired == (not retired))).returning(
            KnowledgeEntry.id).run()
        if not updated:
            raise Conflict(_("This entry is already retired.") if retired else _("This entry is in use."))
        await audit_record(actor=actor, object_type="knowledge", object_id=entry.id,
                           action="retire" if retired else "unretire",
                           from_state="retired" if not retired else "active",
                           to_state="retired" if retired else "active")
    entry.retired = retired
    return entry


async def entry_publish(*, actor: Any, entry: KnowledgeEntry, published: bool,
                        project_id: int | None = None) -> KnowledgeEntry:
    """Show an entry on the public page of published answers (of `project_id`, or of every project when none)
    or take it off; 409 if it already is so, or if a retired entry is to be published."""
    if published and entry.retired:
        raise Conflict(_("A retired entry cannot be published."))
    values: dict[Any, Any] = {KnowledgeEntry.published: published}
    if published:
        values[KnowledgeEntry.project] = project_id
    async with write_transaction():
        updated = await KnowledgeEntry.update(values).where(
            (KnowledgeEntry.id == entry.id) & (KnowledgeEntry.published == (not published))).returning(
            KnowledgeEntry.id).run()
        if not updated:
            raise Conflict(_("This entry is already published.") if published else _("This entry is not published."))
        await audit_record(actor=actor, object_type="knowledge", object_id=entry.id,
                           action="publish" if published else "unpublish",
                           details={"project_id": project_id} if published else None)
    entry.published = published
    if published:
        entry.project = project_id
    return entry
