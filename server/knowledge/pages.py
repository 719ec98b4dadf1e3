"""Knowledge-base pages: the list with its search (htmx, debounced, waiting
for the input method to finish a word), an entry with its version history,
the form to add or edit (what was typed is kept on error), retire and bring back.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from markupsafe import Markup, escape

from server.clock import local_time
from server.errors import Conflict, Invalid
from server.i18n import _
from server.inquiries.publishing import entry_inquiries
from server.knowledge import access, search, selectors, services
from server.org.pages import Form, done, opt_int, page_of, typed
from server.org.tables import Project
from server.web.guards import allow, current_user
from server.web.templating import render

FIELDS = ("question", "answer", "category", "tags", "version")


def highlight(text: str, q: str) -> Markup:
    """`text` with the query's tokens marked (<mark>), escaped."""
    tokens = search.query_tokens(q)
    lowered = text.lower()
    if not tokens or len(lowered) != len(text):
        return Markup(escape(text))
    marked = [False] * len(text)
    for token in tokens:
        start = lowered.find(token)
        while start >= 0:
            marked[start:start + len(token)] = [True] * len(token)
            start = lowered.find(token, start + 1)
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and marked[j] == marked[i]:
            j += 1
        part = escape(text[i:j])
        out.append(f"<mark>{part}</mark>" if marked[i] else str(part))
        i = j
    return Markup("".join(out))


class KnowledgePages(Controller):
    path = "/knowledge"

    @get("/", guards=[allow(*access.READERS)])
    async def list_page(self, request: Request, q: str | None = None, retired: str | None = None,
                        limit: Any = None, offset: Any = None) -> Response:
        query = (q or "").strip()
        show_retired = retired == "1" and not query
        page = page_of(limit, offset)
        result = await selectors.search_entries(query, page) if query else await selectors.list_entries(
            page, retired=show_retired)
        params = {k: v for k, v in (("q", query), ("retired", "1" if show_retired else "")) if v}
        return render(request, "knowledge/list.html", block="results", items=result["items"], q=query,
                      retired=show_retired, params=params, highlight=highlight,
                      page={"limit": result["limit"], "offset": result["offset"], "total": result["total"]})

    @get("/new", guards=[allow(*access.WRITERS)])
    async def new(self, request: Request) -> Response:
        return _form(request, entry=None, form={}, errors={}, message=None)

    @post("/new", guards=[allow(*access.WRITERS)])
    async def create(self, request: Request, data: Form) -> Response:
        try:
            entry = await services.entry_create(actor=current_user(request), fields=_fields(data))
        except Invalid as exc:
            return _form(request, entry=None, form=typed(data), errors=exc.field_errors, message=exc.message,
                         status_code=exc.status_code)
        return done(request, f"/knowledge/{entry.id}", _("The entry is added to the knowledge base."))

    @get("/{entry_id:int}", guards=[allow(*access.READERS)])
    async def detail(self, request: Request, entry_id: int) -> Response:
        entry = await access.entry_for(entry_id)
        return await _detail(request, selectors.entry_out(entry), await selectors.versions(entry_id))

    @get("/{entry_id:int}/edit", guards=[allow(*access.WRITERS)])
    async def edit_form(self, request: Request, entry_id: int) -> Response:
        out = selectors.entry_out(await access.entry_for(entry_id))
        form = {**{k: out[k] for k in ("question", "answer", "category")}, "tags": " ".join(out["tags"]),
                "version": str(out["version"])}
        return _form(request, entry=out, form=form, errors={}, message=None)

    @post("/{entry_id:int}/edit", guards=[allow(*access.WRITERS)])
    async def edit(self, request: Request, entry_id: int, data: Form) -> Response:
        entry = await access.entry_for(entry_id)
        try:
            await services.entry_edit(actor=current_user(request), entry=entry, fields=_fields(data))
        except (Invalid, Conflict) as exc:
            return _form(request, entry=selectors.entry_out(entry), form=typed(data), errors=exc.field_errors,
                         message=exc.message, status_code=exc.status_code)
        return done(request, f"/knowledge/{entry_id}", _("Saved as a new version."))

    @post("/{entry_id:int}/retire", guards=[allow(*access.WRITERS)])
    async def retire(self, request: Request, entry_id: int) -> Response:
        return await _retire(request, entry_id, True)

    @post("/{entry_id:int}/unretire", guards=[allow(*access.WRITERS)])
    async def unretire(self, request: Request, entry_id: int) -> Response:
        return await _retire(request, entry_id, False)

    @post("/{entry_id:int}/publish", guards=[allow(*access.WRITERS)])
    async def publish(self, request: Request, entry_id: int, data: Form) -> Response:
        """Show the entry on a project's public page of answers (no project chosen: on every project's)."""
        entry = await access.entry_for(entry_id)
        project_id = opt_int(data.get("project_id"))
        try:
            if project_id is not None and not await Project.exists().where(Project.id == project_id).run():
                raise Invalid(_("There is no such project."), field_errors={"project_id": _("There is no such project.")})
            await services.entry_publish(actor=current_user(request), entry=entry, published=True,
                                         project_id=project_id)
        except (Invalid, Conflict) as exc:
            return await _detail(request, selectors.entry_out(entry), await selectors.versions(entry_id),
                                 message=exc.message, status_code=exc.status_code)
        return done(request, f"/knowledge/{entry_id}", _("The answer is published on the public page."))

    @post("/{entry_id:int}/unpublish", guards=[allow(*access.WRITERS)])
    async def unpublish(self, request: Request, entry_id: int) -> Response:
        entry = await access.entry_for(entry_id)
        try:
            await services.entry_publish(actor=current_user(request), entry=entry, published=False)
        except Conflict as exc:
            return await _detail(request, selectors.entry_out(entry), await selectors.versions(entry_id),
                                 message=exc.message, status_code=exc.status_code)
        return done(request, f"/knowledge/{entry_id}", _("The answer is taken off the public page."))


def _fields(data: dict) -> dict[str, Any]:
    return {name: (data.get(name)[-1] if isinstance(data.get(name), list) else data.get(name)) for name in FIELDS}


def _form(request: Request, *, entry: dict | None, form: dict, errors: dict, message: str | None,
          status_code: int = 200) -> Response:
    back = f"/knowledge/{entry['id']}" if entry else "/knowledge"
    return render(request, "knowledge/form.html", status_code=status_code, entry=entry, form=form, errors=errors,
                  message=message, back=back)


async def _detail(request: Request, entry: dict, versions: list, *, message: str | None = None,
                  status_code: int = 200) -> Response:
    for version in versions:
        version["when"] = local_time(dt.datetime.fromisoformat(version["edited_at"]))
    projects = await Project.select(Project.id, Project.name).order_by(Project.id).run()
    return render(request, "knowledge/detail.html", status_code=status_code, entry=entry, versions=versions,
                  message=message, back="/knowledge", links=await entry_inquiries(entry["id"]), projects=projects,
                  project_names={p["id"]: p["name"] for p in projects}, when=local_time)


async def _retire(request: Request, entry_id: int, retired: bool) -> Response:
    entry = await access.entry_for(entry_id)
    try:
        await services.entry_retire(actor=current_user(request), entry=entry, retired=retired)
    except Conflict as exc:
        return await _detail(request, selectors.entry_out(entry), await selectors.versions(entry_id),
                             message=exc.message, status_code=exc.status_code)
    return done(request, f"/knowledge/{entry_id}",
                _("The entry is retired.") if retired else _("The entry is back in the knowledge base."))


KNOWLEDGE_PAGES = [KnowledgePages]
