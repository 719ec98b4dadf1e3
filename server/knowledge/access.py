"""Who may read and write the knowledge base: developer-side staff read it
(every project's answers are the company's), CS staff and administrators
write it. Owners, contractors and the signed-out have no access (403 from the
guards); a missing entry answers 404.
"""
from __future__ import annotations

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.knowledge.tables import KnowledgeEntry

READERS = tuple(sorted(roles.STAFF))
WRITERS = (roles.CS_STAFF, roles.ADMIN)


async def entry_for(entry_id: int) -> KnowledgeEntry:
    entry = await KnowledgeEntry.objects().get(KnowledgeEntry.id == entry_id).run()
    if entry is None:
        raise NotFound(_("The page or record was not found."))
    return entry
