"""JSON API of a repair job after triage: survey and plan, dispatch, start, checks (issue 11)."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.errors import NotFound
from server.i18n import _
from server.photos.upload import receive_upload
from server.procedures import documents
from server.repairs import access, checks, dispatch, job_reads, selectors, states, survey
from server.repairs import job_schemas as j
from server.repairs import schemas as s
from server.repairs.job_tables import RepairPlan, RepairPlanDocument
from server.repairs.tables import RepairRequest
from server.web.guards import allow, current_user, signed_in

PHOTO_FIELDS = ("photo_client_id", "photo_captured_at")


def _photo_fields(upload: Any, *names: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: upload.field(name) for name in names}
    fields["photo_client_ids"] = upload.fields.get("photo_client_id", [])
    fields["photo_captured_ats"] = upload.fields.get("photo_captured_at", [])
    return fields


async def job_answer(repair: RepairRequest) -> j.JobOut:
    return j.job(repair.id, repair.status, str(states.STATUS_LABELS[repair.status]),
                 await job_reads.job_view(repair.id))


class RepairJobsApi(Controller):
    path = "/api/v1"
    tags = ["Repairs"]

    @get("/repairs/{repair_id:int}/job", guards=[signed_in])
    async def get_job(self, request: Request, repair_id: int) -> j.JobOut:
        """A repair's surveys, plans (with attachments and the CS center's decision), the unit it is assigned
        to with the agreed visit time, and the checks during the repair. 404 for a repair the caller may not
        see (an owner's other homes, a repair unit's other jobs)."""
        return await job_answer(await access.repair_for(current_user(request), repair_id))

    @post("/repairs/{repair_id:int}/send-to-survey", guards=[allow(*states.TRANSITIONS["survey"].roles)],
          status_code=200)
    async def send_to_survey(self, request: Request, repair_id: int) -> s.RepairOut:
        """CS sends a triaged request to the quality center for a site survey (`triaged` → `surveying`)."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await survey.send_to_survey(actor=user, repair=repair)
        return s.repair(await selectors.repair_out(repair))

    @post("/repairs/{repair_id:int}/surveys", guards=[allow(*survey.SURVEYORS)], status_code=201)
    async def add_survey(self, request: Request, repair_id: int) -> Response[j.JobOut]:
        """multipart (quality_center, admin): `findings`, optional `client_id` (UUID; a repeat answers 200
        and stores nothing), photos in `photos` (stage `survey`). Only while the repair is `surveying` (409)."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        with await receive_upload(request) as upload:
            _row, created = await survey.survey_record(actor=user, repair=repair,
                                                       fields=_photo_fields(upload, "client_id", "findings"),
                                                       files=upload.files_for("photos"))
        return Response(await job_answer(repair), status_code=201 if created else 200)

    @post("/repairs/{repair_id:int}/plans", guards=[allow(*survey.PLANNERS)], status_code=201)
    async def add_plan(self, request: Request, repair_id: int) -> Response[j.JobOut]:
        """multipart: `text` (the repair plan, 维修方案), optional `client_id`, up to 5 files in `documents`
        (PDF, Excel, Word or photos, found by their bytes). Needs a recorded survey; `surveying` → `planned`."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        with await receive_upload(request, max_file_bytes=documents.max_bytes()) as upload:
            _plan, created = await survey.plan_issue(actor=user, repair=repair,
                                                     fields={k: upload.field(k) for k in ("client_id", "text")},
                                                     files=upload.files_for("documents"))
        return Response(await job_answer(repair), status_code=201 if created else 200)

    @post("/repairs/{repair_id:int}/plan-decision", guards=[allow(*survey.DECIDERS)], status_code=200)
    async def plan_decision(self, request: Request, repair_id: int, data: j.PlanDecisionIn) -> j.JobOut:
        """CS approves the plan in force (`approve`; the repair stays `planned` and may be dispatched) or sends
        it back with a `reason` (`return`; back to `surveying`). A plan is decided once (409 after)."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await survey.plan_decide(actor=user, repair=repair, decision=data.decision, reason=data.reason)
        return await job_answer(repair)

    @get("/repairs/{repair_id:int}/dispatch-choices", guards=[allow(*dispatch.DISPATCHERS)])
    async def dispatch_choices(self, request: Request, repair_id: int) -> j.DispatchChoicesOut:
        """The units a job may go to (repair units first, then construction units) and the suggested one."""
        repair = await access.repair_for(current_user(request), repair_id)
        return j.DispatchChoicesOut(suggested_party_id=await dispatch.suggested_party(repair),
                                    items=[j.UnitChoiceOut(**r) for r in await dispatch.unit_choices()])

    @post("/repairs/{repair_id:int}/assign", guards=[allow(*dispatch.DISPATCHERS)], status_code=201)
    async def assign(self, request: Request, repair_id: int, data: j.AssignIn) -> Response[j.JobOut]:
        """CS gives the job to a unit: `triaged` → `assigned`, or `planned` → `assigned` once the plan is
        approved (409 before). The unit is told in its inbox and through its webhook or email, with a signed
        link (30 days) that opens this job only, without a password."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        _a, created = await dispatch.repair_assign(actor=user, repair=repair, fields={
            "party_id": "" if data.party_id is None else str(data.party_id), "visit_at": data.visit_at,
            "visit_note": data.visit_note, "client_id": data.client_id})
        return Response(await job_answer(repair), status_code=201 if created else 200)

    @post("/repairs/{repair_id:int}/visit-time", guards=[allow(*dispatch.DISPATCHERS)], status_code=200)
    async def visit(self, request: Request, repair_id: int, data: j.VisitIn) -> j.JobOut:
        """CS records the visit time agreed with the owner (while `assigned` or `in_repair`)."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await dispatch.visit_set(actor=user, repair=repair, visit_at=data.visit_at, visit_note=data.visit_note)
        return await job_answer(repair)

    @post("/repairs/{repair_id:int}/start", guards=[allow(*states.TRANSITIONS["start"].roles)], status_code=200)
    async def start(self, request: Request, repair_id: int) -> s.RepairOut:
        """The assigned repair unit (a contractor of that party) or CS starts the repair: `assigned` →
        `in_repair`. Another unit's job answers 404."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        await dispatch.repair_start(actor=user, repair=repair)
        return s.repair(await selectors.repair_out(repair))

    @post("/repairs/{repair_id:int}/checks", guards=[allow(*checks.CHECKERS)], status_code=201)
    async def add_check(self, request: Request, repair_id: int) -> Response[j.JobOut]:
        """multipart (cs_staff, admin), while `in_repair`: `aspect` (materials | quality | safety), `result`
        (ok | not_ok), `note` (required when not ok), optional `client_id`, optional photos in `photos`."""
        user = current_user(request)
        repair = await access.repair_for(user, repair_id)
        with await receive_upload(request) as upload:
            _c, created = await checks.repair_check_add(
                actor=user, repair=repair, fields=_photo_fields(upload, "client_id", "aspect", "result", "note"),
                files=upload.files_for("photos"))
        return Response(await job_answer(repair), status_code=201 if created else 200)

    @get("/repair-plan-documents/{document_id:int}", guards=[signed_in])
    async def plan_document(self, request: Request, document_id: int) -> Response:
        """Download a plan's attachment (whoever sees the repair; 404 otherwise)."""
        from server.procedures.api import download

        document = await plan_document_for(current_user(request), document_id)
        return await download(document)


async def plan_document_for(user: Any, document_id: int) -> RepairPlanDocument:
    document = await RepairPlanDocument.objects().get(RepairPlanDocument.id == document_id).run()
    plan = await RepairPlan.select(RepairPlan.repair).where(RepairPlan.id == document.plan).first().run() \
        if document else None
    if plan is None:
        raise NotFound(_("The page or record was not found."))
    await access.repair_for(user, plan["repair"])
    return document
