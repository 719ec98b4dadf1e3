"""Getting a document as PDF (issue 13): for each kind of server/reports/documents_pages.py

- POST /documents/<kind>/<id>: renders the page's template for paper, hashes it
  (server/reports/pdf.py content_hash); a PDF of that hash kept already is offered
  at once, otherwise the arq job `render_document` is queued (job id = the hash, so
  two clicks make one job) and the progress answers;
- GET /documents/<kind>/<id>/progress/<hash>: "being made" (htmx polls it every
  second), "ready" with the download, or "failed" with "try again";
- GET /documents/<kind>/<id>/file/<hash>: the PDF, streamed from storage (or a redirect to the bucket);
- GET /documents/inspection-report/<id>, /documents/repair-completion/<id>: the unit
  inspection report and the repair completion sheet as pages.

Every route checks what the document's page checks (role guard, then the object: a
foreign object is 404), every time, the download included.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from server import jobs
from server.errors import NotFound
from server.i18n import _, current_locale
from server.photos.storage import get_storage
from server.reports import pdf
from server.reports.documents_pages import KINDS, PAGE_KINDS, Document, Kind
from server.web.guards import allow, current_user, signed_in
from server.web.stored_files import stored_file_response
from server.web.templating import is_htmx, render, render_for_paper

MAX_POLLS = 360
"""The page polls once a second: past 6 minutes (the job's timeout is 5) the PDF is not coming."""


def _guard(kind: Kind) -> Any:
    return allow(*sorted(kind.roles)) if kind.roles is not None else signed_in


async def _document(request: Request, slug: str) -> tuple[Document, int]:
    kind = KINDS[slug]
    object_id = int(request.path_params[kind.param])
    return await kind.build(current_user(request), object_id), object_id


def _html(document: Document) -> str:
    return render_for_paper(document.template, **document.context)


async def _state(slug: str, object_id: int, digest: str) -> str:
    storage = get_storage()
    if await storage.exists(pdf.pdf_key(slug, object_id, digest)):
        return "ready"
    return "failed" if await storage.exists(pdf.failed_key(slug, object_id, digest)) else "making"


def _progress(request: Request, slug: str, object_id: int, digest: str, document: Document, state: str,
              polls: int = 0) -> Response:
    base = f"/documents/{slug}/{object_id}"
    return render(request, "reports/pdf_progress.html", block="progress", title=document.title, state=state,
                  start_url=base, progress_url=f"{base}/progress/{digest}?polls={polls + 1}",
                  file_url=f"{base}/file/{digest}", back=document.back)


def _handlers(slug: str, kind: Kind) -> list:
    base = f"/documents/{slug}/{{{kind.param}:int}}"
    guard = _guard(kind)

    async def start(request: Request) -> Response:
        document, object_id = await _document(request, slug)
        html = _html(document)
        digest = pdf.content_hash(html, document.images)
        state = await _state(slug, object_id, digest)
        if state != "ready":
            await get_storage().delete(pdf.failed_key(slug, object_id, digest))  # a retry starts clean
            queued = await jobs.enqueue("render_document", slug, object_id, digest, html, document.images,
                                        current_locale.get(), job_id=f"pdf:{digest}")
            # Redis down: nothing will make it, so say so now ("try again") rather than poll in vain.
            state = "making" if queued else "failed"
        if not is_htmx(request):
            return Redirect(f"/documents/{slug}/{object_id}/progress/{digest}", status_code=303)
        return _progress(request, slug, object_id, digest, document, state)

    async def progress(request: Request, digest: str, polls: int = 0) -> Response:
        """`polls`: how often the page asked; a job that never ends (its worker died) is
        reported as failed after MAX_POLLS, so the page offers "try again" instead of waiting."""
        document, object_id = await _document(request, slug)
        if not pdf.is_digest(digest):
            raise NotFound(_("The page or record was not found."))
        state = await _state(slug, object_id, digest)
        if state == "making" and polls >= MAX_POLLS:
            state = "failed"
        return _progress(request, slug, object_id, digest, document, state, polls=polls)

    async def download(request: Request, digest: str) -> Response:
        document, object_id = await _document(request, slug)
        key = pdf.pdf_key(slug, object_id, digest)
        # A superseded PDF is deleted: 404 here, not a redirect to a key the bucket no longer has.
        if not pdf.is_digest(digest) or not await get_storage().exists(key):
            raise NotFound(_("The page or record was not found."))
        name = f"{document.filename}.pdf"
        headers = {"Content-Disposition": f"attachment; filename=\"{slug}-{object_id}.pdf\"; "
                                          f"filename*=UTF-8''{quote(name)}",
                   "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
        return await stored_file_response(key, media_type="application/pdf", headers=headers)

    handlers = [
        post(base, guards=[guard], name=f"pdf-start-{slug}", signature_namespace={"Request": Request})(start),
        get(f"{base}/progress/{{digest:str}}", guards=[guard], name=f"pdf-progress-{slug}")(progress),
        get(f"{base}/file/{{digest:str}}", guards=[guard], name=f"pdf-file-{slug}")(download),
    ]
    if slug in PAGE_KINDS:
        async def page(request: Request) -> Response:
            document, _id = await _document(request, slug)
            return render(request, document.template, **document.context)

        handlers.append(get(base, guards=[guard], name=f"pdf-page-{slug}")(page))
    return handlers


PDF_ROUTER = Router(path="/", route_handlers=[h for slug, kind in KINDS.items() for h in _handlers(slug, kind)],
                    include_in_schema=False)
PDF_PAGES = [PDF_ROUTER]
