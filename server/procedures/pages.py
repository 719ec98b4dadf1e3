"""Procedure pages: the list per project, and one procedure with its steps in order.

Each step shows its state, department, due date (overdue in red), documents,
and the buttons the user may press; the services check every rule again.
Forms are POST-redirect-GET; a refused form (400) comes back as the steps
block with the message beside the step, everything else (403, 409) as the
shared error answer (a toast for htmx).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post

from server.clock import local_time
from server.errors import Invalid
from server.i18n import _
from server.org.pages import Form, done, opt_int, page_of
from server.org.tables import Party, Project
from server.procedures import access, selectors, services
from server.procedures.api import download, receive_document
from server.procedures.tender_selectors import tender_context
from server.procedures.labels import PROCEDURE_STATUS, STEP_STATUS, SUBJECT_KINDS
from server.web.guards import allow, current_user
from server.web.templating import is_htmx, render

CHOICES_LIMIT = 500


def _context(**extra: Any) -> dict:
    return {"step_status": STEP_STATUS, "procedure_status": PROCEDURE_STATUS, "subject_kinds": SUBJECT_KINDS,
            "when": local_time, **extra}


async def _procedure_page(request: Request, procedure, *, errors: dict[int, str] | None = None,
                          form: dict | None = None, notices: dict[int, str] | None = None,
                          status_code: int = 200, tender_form: dict | None = None) -> Response:
    """The page, or for htmx its `procedure` block (the head and the steps). A tender's steps carry
    its records and their forms (tender_pages.py); `tender_form` is what was typed in a refused one."""
    user = current_user(request)
    detail = await selectors.procedure_detail(procedure)
    actions = {s["id"]: access.actions_for(user, s) for s in detail["steps"]}
    parties = await Party.select(Party.id, Party.name).order_by(Party.name).limit(CHOICES_LIMIT).run() \
        if access.may_coordinate(user) else []
    return render(request, "procedures/procedure.html", block="procedure", status_code=status_code,
                  **_context(detail=detail, actions=actions, errors=errors or {}, form=form or {},
                             notices=notices or {}, parties=parties, today=services.today(),
                             **await tender_context(user, procedure, detail, tender_form)))


async def _done(request: Request, procedure, step, message: str) -> Response:
    """After an action: htmx gets the updated steps with the message at the step (a redirect to
    the same page would only move to the #anchor, not reload); a plain form is redirected (303)."""
    if is_htmx(request):
        fresh = await access.procedure_for_user(current_user(request), procedure.id)  # its status may have moved
        return await _procedure_page(request, fresh, notices={step.id: message})
    return done(request, f"/procedures/{procedure.id}#step-{step.id}", message)


def _typed(data: dict) -> dict:
    return {k: (v[-1] if isinstance(v, list) else str(v)) for k, v in data.items() if k != "_csrf_token"}


class ProcedurePages(Controller):
    path = "/procedures"
    include_in_schema = False
    guards = [allow(*access.VIEW_ROLES)]

    @get("/")
    async def procedure_list(self, request: Request, project: str | None = None, limit: str | None = None,
                             offset: str | None = None) -> Response:
        project_id = opt_int(project)
        procedures = await selectors.procedure_list(selectors.list_filter(project_id), page_of(limit, offset))
        projects = await Project.select(Project.id, Project.name).order_by(Project.name).limit(CHOICES_LIMIT).run()
        templates = await services.template_list() if access.may_coordinate(current_user(request)) else []
        return render(request, "procedures/list.html", block="list",
                      **_context(procedures=procedures, projects=projects, project_id=project_id,
                                 templates=templates, may_start=access.may_coordinate(current_user(request)),
                                 form={"project_id": str(project_id or ""), "start_date": services.today()},
                                 errors={}, message=None))

    @post("/", guards=[allow(*access.START_ROLES)])
    async def start(self, request: Request, data: Form) -> Response:
        """Start a template for a whole project (subject "project"); other subjects start from their own pages."""
        user = current_user(request)
        form = _typed(data)
        project_id = opt_int(form.get("project_id"))
        start_date = None
        errors: dict[str, str] = {}
        try:
            start_date = dt.date.fromisoformat(form.get("start_date", "").strip()) if form.get("start_date") \
                else None
        except ValueError:
            errors["start_date"] = _("Enter a date like 2026-12-31.")
        if not project_id or not await Project.exists().where(Project.id == project_id).run():
            errors["project_id"] = _("Choose a project.")
        try:
            if errors:
                raise Invalid(_("Please correct the marked fields."), field_errors=errors)
            procedure = await services.start_procedure(form.get("template_code", ""), "project", project_id,
                                                       project_id, start_date, user)
        except Invalid as exc:
            procedures = await selectors.procedure_list(selectors.list_filter(project_id), page_of(None, None))
            projects = await Project.select(Project.id, Project.name).order_by(Project.name).limit(
                CHOICES_LIMIT).run()
            return render(request, "procedures/list.html", block="start", status_code=400,
                          **_context(procedures=procedures, projects=projects, project_id=project_id,
                                     templates=await services.template_list(), may_start=True, form=form,
                                     errors=exc.field_errors, message=exc.message))
        return done(request, f"/procedures/{procedure.id}", _("Procedure started."))

    @get("/{procedure_id:int}")
    async def procedure_page(self, request: Request, procedure_id: int) -> Response:
        return await _procedure_page(request, await access.procedure_for_user(current_user(request), procedure_id))

    async def _act(self, request: Request, step_id: int, data: dict, action: str) -> Response:
        user = current_user(request)
        step, procedure = await access.step_for_user(user, step_id)
        form = _typed(data)
        try:
            if action == "complete":
                await services.step_complete(actor=user, step_id=step_id, note=form.get("note"))
                message = _("Step completed.")
            elif action == "approve":
                await services.step_approve(actor=user, step_id=step_id, note=form.get("reason") or form.get("note"))
                message = _("Step approved.")
            elif action == "reject":
                await services.step_reject(actor=user, step_id=step_id, reason=form.get("reason"))
                message = _("Step rejected and sent back.")
            elif action == "reopen":
                await services.step_reopen(actor=user, step_id=step_id, reason=form.get("reason"))
                message = _("Step reopened.")
            elif action == "responsible":
                await services.step_responsible_set(actor=user, step_id=step_id,
                                                    party_id=opt_int(form.get("party_id")))
                message = _("Responsible party changed.")
            else:
                await services.step_due_date_set(actor=user, step_id=step_id, due_date=form.get("due_date", ""))
                message = _("Due date changed.")
        except Invalid as exc:
            detail_errors = "; ".join(v for k, v in exc.field_errors.items() if k != "documents")
            return await _procedure_page(request, procedure, errors={step.id: detail_errors or exc.message},
                                         form={step.id: form}, status_code=400)
        return await _done(request, procedure, step, message)

    @post("/steps/{step_id:int}/complete")
    async def complete(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "complete")

    @post("/steps/{step_id:int}/approve")
    async def approve(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "approve")

    @post("/steps/{step_id:int}/reject")
    async def reject(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "reject")

    @post("/steps/{step_id:int}/reopen", guards=[allow(*access.START_ROLES)])
    async def reopen(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "reopen")

    @post("/steps/{step_id:int}/due-date", guards=[allow(*access.START_ROLES)])
    async def due_date(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "due_date")

    @post("/steps/{step_id:int}/responsible", guards=[allow(*access.START_ROLES)])
    async def responsible(self, request: Request, step_id: int, data: Form) -> Response:
        return await self._act(request, step_id, data, "responsible")

    @post("/steps/{step_id:int}/documents")
    async def upload(self, request: Request, step_id: int) -> Response:
        """multipart: `file` and `name`. Send the CSRF token as the X-CSRFToken header (htmx does), so the
        body streams to disk instead of being read into memory."""
        user = current_user(request)
        step, procedure = await access.step_for_user(user, step_id)
        try:
            await receive_document(request, user, step_id)
        except Invalid as exc:
            if exc.status_code != 400:
                raise  # 413 / 415: the shared error answer says it
            return await _procedure_page(request, procedure, errors={step.id: exc.message}, status_code=400)
        return await _done(request, procedure, step, _("Document uploaded."))

    @get("/documents/{document_id:int}")
    async def document(self, request: Request, document_id: int) -> Response:
        return await download(await access.document_for_user(current_user(request), document_id))


PROCEDURE_PAGES = [ProcedurePages]
