"""Pages of a repair job after triage: on a request's page (templates/repairs/
_job.html, included by detail.html) the CS center sends it to survey,
approves or returns the plan, dispatches it and records checks, the quality
center records the survey and the plan; the repair unit's job list
(`/repairs/jobs`, its own jobs only) and a job's page; and the password-free
job link `/rj/{token}` a unit receives, which never looks at the session.

Multipart forms post with htmx (the X-CSRFToken header); a refused form comes
back as the whole page, status 400, with the messages beside the fields and
what was typed kept.
"""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader

from server.accounts import roles
from server.clock import local_time
from server.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from server.i18n import _
from server.org.pages import Form, done, typed
from server.photos.tables import Photo
from server.photos.upload import receive_upload
from server.procedures import documents
from server.repairs import access, checks, closing, dispatch, job_reads, selectors, states, survey
from server.repairs.closing_pages import _answer, _sign_page, photos_through
from server.repairs.pages import _detail_context, repair_page
from server.repairs.job_tables import RepairCheck, RepairPlan, RepairPlanDocument
from server.repairs.tables import RepairRequest
from server.web.guards import allow, current_user
from server.web.templating import render

async def _page(request: Request, repair: RepairRequest, *, status_code: int = 200, back: str = "/repairs",
                staff: bool = True, **job: Any) -> Response:
    ctx = await _detail_context(repair)  # with job_reads.job_context
    ctx.update(job)
    return render(request, "repairs/detail.html", status_code=status_code, back=back, staff=staff, form={},
                  errors={}, **ctx)


async def _refused(request: Request, repair: RepairRequest, exc: DomainError, which: str, form: dict) -> Response:
    fresh = await RepairRequest.objects().get(RepairRequest.id == repair.id).run()
    return await _page(request, fresh or repair, status_code=exc.status_code, job_which=which,
                       job_form={**typed(form), "client_id": form.get("client_id") or str(uuid.uuid4())},
                       job_errors=getattr(exc, "field_errors", None) or {}, job_message=exc.message)


def _photo_fields(upload: Any, *names: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: upload.field(name) for name in names}
    fields["photo_client_ids"] = upload.fields.get("photo_client_id", [])
    fields["photo_captured_ats"] = upload.fields.get("photo_captured_at", [])
    return fields


