"""Pages for the work after an inspection: the contractor's 整改任务, the
password-free notice link `/n/{token}`, the notice (整改通知单) and its print
version, the supervisor's 待检查 and the CS center's 待复验.

Handlers fetch through `access` (a foreign defect or notice is a 404, like a
missing one), read through `rectification_reads`, call the services in
`defects`, and render; every rule lives there. Lists page over *units* (each
with all its listed defects), overdue work first. Uploads stream through `receive_upload`; the browser sends them
with htmx and the X-CSRFToken header (static/js/followup.js shows progress).

The `/n/{token}` pages never look at the session: the signed token alone says
which notice (and party) they may show and rectify.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader

from server.clock import local_time
from server.db import ids_in
from server.errors import DomainError, Invalid, NotFound
from server.i18n import _
from server.inspections import access, defects
from server.inspections.notices import notice_from_token
from server.inspections.pages_defect_rows import ROW_HELPERS
from server.inspections.rectification_reads import (
    defect_view,
    first_photos,
    grouped_defects,
    notice_view,
    round_photos,
    task_filters,
    units_of,
)
from server.inspections.selectors import defect_filters
from server.inspections.tables import Defect, DefectCheck, PartyProject, RectificationNotice
from server.org.pages import Form, done, opt_int, page_of, typed
from server.org.tables import Building, Party, Project, Unit, UnitType
from server.photos import services as photo_services
from server.photos.storage import read_bytes
from server.photos.tables import Photo
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user
from server.web.templating import is_htmx, render

UNITS_PER_PAGE = 10
# Where a defect page's back arrow leads, by role: the list the person came from.
BACK_TO = (("/tasks", access.RECTIFIERS), ("/checks", access.CHECKERS), ("/rechecks", access.RECHECKERS))


@dataclass(frozen=True)
class LinkActor:
    """Who acts through a notice link: the notice's party, without a user account."""

    party: int
    display_name: str
    id: None = None


# ---------------------------------------------------------------- helpers shared by the pages

async def _photo_bytes(photo: Photo | None, variant: str) -> Response:
    """A processed photo (display or thumb, both small JPEGs) as a private response."""
    found = photo_services.variant_file(photo, variant) if photo and variant in ("display", "thumb") else None
    if found is None:
        raise NotFound(_("The page or record was not found."))
    return Response(await read_bytes(found[0]), media_type=found[1],
                    headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})


async def _plan_of(defect: Defect) -> Response:
    plan = await Photo.objects().where(Photo.id.is_in(UnitType.select(UnitType.floor_plan).where(
        UnitType.id.is_in(Unit.select(Unit.unit_type).where(Unit.id == defect.unit))))).first().run()
    return await _photo_bytes(plan, "display")


def _base(**ctx: Any) -> dict:
    """What every page here renders with, plus `ctx`."""
    return {**ROW_HELPERS, "now": dt.datetime.now(dt.timezone.utc), "when": local_time, "photo_base": "/photos/",
            **ctx}


async def _rectify(request: Request, actor: Any, defect: Defect, page: dict) -> Response:
    """After-photos and a note → defect_rectify; on bad input the form again,
    status 400 (413/415 for a refused file), the message beside the photos and the note kept."""
    note = ""
    try:
        with await receive_upload(request) as upload:
            note = upload.field("note") or ""
            await defects.defect_rectify(actor=actor, defect=defect, note=note, files=upload.files_for("photos"))
    except Invalid as exc:
        errors = exc.field_errors or {"photos": exc.message}
        return render(request, "rectification/defect.html", block="rectify_form", status_code=exc.status_code,
                      **{**page, "form": {"note": note}, "errors": errors, "message": exc.message})
    return done(request, page["back"], _("Rectification sent. The CS center will recheck it."))


# ---------------------------------------------------------------- the contractor (signed in)

