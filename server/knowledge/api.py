"""JSON API of the knowledge base: API.md "Knowledge base and statistics (fixed part)" and what follows from it."""
from __future__ import annotations

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.knowledge import access, selectors, services
from server.pagination import Page
from server.web.guards import allow, current_user

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


async def _full(entry_id: int) -> dict:
    entry = await access.entry_for(entry_id)
    return {**selectors.entry_out(entry), "versions": await selectors.versions(entry_id)}


class KnowledgeApi(Controller):
    path = "/api/v1/knowledge"
    tags = ["Knowledge base"]

    @post("/", guards=[allow(*access.WRITERS)], status_code=201)
    async def create(self, request: Request, data: dict) -> dict:
        """{"question", "answer", "category"?, "tags"? (space-separated)} → 201 the entry, version 1.
        400 with a message per field when the question or answer is missing or too long."""
        entry = await services.entry_create(actor=current_user(request), fields=data)
        return await _full(entry.id)

    @get("/", guards=[allow(*access.READERS)])
    async def search(self, q: str | None = None, retired: bool = False, limit: int | None = Limit,
                     offset: int | None = Offset) -> dict:
        """With `q`: the entries whose question or answer matches, best match first ({"items", "total",
        "limit", "offset"}; each item has `score` [phrase 2 question / 1 answer / 0, query tokens matched,
        weight]). Chinese is matched without word breaks by character bigrams (`漏水` finds
        `卫生间漏水怎么办`), the same on SQLite and PostgreSQL; retired entries never match. Without `q`:
        entries newest first, the active ones, or with `retired=true` the retired ones."""
        page = Page.of(limit, offset)
        if q and q.strip():
            return await selectors.search_entries(q, page)
        return await selectors.list_entries(page, retired=retired)

    @get("/{entry_id:int}", guards=[allow(*access.READERS)])
    async def get_one(self, entry_id: int) -> dict:
        """One entry with `versions`, newest first: who wrote each version and when."""
        return await _full(entry_id)

    @put("/{entry_id:int}", guards=[allow(*access.WRITERS)])
    async def edit(self, request: Request, entry_id: int, data: dict) -> dict:
        """{"question", "answer", "category"?, "tags"?, "version"? (the version you read)}: a new version.
        409 when `version` is no longer the current one; an edit that changes nothing adds no version."""
        entry = await access.entry_for(entry_id)
        await services.entry_edit(actor=current_user(request), entry=entry, fields=data)
        return await _full(entry_id)

    @post("/{entry_id:int}/retire", guards=[allow(*access.WRITERS)], status_code=200)
    async def retire(self, request: Request, entry_id: int) -> dict:
        """The entry leaves search and suggestions (kept with its history). 409 if already retired."""
        entry = await access.entry_for(entry_id)
        await services.entry_retire(actor=current_user(request), entry=entry, retired=True)
        return await _full(entry_id)

    @post("/{entry_id:int}/unretire", guards=[allow(*access.WRITERS)], status_code=200)
    async def unretire(self, request: Request, entry_id: int) -> dict:
        """A retired entry comes back into search. 409 if it is not retired."""
        entry = await access.entry_for(entry_id)
        await services.entry_retire(actor=current_user(request), entry=entry, retired=False)
        return await _full(entry_id)
