"""Admin pages for checklist templates (/admin/checklists), as the other admin pages.

The list shows, project by project, which checklist the whole project and each
unit type gets (its own, the project's or the global default), with a button
to give one its own copy. A template's page shows its rooms and items: moving
one up or down answers just the rooms block to htmx; every other form is
POST-redirect-GET with a flash, and bad input comes back with status 400 and
its messages (`server.org.pages` helpers). A template in use by an inspection
shows read-only with a "copy" button: the services refuse changes to it
(see `template_admin`).
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from server.accounts import roles
from server.errors import Invalid
from server.i18n import _
from server.inspections import template_admin as services
from server.inspections import template_reads as reads
from server.inspections.default_checklist import CATEGORIES
from server.inspections.tables import ChecklistItem, ChecklistRoom, ChecklistTemplate
from server.org.pages import CHOICES_LIMIT, Form, done, opt_int, page_of, paged_rows, typed
from server.org.tables import Project
from server.web.guards import allow
from server.web.templating import is_htmx, render

BASE = "/admin/checklists"
USED_BY_SHOWN = 30  # unit type names listed on a template's page before "and N more"


def target_label(row: dict) -> str:
    """"Global default", "<project> · whole project" or "<project> · unit type A1"."""
    scope = reads.scope_of(row)
    if scope == "default":
        return _("Global default")
    if scope == "project":
        return _("%(project)s · whole project", project=row["project_name"])
    return _("%(project)s · unit type %(name)s", project=row["project_name"], name=row["unit_type_name"])


def category_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in CATEGORIES.items()]


def _url(template_id: int, anchor: str = "") -> str:
    return f"{BASE}/{template_id}" + (f"#{anchor}" if anchor else "")


class ChecklistAdminPages(Controller):
    path = BASE
    guards = [allow(roles.ADMIN)]
    include_in_schema = False

    # ------------------------------------------------------------ the list
    @get("")
    async def template_list(self, request: Request, limit: str | None = None, offset: str | None = None) -> Response:
        projects = await paged_rows(Project.select(Project.id, Project.name).order_by(Project.name, Project.id),
                                    Project.count(), page_of(limit, offset))
        ids = [p["id"] for p in projects["rows"]]
        targets = await reads.Targets.load()
        where = ChecklistTemplate.project.is_in(ids or [-1])
        if targets.default_id is not None:
            where = where | (ChecklistTemplate.id == targets.default_id)
        templates = {row["id"]: row for row in await ChecklistTemplate.select(*reads.TEMPLATE_COLUMNS)
                     .where(where).run()}
        stats = await reads.template_stats(list(templates))
        unit_types = await reads.unit_types_using(targets, ids)
        sections = [{
            "project": project,
            "own": templates.get(targets.by_project.get(project["id"])),
            "in_effect": templates.get(targets.in_effect(project["id"])),
            "unit_types": [{**t, "template": templates.get(t["template_id"]),
                            "from_project": not t["own"] and project["id"] in targets.by_project}
                           for t in unit_types if t["project"] == project["id"]],
        } for project in projects["rows"]]
        return render(request, "checklists/list.html", block="list", projects=projects, sections=sections,
                      default=templates.get(targets.default_id), stats=stats)

    # ------------------------------------------------------------ creating a template
    async def _new_form(self, request: Request, form: dict, errors: dict, message: str | None = None,
                        status_code: int = 200) -> Response:
        targets = await reads.Targets.load()
        projects = await Project.select(Project.id, Project.name).order_by(Project.name, Project.id) \
            .limit(CHOICES_LIMIT).run()
        unit_types = await reads.unit_types_using(targets, [p["id"] for p in projects])
        groups = [{**p, "own": p["id"] in targets.by_project,
                   "unit_types": [t for t in unit_types if t["project"] == p["id"]]} for p in projects]
        sources = await ChecklistTemplate.select(*reads.TEMPLATE_COLUMNS).order_by(*reads.LIST_ORDER) \
            .limit(CHOICES_LIMIT).run()
        return render(request, "checklists/new.html", block="form" if status_code == 400 else None,
                      status_code=status_code, form=form, errors=errors, message=message, groups=groups,
                      sources=[(row["id"], f"{row['name']} ({target_label(row)})") for row in sources])

    @get("/new")
    async def template_new(self, request: Request, project_id: str | None = None, unit_type_id: str | None = None,
                           copy_from_id: str | None = None) -> Response:
        target = ""
        if opt_int(unit_type_id) is not None:
            target = f"unit_type:{opt_int(unit_type_id)}"
        elif opt_int(project_id) is not None:
            target = f"project:{opt_int(project_id)}"
        return await self._new_form(request, {"target": target, "copy_from_id": copy_from_id or ""}, {})

    @post("")
    async def template_create(self, request: Request, data: Form) -> Response:
        kind, _sep, value = str(data.get("target", "")).partition(":")
        target_id = opt_int(value)
        try:
            template = await services.template_create(
                actor=request.scope["user"], name=data.get("name", ""),
                project_id=target_id if kind == "project" else None,
                unit_type_id=target_id if kind == "unit_type" else None,
                copy_from_id=opt_int(data.get("copy_from_id")))
        except Invalid as exc:
            errors = dict(exc.field_errors)
            target_error = errors.pop("unit_type_id", None) or errors.pop("project_id", None)
            if target_error:
                errors["target"] = target_error
            return await self._new_form(request, typed(data), errors, exc.message, 400)
        return done(request, _url(template.id), _("Checklist created. Its rooms and items were copied."))

    # ------------------------------------------------------------ one template
    async def _detail(self, request: Request, template_id: int, *, block: str | None = None,
                      status_code: int = 200, **form_context: Any) -> Response:
        detail = await reads.template_detail(template_id)
        context = {"form": {}, "errors": {}, "message": None, **form_context}
        return render(request, "checklists/detail.html", block=block, status_code=status_code, t=detail,
                      editable=not detail["in_use"], target=target_label(detail), categories=dict(category_choices()),
                      used_by=detail["unit_types"][:USED_BY_SHOWN],
                      used_by_more=max(0, len(detail["unit_types"]) - USED_BY_SHOWN), **context)

    @get("/{template_id:int}")
    async def template_detail(self, request: Request, template_id: int) -> Response:
        return await self._detail(request, template_id, block="rooms")

    def _name_form(self, request: Request, *, title: str, action: str, back: str, form: dict, errors: dict,
                   message: str | None = None, status_code: int = 200, maxlength: int,
                   delete_action: str | None = None, delete_question: str = "") -> Response:
        return render(request, "checklists/name_form.html", block="form" if status_code == 400 else None,
                      status_code=status_code, title=title, action=action, back=back, form=form, errors=errors,
                      message=message, maxlength=maxlength, delete_action=delete_action,
                      delete_question=delete_question)

    @get("/{template_id:int}/edit")
    async def template_edit(self, request: Request, template_id: int) -> Response:
        template = await reads.template_get(template_id)
        return self._name_form(request, title=_("Rename checklist"), action=_url(template_id),
                               back=_url(template_id), form={"name": template.name}, errors={},
                               maxlength=services.NAME_MAX)

    @post("/{template_id:int}")
    async def template_rename(self, request: Request, template_id: int, data: Form) -> Response:
        try:
            await services.template_rename(actor=request.scope["user"], template_id=template_id,
                                           name=data.get("name", ""))
        except Invalid as exc:
            return self._name_form(request, title=_("Rename checklist"), action=_url(template_id),
                                   back=_url(template_id), form=typed(data), errors=exc.field_errors,
                                   message=exc.message, status_code=400, maxlength=services.NAME_MAX)
        return done(request, _url(template_id), _("Checklist renamed."))

    @post("/{template_id:int}/delete")
    async def template_delete(self, request: Request, template_id: int) -> Response:
        await services.template_delete(actor=request.scope["user"], template_id=template_id)
        return done(request, BASE, _("Checklist deleted. Its units now get the next checklist in line."))

    # ------------------------------------------------------------ rooms
    @post("/{template_id:int}/rooms")
    async def room_add(self, request: Request, template_id: int, data: Form) -> Response:
        try:
            room = await services.room_add(actor=request.scope["user"], template_id=template_id,
                                           name=data.get("name", ""))
        except Invalid as exc:
            return await self._detail(request, template_id, block="room_form", status_code=400, form=typed(data),
                                      errors=exc.field_errors, message=exc.message)
        return done(request, _url(template_id, f"room-{room.id}"), _("Room added."))

    def _room_form(self, request: Request, template_id: int, room: ChecklistRoom, form: dict, errors: dict,
                   message: str | None = None, status_code: int = 200) -> Response:
        return self._name_form(
            request, title=_("Edit room"), action=f"{_url(template_id)}/rooms/{room.id}",
            back=_url(template_id, f"room-{room.id}"), form=form, errors=errors, message=message,
            status_code=status_code, maxlength=services.ROOM_MAX,
            delete_action=f"{_url(template_id)}/rooms/{room.id}/delete",
            delete_question=_("Delete the room %(name)s and all its items?", name=room.name))

    @get("/{template_id:int}/rooms/{room_id:int}/edit")
    async def room_edit(self, request: Request, template_id: int, room_id: int) -> Response:
        room = await reads.room_get(template_id, room_id)
        return self._room_form(request, template_id, room, {"name": room.name}, {})

    @post("/{template_id:int}/rooms/{room_id:int}")
    async def room_rename(self, request: Request, template_id: int, room_id: int, data: Form) -> Response:
        room = await reads.room_get(template_id, room_id)
        try:
            await services.room_update(actor=request.scope["user"], template_id=template_id, room_id=room_id,
                                       name=data.get("name", ""))
        except Invalid as exc:
            return self._room_form(request, template_id, room, typed(data), exc.field_errors, exc.message, 400)
        return done(request, _url(template_id, f"room-{room_id}"), _("Room saved."))

    @post("/{template_id:int}/rooms/{room_id:int}/move")
    async def room_move(self, request: Request, template_id: int, room_id: int, data: Form) -> Response:
        await services.room_update(actor=request.scope["user"], template_id=template_id, room_id=room_id,
                                   move=data.get("direction"))
        return await self._moved(request, template_id, f"room-{room_id}")

    @post("/{template_id:int}/rooms/{room_id:int}/delete")
    async def room_delete(self, request: Request, template_id: int, room_id: int) -> Response:
        await services.room_delete(actor=request.scope["user"], template_id=template_id, room_id=room_id)
        return done(request, _url(template_id, "rooms"), _("Room deleted."))

    async def _moved(self, request: Request, template_id: int, anchor: str) -> Response:
        """htmx gets the rooms again in their new order; a plain form goes back to the page."""
        if is_htmx(request):
            return await self._detail(request, template_id, block="rooms")
        return Redirect(path=_url(template_id, anchor), status_code=303)

    # ------------------------------------------------------------ items
    async def _item_form(self, request: Request, template_id: int, room: ChecklistRoom, item: Any, form: dict,
                         errors: dict, message: str | None = None, status_code: int = 200) -> Response:
        template = await ChecklistTemplate.objects().get(ChecklistTemplate.id == template_id).run()
        return render(request, "checklists/item_form.html", block="form" if status_code == 400 else None,
                      status_code=status_code, t=template, room=room, item=item, form=form, errors=errors,
                      message=message, category_choices=category_choices())

    @get("/{template_id:int}/rooms/{room_id:int}/items/new")
    async def item_new(self, request: Request, template_id: int, room_id: int) -> Response:
        room = await reads.room_get(template_id, room_id)
        return await self._item_form(request, template_id, room, None, {}, {})

    @post("/{template_id:int}/rooms/{room_id:int}/items")
    async def item_add(self, request: Request, template_id: int, room_id: int, data: Form) -> Response:
        room = await reads.room_get(template_id, room_id)
        try:
            item = await services.item_add(actor=request.scope["user"], template_id=template_id, room_id=room_id,
                                           title=data.get("title", ""), category=data.get("category", ""),
                                           criteria=data.get("criteria", ""))
        except Invalid as exc:
            return await self._item_form(request, template_id, room, None, typed(data), exc.field_errors,
                                         exc.message, 400)
        return done(request, _url(template_id, f"item-{item.id}"), _("Item added."))

    async def _item(self, template_id: int, item_id: int) -> tuple[ChecklistItem, ChecklistRoom]:
        item = await reads.item_get(template_id, item_id)
        return item, await reads.room_get(template_id, item.room)

    @get("/{template_id:int}/items/{item_id:int}/edit")
    async def item_edit(self, request: Request, template_id: int, item_id: int) -> Response:
        item, room = await self._item(template_id, item_id)
        form = {"title": item.title, "category": item.category, "criteria": item.criteria}
        return await self._item_form(request, template_id, room, item, form, {})

    @post("/{template_id:int}/items/{item_id:int}")
    async def item_update(self, request: Request, template_id: int, item_id: int, data: Form) -> Response:
        item, room = await self._item(template_id, item_id)
        try:
            await services.item_update(actor=request.scope["user"], template_id=template_id, item_id=item_id,
                                       title=data.get("title", ""), category=data.get("category", ""),
                                       criteria=data.get("criteria", ""))
        except Invalid as exc:
            return await self._item_form(request, template_id, room, item, typed(data), exc.field_errors,
                                         exc.message, 400)
        return done(request, _url(template_id, f"item-{item_id}"), _("Item saved."))

    @post("/{template_id:int}/items/{item_id:int}/move")
    async def item_move(self, request: Request, template_id: int, item_id: int, data: Form) -> Response:
        await services.item_update(actor=request.scope["user"], template_id=template_id, item_id=item_id,
                                   move=data.get("direction"))
        return await self._moved(request, template_id, f"item-{item_id}")

    @post("/{template_id:int}/items/{item_id:int}/delete")
    async def item_delete(self, request: Request, template_id: int, item_id: int) -> Response:
        room = (await self._item(template_id, item_id))[1]
        await services.item_delete(actor=request.scope["user"], template_id=template_id, item_id=item_id)
        return done(request, _url(template_id, f"room-{room.id}"), _("Item deleted."))


TEMPLATE_PAGES = [ChecklistAdminPages]