class ContractorPages(Controller):
    path = "/tasks"
    include_in_schema = False

    @get("/", guards=[allow(*access.RECTIFIERS)])
    async def task_list(self, request: Request, status: str = "open", project: str | None = None,
                        building: str | None = None, overdue: str | None = None, limit: str | None = None,
                        offset: str | None = None) -> Response:
        user = current_user(request)
        project_id, building_id = opt_int(project), opt_int(building)
        where, filters = await task_filters(user, status=status, project_id=project_id, building_id=building_id,
                                            overdue=bool(overdue))
        mine = Unit.select(Unit.building).where(Unit.id.is_in(Defect.select(Defect.unit).where(
            access.visible_defects(user) & Defect.notice.is_not_null())))
        projects = await Project.select(Project.id, Project.name).where(Project.id.is_in(
            PartyProject.select(PartyProject.project).where(PartyProject.party == user.party))).order_by(
            Project.name).run()
        buildings = await Building.select(Building.id, Building.name).where(
            Building.id.is_in(mine) & (Building.project == project_id)).order_by(Building.name).run() \
            if project_id else []
        tasks = await grouped_defects(where, page_of(limit, offset, UNITS_PER_PAGE), photos=first_photos)
        return render(request, "rectification/tasks.html", block="list", tasks=tasks, filters=filters,
                      projects=projects, buildings=buildings, **_base())

    @get("/defects/{defect_id:int}", guards=[allow(*access.DEFECT_READERS)])
    async def defect_page(self, request: Request, defect_id: int) -> Response:
        user = current_user(request)
        view = await defect_view(await access.defect_for(user, defect_id))
        back = next((url for url, who in BACK_TO if user.role in who), "/")
        return render(request, "rectification/defect.html", **view,
                      **_base(base=f"/tasks/defects/{defect_id}", back=back, form={}, errors={}))

    @get("/defects/{defect_id:int}/plan", guards=[allow(*access.DEFECT_READERS)])
    async def defect_plan(self, request: Request, defect_id: int) -> Response:
        return await _plan_of(await access.defect_for(current_user(request), defect_id))

    @post("/defects/{defect_id:int}/rectify", guards=[allow(*access.RECTIFIERS)])
    async def rectify(self, request: Request, defect_id: int) -> Response:
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        page = {**await defect_view(defect), **_base(base=f"/tasks/defects/{defect_id}", back="/tasks")}
        return await _rectify(request, user, defect, page)

    @get("/notices/{notice_id:int}", guards=[allow(*access.DEFECT_READERS)])
    async def notice_page(self, request: Request, notice_id: int) -> Response:
        notice = await access.notice_for(current_user(request), notice_id)
        return render(request, "rectification/notice.html", **await notice_view(notice), **_base())

    @get("/notices/{notice_id:int}/print", guards=[allow(*access.DEFECT_READERS)])
    async def notice_print(self, request: Request, notice_id: int) -> Response:
        notice = await access.notice_for(current_user(request), notice_id)
        return render(request, "rectification/notice_print.html", **await notice_view(notice), **_base())


# ---------------------------------------------------------------- the password-free notice link

async def _link(token: str) -> tuple[RectificationNotice, Party]:
    """The notice a link opens; an invalid, expired or forged token opens nothing (410)."""
    found = notice_from_token(token)
    notice = await RectificationNotice.objects().get(
        (RectificationNotice.id == found[0]) & (RectificationNotice.party == found[1])).run() if found else None
    if notice is None:
        raise LinkGone(_("This link is invalid or has expired. Ask the CS center for a new one."))
    return notice, await Party.objects().get(Party.id == notice.party).run()


async def _link_defect(notice: RectificationNotice, defect_id: int) -> Defect:
    defect = await Defect.objects().where((Defect.id == defect_id) & (Defect.notice == notice.id)
                                          & (Defect.construction_unit == notice.party)).first().run()
    if defect is None:
        raise NotFound(_("The page or record was not found."))
    return defect


class LinkGone(DomainError):
    status_code = 410


def _link_ctx(token: str, **ctx: Any) -> dict:
    return _base(token=token, photo_base=f"/n/{token}/photos/", **ctx)


class NoticeLinkPages(Controller):
    """No guard: the token is the credential. Errors render link_gone.html."""

    path = "/n/{token:str}"
    include_in_schema = False
    # The token is in the URL: keep it out of Referer headers, caches and search engines.
    response_headers = [ResponseHeader(name="Referrer-Policy", value="no-referrer"),
                        ResponseHeader(name="Cache-Control", value="private, no-store"),
                        ResponseHeader(name="X-Robots-Tag", value="noindex")]
    exception_handlers = {LinkGone: lambda request, exc: render(
        request, "rectification/link_gone.html", status_code=410, message=exc.message)}

    @get("/")
    async def notice(self, request: Request, token: str) -> Response:
        notice, _party = await _link(token)
        return render(request, "rectification/link_notice.html", **await notice_view(notice),
                      **_link_ctx(token))

    @get("/defects/{defect_id:int}")
    async def defect_page(self, request: Request, token: str, defect_id: int) -> Response:
        notice, _party = await _link(token)
        view = await defect_view(await _link_defect(notice, defect_id))
        return render(request, "rectification/defect.html", **view, **_link_ctx(
            token, base=f"/n/{token}/defects/{defect_id}", back=f"/n/{token}", form={}, errors={}))

    @get("/defects/{defect_id:int}/plan")
    async def defect_plan(self, request: Request, token: str, defect_id: int) -> Response:
        notice, _party = await _link(token)
        return await _plan_of(await _link_defect(notice, defect_id))

    @post("/defects/{defect_id:int}/rectify")
    async def rectify(self, request: Request, token: str, defect_id: int) -> Response:
        notice, party = await _link(token)
        defect = await _link_defect(notice, defect_id)
        page = {**await defect_view(defect),
                **_link_ctx(token, base=f"/n/{token}/defects/{defect_id}", back=f"/n/{token}")}
        actor = LinkActor(party=party.id, display_name=_("%(party)s (notice link)", party=party.name))
        return await _rectify(request, actor, defect, page)

    @get("/photos/{photo_id:int}/{variant:str}")
    async def photo(self, request: Request, token: str, photo_id: int, variant: str) -> Response:
        notice, _party = await _link(token)
        photo = await Photo.objects().where((Photo.id == photo_id) & (Photo.subject_type == "defect") & (
            Photo.subject_id.is_in(Defect.select(Defect.id).where(Defect.notice == notice.id)))).first().run()
        return await _photo_bytes(photo, variant)