class JobStaffPages(Controller):
    """The job forms on a request's page (`/repairs/{id}`)."""

    path = "/repairs/{repair_id:int}"
    include_in_schema = False

    @post("/send-to-survey", guards=[allow(*states.TRANSITIONS["survey"].roles)])
    async def send_to_survey(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await survey.send_to_survey(actor=user, repair=repair)
        except (Conflict, Forbidden) as exc:
            return await _refused(request, repair, exc, "survey", {})
        return done(request, f"/repairs/{repair_id}", _("Sent to the quality center for a site survey."))

    @post("/survey", guards=[allow(*survey.SURVEYORS)])
    async def add_survey(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        fields: dict[str, Any] = {}
        try:
            with await receive_upload(request) as upload:
                fields = _photo_fields(upload, "client_id", "findings")
                await survey.survey_record(actor=user, repair=repair, fields=fields, files=upload.files_for("photos"))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "survey", {k: v for k, v in fields.items()
                                                                   if isinstance(v, str)})
        return done(request, f"/repairs/{repair_id}", _("Site survey recorded."))

    @post("/plan", guards=[allow(*survey.PLANNERS)])
    async def add_plan(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        fields: dict[str, Any] = {}
        try:
            with await receive_upload(request, max_file_bytes=documents.max_bytes()) as upload:
                fields = {k: upload.field(k) or "" for k in ("client_id", "text")}
                await survey.plan_issue(actor=user, repair=repair, fields=fields,
                                        files=upload.files_for("documents"))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "plan", fields)
        return done(request, f"/repairs/{repair_id}", _("Repair plan issued."))

    @post("/plan-decision", guards=[allow(*survey.DECIDERS)])
    async def plan_decision(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            plan = await survey.plan_decide(actor=user, repair=repair, decision=data.get("decision"),
                                            reason=data.get("reason"))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "decision", typed(data))
        message = _("Plan approved.") if plan.decision == "approved" else _("Plan sent back to the quality center.")
        return done(request, f"/repairs/{repair_id}", message)

    @post("/assign", guards=[allow(*dispatch.DISPATCHERS)])
    async def assign(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await dispatch.repair_assign(actor=user, repair=repair, fields=typed(data))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "assign", typed(data))
        return done(request, f"/repairs/{repair_id}", _("The job is sent to the repair unit."))

    @post("/visit-time", guards=[allow(*dispatch.DISPATCHERS)])
    async def visit(self, request: Request, repair_id: int, data: Form) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await dispatch.visit_set(actor=user, repair=repair, visit_at=data.get("visit_at"),
                                     visit_note=data.get("visit_note"))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "visit", typed(data))
        return done(request, f"/repairs/{repair_id}", _("Visit time recorded."))

    @post("/start", guards=[allow(*dispatch.DISPATCHERS)])
    async def start(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await dispatch.repair_start(actor=user, repair=repair)
        except Conflict as exc:
            return await _refused(request, repair, exc, "start", {})
        return done(request, f"/repairs/{repair_id}", _("Repair started."))

    @post("/checks", guards=[allow(*checks.CHECKERS)])
    async def add_check(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        fields: dict[str, Any] = {}
        try:
            with await receive_upload(request) as upload:
                fields = _photo_fields(upload, "client_id", "aspect", "result", "note")
                await checks.repair_check_add(actor=user, repair=repair, fields=fields,
                                              files=upload.files_for("photos"))
        except (Invalid, Conflict) as exc:
            return await _refused(request, repair, exc, "check", {k: v for k, v in fields.items()
                                                                  if isinstance(v, str)})
        return done(request, f"/repairs/{repair_id}", _("Check recorded."))


class RepairUnitPages(Controller):
    """A repair unit's own jobs (contractor users of the assigned party)."""

    path = "/repairs/jobs"
    guards = [allow(roles.CONTRACTOR)]
    include_in_schema = False

    @get("/")
    async def job_list(self, request: Request, limit: Any = None, offset: Any = None) -> Response:
        listed = await repair_page(selectors.jobs_query(current_user(request).party), limit, offset)
        return render(request, "repairs/jobs.html", visits=await job_reads.visits_of([i["id"] for i in listed["items"]]),
                      labels=states.STATUS_LABELS, when=local_time, **listed)

    @get("/{repair_id:int}")
    async def job_page(self, request: Request, repair_id: int) -> Response:
        repair = await access.repair_for(current_user(request), repair_id)
        return await _page(request, repair, back="/repairs/jobs", staff=False)

    @post("/{repair_id:int}/start")
    async def start(self, request: Request, repair_id: int) -> Response:
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        try:
            await dispatch.repair_start(actor=user, repair=repair)
        except Conflict as exc:
            return await _page(request, repair, status_code=409, back="/repairs/jobs", staff=False,
                               job_message=exc.message, job_which="start")
        return done(request, f"/repairs/jobs/{repair_id}", _("Repair started."))


# ---------------------------------------------------------------- the password-free job link

class LinkGone(DomainError):
    status_code = 410


async def _linked(token: str) -> tuple[RepairRequest, Any]:
    assignment = await dispatch.assignment_from_token(token)
    repair = await RepairRequest.objects().get(RepairRequest.id == assignment.repair).run() if assignment else None
    if assignment is None or repair is None:
        raise LinkGone(_("This link is invalid or has expired. Ask the CS center for a new one."))
    return repair, assignment


class JobLinkPages(Controller):
    """No guard: the token is the credential (that job, while it stays with that unit)."""

    path = "/rj/{token:str}"
    include_in_schema = False
    response_headers = [ResponseHeader(name="Referrer-Policy", value="no-referrer"),
                        ResponseHeader(name="Cache-Control", value="private, no-store"),
                        ResponseHeader(name="X-Robots-Tag", value="noindex")]
    exception_handlers = {LinkGone: lambda request, exc: render(
        request, "rectification/link_gone.html", status_code=410, message=exc.message)}

    async def _show(self, request: Request, token: str, repair: RepairRequest, status_code: int = 200,
                    message: str | None = None, form: dict | None = None, errors: dict | None = None) -> Response:
        ctx = await _detail_context(repair, link_token=token)
        photos_through(f"/rj/{token}", ctx["repair"]["photos"])
        photos_through(f"/rj/{token}", ctx["closing"]["after_photos"])
        for check in ctx["job"]["checks"]:
            photos_through(f"/rj/{token}", check["photos"])
        # a refused completion says why beside its own form (errors given), anything else at the top
        ctx.update(job_message=None if errors else message, history=[])
        return render(request, "repairs/detail.html", status_code=status_code, back="", staff=False,
                      form=form or {}, errors=errors or {}, message=message, **ctx)

    async def _actor(self, assignment: Any) -> dispatch.LinkActor:
        party = await job_reads.party_name(assignment.party)
        return dispatch.LinkActor(party=assignment.party, display_name=_("%(party)s (job link)", party=party))

    @get("/")
    async def job(self, request: Request, token: str) -> Response:
        repair, _assignment = await _linked(token)
        return await self._show(request, token, repair)

    @post("/start")
    async def start(self, request: Request, token: str) -> Response:
        repair, assignment = await _linked(token)
        try:
            await dispatch.repair_start(actor=await self._actor(assignment), repair=repair)
        except Conflict as exc:
            return await self._show(request, token, repair, status_code=409, message=exc.message)
        return done(request, f"/rj/{token}", _("Repair started."))

    @post("/complete")
    async def complete(self, request: Request, token: str) -> Response:
        """The unit's note and after-photos, then the owner signs on this same phone (`sign` below)."""
        repair, assignment = await _linked(token)
        with await receive_upload(request) as upload:
            note = upload.field("note") or ""
            try:
                await closing.repair_complete(actor=await self._actor(assignment), repair=repair, note=note,
                                              files=upload.files_for("photos"),
                                              photo_client_ids=upload.fields.get("photo_client_id", []),
                                              photo_captured_ats=upload.fields.get("photo_captured_at", []))
            except (Invalid, Conflict) as exc:
                fresh = await RepairRequest.objects().get(RepairRequest.id == repair.id).run()
                return await self._show(request, token, fresh or repair, status_code=exc.status_code,
                                        message=exc.message, form={"note": note},
                                        errors=exc.field_errors or {"photos": exc.message})
        return done(request, f"/rj/{token}/sign", _("The repair is done. Now the owner signs."))

    @get("/sign")
    async def sign_page(self, request: Request, token: str) -> Response:
        """The sign pad on the repairer's phone, handed to the owner."""
        repair, _assignment = await _linked(token)
        return await _sign_page(request, repair, action=f"/rj/{token}/sign", back=f"/rj/{token}",
                                photos_base=f"/rj/{token}")

    @post("/sign")
    async def sign(self, request: Request, token: str, data: Form) -> Response:
        repair, assignment = await _linked(token)
        return await _answer(request, await self._actor(assignment), repair, data, action=f"/rj/{token}/sign",
                             back=f"/rj/{token}", done_url=f"/rj/{token}", photos_base=f"/rj/{token}")

    @get("/photos/{photo_id:int}/{variant:str}")
    async def photo(self, request: Request, token: str, photo_id: int, variant: str) -> Response:
        from server.inspections.rectification_pages import _photo_bytes

        repair, _assignment = await _linked(token)
        photo = await Photo.objects().where((Photo.id == photo_id) & (
            ((Photo.subject_type == "repair") & (Photo.subject_id == repair.id))
            | ((Photo.subject_type == "repair_check") & Photo.subject_id.is_in(
                RepairCheck.select(RepairCheck.id).where(RepairCheck.repair == repair.id))))).first().run()
        return await _photo_bytes(photo, variant)

    @get("/documents/{document_id:int}")
    async def document(self, request: Request, token: str, document_id: int) -> Response:
        from server.procedures.api import download

        repair, _assignment = await _linked(token)
        document = await RepairPlanDocument.objects().where((RepairPlanDocument.id == document_id) & (
            RepairPlanDocument.plan.is_in(RepairPlan.select(RepairPlan.id).where(RepairPlan.repair == repair.id)))
        ).first().run()
        if document is None:
            raise NotFound(_("The page or record was not found."))
        return await download(document)


JOB_PAGES = [RepairUnitPages, JobStaffPages, JobLinkPages]
