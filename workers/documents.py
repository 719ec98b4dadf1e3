"""The arq job that makes a document's PDF (server/reports/pdf.py, queued by
server/reports/pdf_pages.py with the document's HTML and images). WeasyPrint and
Pillow run in the worker's executor thread, off the event loop; a PDF kept
already (same content hash) is not rendered again."""
from __future__ import annotations

import logging
from typing import Any

from server.reports import pdf

log = logging.getLogger("workers.documents")


async def render_document(ctx: dict[str, Any], kind: str, object_id: int, digest: str, html: str,
                          images: dict[str, list], language: str = "") -> bool:
    """True when it rendered, False when the PDF was there already. `language`: the HTML's
    (the document's older PDF in that language is deleted once the new one is kept)."""
    rendered = await pdf.store(kind, object_id, digest, html, images, ctx["executor"], language)
    log.info("%s %s: %s (%s)", kind, object_id, "rendered" if rendered else "cached", digest[:12])
    return rendered