# ---------------------------------------------------------------- 待检查: project department and supervisor

async def _last_checks(groups: list) -> dict[int, dict]:
    """The latest check of each listed defect, in one query."""
    ids = [d.id for _unit, rows in groups for d in rows]
    rows = await DefectCheck.select(DefectCheck.defect, DefectCheck.result, DefectCheck.note,
                                    DefectCheck.by.display_name.as_alias("by_name")).where(
        ids_in(DefectCheck.defect, ids)).order_by(DefectCheck.id).run()
    return {r["defect"]: r for r in rows}


class CheckPages(Controller):
    path = "/checks"
    guards = [allow(*access.CHECKERS)]
    include_in_schema = False

    @get("/")
    async def check_list(self, request: Request, status: str = "", limit: str | None = None,
                         offset: str | None = None) -> Response:
        """Defects being rectified: open or rectified, with a notice."""
        status = status if status in ("open", "rectified") else ""
        where = defect_filters(current_user(request), status=status or None) & Defect.notice.is_not_null() \
            & Defect.status.is_in(["open", "rectified"])
        tasks = await grouped_defects(where, page_of(limit, offset, UNITS_PER_PAGE), photos=first_photos)
        return render(request, "rectification/checks.html", block="list", tasks=tasks, status=status,
                      checks=await _last_checks(tasks["groups"]), **_base())

    @get("/defects/{defect_id:int}")
    async def check_page(self, request: Request, defect_id: int) -> Response:
        view = await defect_view(await access.defect_for(current_user(request), defect_id))
        return render(request, "rectification/check.html", **view,
                      **_base(base=f"/checks/defects/{defect_id}", back="/checks", form={}, errors={}))

    @post("/defects/{defect_id:int}")
    async def check_add(self, request: Request, defect_id: int) -> Response:
        """multipart: result (ok|not_ok), note, client_id (made by the browser), optional photos."""
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        form: dict[str, str] = {}
        try:
            with await receive_upload(request) as upload:
                form = {k: upload.field(k) or "" for k in ("result", "note", "client_id")}
                await defects.defect_check_add(actor=user, defect=defect, result=form["result"], note=form["note"],
                                               files=upload.files_for("photos"), client_id=form["client_id"])
        except Invalid as exc:
            return render(request, "rectification/check.html", block="check_form", status_code=exc.status_code,
                          **await defect_view(defect), **_base(
                              base=f"/checks/defects/{defect_id}", back="/checks", form=form,
                              errors=exc.field_errors or {"photos": exc.message}, message=exc.message))
        return done(request, "/checks", _("Check recorded."))


# ---------------------------------------------------------------- 待复验: the CS center

class RecheckPages(Controller):
    path = "/rechecks"
    guards = [allow(*access.RECHECKERS)]
    include_in_schema = False

    @get("/")
    async def recheck_list(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        tasks = await grouped_defects(defect_filters(current_user(request), status="rectified"),
                                      page_of(limit, offset, UNITS_PER_PAGE), open_first=False)
        return render(request, "rectification/rechecks.html", block="list", tasks=tasks,
                      checks=await _last_checks(tasks["groups"]), failed={}, **_base())

    @post("/defects/{defect_id:int}")
    async def recheck(self, request: Request, defect_id: int, data: Form) -> Response:
        """通过 closes the defect; 不通过 needs a reason and reopens it."""
        user = current_user(request)
        defect = await access.defect_for(user, defect_id)
        result = str(data.get("result") or "")
        try:
            await defects.defect_recheck(actor=user, defect=defect, result=result, note=str(data.get("note") or ""))
        except Invalid as exc:
            # Only this defect's card comes back, its reason field marked and what was typed kept.
            tasks = {"groups": [((await units_of([defect.unit]))[defect.unit], [defect])], "total": 1, "limit": 1,
                     "offset": 0, "photos": await round_photos([defect])}
            ctx = {"tasks": tasks, "checks": await _last_checks(tasks["groups"]),
                   "failed": {"id": defect.id, "errors": exc.field_errors, "form": typed(data),
                              "message": exc.message}, **_base()}
            if is_htmx(request):  # the card alone draws the card of `defect`
                return render(request, "rectification/_recheck_card.html", status_code=400, defect=defect, **ctx)
            return render(request, "rectification/rechecks.html", status_code=400, **ctx)
        if result == "pass":
            return done(request, "/rechecks", _("Passed: the defect is closed."))
        return done(request, "/rechecks", _("Not passed: the defect goes back to the contractor."))


RECTIFICATION_PAGES = [ContractorPages, NoticeLinkPages, CheckPages, RecheckPages]
