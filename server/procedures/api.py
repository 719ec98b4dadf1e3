"""JSON API for procedures: templates, starting one, reading it, and acting on its steps.

Staff roles only (contractors and owners get 403). What a user may do to a
step follows the step's data and is checked by the services (403 for the
wrong department or approver, 409 for the wrong state, 400 while required
documents are missing).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from server.errors import Invalid
from server.i18n import _
from server.pagination import Page
from server.photos.errors import TooLarge
from server.photos.storage import scratch_dir
from server.photos.upload import receive_upload
from server.procedures import access, documents, selectors, services
from server.procedures.schemas import (
    DocumentOut, DueDateIn, NoteIn, ProcedureListOut, ProcedureOut, ReasonIn, ResponsibleIn, StartIn, StepOut,
    TemplateListOut,
    document_out, procedure_out, summary_out, template_out,
)
from server.web.guards import allow, current_user
from server.web.stored_files import stored_file_response

CHUNK_BYTES = 256 * 1024
VIEW = allow(*access.VIEW_ROLES)


async def detail_of(procedure) -> ProcedureOut:
    return procedure_out(await selectors.procedure_detail(procedure))


async def step_answer(user, step_id: int) -> StepOut:
    _step, procedure = await access.step_for_user(user, step_id)
    detail = await selectors.procedure_detail(procedure)
    return next(s for s in procedure_out(detail).steps if s.id == step_id)


async def _from_parsed_form(form: Any, user, step_id: int):
    """A plain (no-JS) form post: Litestar's CSRF middleware has already read the body to find
    `_csrf_token`, so the stream is gone; copy its spooled file to scratch space, with the same limit."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid(_("Choose a file to upload."), field_errors={"file": _("Choose a file to upload.")})
    fd, name = tempfile.mkstemp(dir=scratch_dir(), prefix="upload-", suffix=".part")
    path, size = Path(name), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > documents.max_bytes():
                    raise documents.too_large()
                out.write(chunk)
        return await services.step_document_add(actor=user, step_id=step_id, name=form.get("name"), path=path,
                                                size=size, filename=upload.filename or "")
    finally:
        path.unlink(missing_ok=True)


