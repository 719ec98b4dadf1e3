"""From inquiries to the knowledge base: CS publish chosen Q&A of a monthly
summary as knowledge-base entries shown on the project's public page, each
linked to the inquiry it came from (`KnowledgeSource`); and the two views of
those links (an entry's source inquiries, and the inquiries answered with it).
Knows nothing of HTTP.
"""
from __future__ import annotations

from typing import Any

from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Invalid
from server.i18n import _
from server.inquiries import states
from server.inquiries.summary import month_inquiry_ids
from server.inquiries.summary_tables import InquirySummary, KnowledgeSource
from server.inquiries.tables import Inquiry
from server.knowledge import services as knowledge
from server.knowledge.tables import KnowledgeEntry


def _actor_name(actor: Any) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else ""


def _chosen(value: Any) -> list[int]:
    values = value if isinstance(value, (list, tuple)) else str(value or "").replace(",", " ").split()
    return list(dict.fromkeys(int(str(v)) for v in values if str(v).strip().isdigit()))


async def summary_publish(*, actor: Any, summary: InquirySummary, inquiry_ids: Any) -> list[KnowledgeEntry]:
    """Publish the Q&A of the chosen answered inquiries of this summary (answered at once, or approved and
    called back: states.DONE): each becomes a knowledge-base entry
    (or, answered from one already, that entry) published on the project's public page and linked to the
    inquiry. 400 and nothing stored when none is chosen or one is not an answered inquiry of the summary."""
    chosen = _chosen(inquiry_ids)
    raw = inquiry_ids if isinstance(inquiry_ids, (list, tuple)) else str(inquiry_ids or "").split()
    if not chosen or len(chosen) != len({str(v).strip() for v in raw if str(v).strip()}):
        raise Invalid(_("Choose at least one answered inquiry to publish."),
                      field_errors={"inquiry_ids": _("Choose at least one answered inquiry to publish.")})
    rows = {r.id: r for r in await Inquiry.objects().where(Inquiry.id.is_in(chosen)).run()}
    allowed = await month_inquiry_ids(summary)
    if any(i not in allowed or rows[i].status not in states.DONE or not rows[i].answer for i in chosen):
        raise Invalid(_("Only answered inquiries of this summary can be published."),
                      field_errors={"inquiry_ids": _("Only answered inquiries of this summary can be published.")})
    linked = {r["inquiry"]: r["entry"] for r in await KnowledgeSource.select(
        KnowledgeSource.inquiry, KnowledgeSource.entry).where(KnowledgeSource.inquiry.is_in(chosen)).run()}
    entries: list[KnowledgeEntry] = []
    async with write_transaction():
        for inquiry_id in chosen:
            inquiry = rows[inquiry_id]
            entry_id = linked.get(inquiry_id) or inquiry.knowledge_entry
            entry = await KnowledgeEntry.objects().get(KnowledgeEntry.id == entry_id).run() if entry_id else None
            if entry is None or entry.retired:
                entry = await knowledge.entry_create(actor=actor, fields={
                    "question": inquiry.question[:knowledge.MAX_QUESTION], "answer": inquiry.answer,
                    "category": inquiry.category})
            if not entry.published:
                await knowledge.entry_publish(actor=actor, entry=entry, published=True,
                                              project_id=summary.project)
            if inquiry_id not in linked or linked[inquiry_id] != entry.id:
                exists = await KnowledgeSource.exists().where(
                    (KnowledgeSource.entry == entry.id) & (KnowledgeSource.inquiry == inquiry_id)).run()
                if not exists:
                    await KnowledgeSource(entry=entry.id, inquiry=inquiry_id, summary=summary.id,
                                          created_by=getattr(actor, "id", None),
                                          created_by_name=_actor_name(actor)).save().run()
            entries.append(entry)
        await audit_record(actor=actor, object_type="inquiry_summary", object_id=summary.id, action="publish",
                           details={"inquiry_ids": chosen, "entry_ids": [e.id for e in entries]})
    return entries


async def entry_inquiries(entry_id: int) -> dict[str, list[dict[str, Any]]]:
    """An entry's inquiries: `sources` (the inquiries it was made from) and `answered` (those answered with it)."""
    source_ids = [r["inquiry"] for r in await KnowledgeSource.select(KnowledgeSource.inquiry).where(
        KnowledgeSource.entry == entry_id).order_by(KnowledgeSource.id).run()]
    fields = (Inquiry.id, Inquiry.question, Inquiry.status, Inquiry.created_at)
    sources = await Inquiry.select(*fields).where(Inquiry.id.is_in(source_ids or [-1])).order_by(Inquiry.id).run()
    answered = await Inquiry.select(*fields).where(Inquiry.knowledge_entry == entry_id).order_by(
        Inquiry.id, ascending=False).limit(50).run()
    return {"sources": sources, "answered": answered}


async def inquiry_entries(inquiry_id: int) -> list[dict[str, Any]]:
    """The knowledge-base entries made from an inquiry."""
    ids = [r["entry"] for r in await KnowledgeSource.select(KnowledgeSource.entry).where(
        KnowledgeSource.inquiry == inquiry_id).run()]
    return await KnowledgeEntry.select(KnowledgeEntry.id, KnowledgeEntry.question, KnowledgeEntry.published,
                                       KnowledgeEntry.retired).where(
        KnowledgeEntry.id.is_in(ids or [-1])).order_by(KnowledgeEntry.id).run()
