"""The public page of published answers (公开的常见问答) of a project: no
sign-in, phone-first, searchable (two-character Chinese queries work, matches
marked). Only entries CS published (for this project or for every project)
and not retired are shown; an unknown project is 404."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from server.errors import NotFound
from server.i18n import _
from server.knowledge import selectors
from server.knowledge.pages import highlight
from server.org.pages import page_of
from server.org.tables import Project
from server.web.templating import render


class PublicAnswersPage(Controller):
    path = "/p"
    include_in_schema = False

    @get("/{project_id:int}/answers")
    async def answers(self, request: Request, project_id: int, q: str | None = None, limit: Any = None,
                      offset: Any = None) -> Response:
        project = await Project.select(Project.id, Project.name).where(Project.id == project_id).first().run()
        if project is None:
            raise NotFound(_("The page or record was not found."))
        query = (q or "").strip()[:100]
        page = page_of(limit, offset)
        result = await selectors.search_entries(query, page, published_for=project_id) if query else \
            await selectors.list_entries(page, published_for=project_id)
        return render(request, "knowledge/public.html", project=project, items=result["items"], q=query,
                      highlight=highlight, params={"q": query} if query else {},
                      page={"limit": result["limit"], "offset": result["offset"], "total": result["total"]})


PUBLIC_ANSWER_PAGES = [PublicAnswersPage]