async def receive_document(request: Request, user, step_id: int):
    """Stream a multipart upload (`file`, optional `name`) into the step's documents."""
    parsed = ScopeState.from_scope(request.scope).form
    if parsed is not Empty:
        return await _from_parsed_form(await request.form(), user, step_id)
    declared = request.headers.get("content-length") or "0"
    if declared.isdigit() and int(declared) > documents.max_bytes() + 1024 * 1024:
        raise documents.too_large()  # refused before reading megabytes
    mb = max(1, documents.max_bytes() // (1024 * 1024))
    try:
        upload = await receive_upload(request, max_file_bytes=documents.max_bytes(), max_files=1)
    except TooLarge as exc:
        # The shared receiver speaks of photos; this upload is a document.
        if exc.message == _("The photo is larger than %(n)s MB.", n=mb):
            raise documents.too_large() from None
        raise
    with upload:
        files = upload.files_for("file")
        if len(files) != 1:
            raise Invalid(_("Choose a file to upload."), field_errors={"file": _("Choose a file to upload.")})
        staged = files[0]
        return await services.step_document_add(actor=user, step_id=step_id, name=upload.field("name"),
                                                path=staged.path, size=staged.size, filename=staged.filename)


async def download(document) -> Response:
    """A stored document with a safe name and type (found by sniffing when it was uploaded): streamed,
    or a redirect to the bucket (server/web/stored_files.py)."""
    disposition = "inline" if document.media_type in documents.INLINE_TYPES else "attachment"
    extension = document.filename.rsplit(".", 1)[-1]
    headers = {
        "Cache-Control": "private, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Content-Disposition": f"{disposition}; filename=\"document-{document.id}.{extension}\"; "
                               f"filename*=UTF-8''{quote(document.filename)}",
    }
    return await stored_file_response(document.storage_key, media_type=document.media_type, headers=headers,
                                      size=document.byte_size)


class ProceduresApi(Controller):
    path = "/api/v1"
    tags = ["Procedures"]
    guards = [VIEW]

    @get("/procedure-templates")
    async def list_templates(self) -> TemplateListOut:
        """The procedure templates (e.g. `delivery_preparation`, `pm_tender`) with their steps in order."""
        items = [template_out(t) for t in await services.template_list()]
        return TemplateListOut(items=items, total=len(items))

    @post("/procedures", guards=[allow(*access.START_ROLES)], status_code=201)
    async def start(self, request: Request, data: StartIn) -> ProcedureOut:
        """Start a template for a subject (`subject_kind` + `subject_id`, e.g. `delivery_batch`) of a project.
        The steps are copied with due dates from `start_date`. 409 if it was already started for that subject."""
        user = current_user(request)
        from server.org.access import project_for

        await project_for(user, data.project_id)
        procedure = await services.start_procedure(data.template_code, data.subject_kind, data.subject_id,
                                                   data.project_id, data.start_date, user)
        return await detail_of(procedure)

    @get("/procedures")
    async def list_procedures(self, project_id: Optional[int] = None, subject_kind: Optional[str] = None,
                              subject_id: Optional[int] = None, template_code: Optional[str] = None,
                              limit: Optional[int] = None, offset: Optional[int] = None) -> ProcedureListOut:
        """Newest first, with step counts (done, overdue); filter by project, subject or template."""
        result = await selectors.procedure_list(
            selectors.list_filter(project_id, subject_kind, subject_id, template_code), Page.of(limit, offset))
        return ProcedureListOut(items=[summary_out(r) for r in result["items"]], total=result["total"],
                                limit=result["limit"], offset=result["offset"])

    @get("/procedures/{procedure_id:int}")
    async def get_procedure(self, request: Request, procedure_id: int) -> ProcedureOut:
        """The procedure with its steps in order: responsible, due date, overdue, status, documents,
        completions and approval decisions (history, oldest first)."""
        return await detail_of(await access.procedure_for_user(current_user(request), procedure_id))

    @post("/procedure-steps/{step_id:int}/documents", status_code=201)
    async def upload_document(self, request: Request, step_id: int) -> DocumentOut:
        """multipart/form-data: `file` (PDF, Excel, Word, or a JPEG/PNG/WebP/HEIC photo; recognised by its
        content) and `name` (which required document it is; may be left out when the step needs exactly one).
        413 when too large, 415 for another kind of file, 400 when empty."""
        user = current_user(request)
        await access.step_for_user(user, step_id)  # a 404 before reading the body
        return document_out(await receive_document(request, user, step_id))

    @get("/procedure-documents/{document_id:int}/file")
    async def document_file(self, request: Request, document_id: int) -> Response:
        """The stored file, to whoever may see its procedure."""
        return await download(await access.document_for_user(current_user(request), document_id))

    @post("/procedure-steps/{step_id:int}/complete", status_code=200)
    async def complete(self, request: Request, step_id: int, data: NoteIn) -> StepOut:
        """By the responsible department (role, and party if set) or the CS center. 400 while a required
        document is missing; goes to `awaiting_approval` when the step needs an approval, else `done`."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_complete(actor=user, step_id=step_id, note=data.note)
        return await step_answer(user, step_id)

    @post("/procedure-steps/{step_id:int}/approve", status_code=200)
    async def approve(self, request: Request, step_id: int, data: NoteIn) -> StepOut:
        """By the step's approver role (not the person who completed it): `done`."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_approve(actor=user, step_id=step_id, note=data.note)
        return await step_answer(user, step_id)

    @post("/procedure-steps/{step_id:int}/reject", status_code=200)
    async def reject(self, request: Request, step_id: int, data: ReasonIn) -> StepOut:
        """By the step's approver role, with a reason: back to `open`, to be completed again."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_reject(actor=user, step_id=step_id, reason=data.reason)
        return await step_answer(user, step_id)

    @post("/procedure-steps/{step_id:int}/reopen", guards=[allow(*access.START_ROLES)], status_code=200)
    async def reopen(self, request: Request, step_id: int, data: ReasonIn) -> StepOut:
        """A correction of a done step (CS center): `open` again; its earlier records stay."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_reopen(actor=user, step_id=step_id, reason=data.reason)
        return await step_answer(user, step_id)

    @post("/procedure-steps/{step_id:int}/due-date", guards=[allow(*access.START_ROLES)], status_code=200)
    async def due_date(self, request: Request, step_id: int, data: DueDateIn) -> StepOut:
        """Move a step's due date (CS center); audited with the old and new dates."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_due_date_set(actor=user, step_id=step_id, due_date=data.due_date)
        return await step_answer(user, step_id)

    @post("/procedure-steps/{step_id:int}/responsible", guards=[allow(*access.START_ROLES)], status_code=200)
    async def responsible(self, request: Request, step_id: int, data: ResponsibleIn) -> StepOut:
        """Name the party that carries a step (CS center): then only users of the step's role and that party
        (or the CS center) may work on it. Audited with the old and new party."""
        user = current_user(request)
        await access.step_for_user(user, step_id)
        await services.step_responsible_set(actor=user, step_id=step_id, party_id=data.party_id)
        return await step_answer(user, step_id)
