"""JSON API of customer inquiries (regulation 5): recording and answering."""
from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from server.inquiries import access, selectors, services
from server.pagination import Page
from server.web.guards import allow, current_user

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


class InquiriesApi(Controller):
    path = "/api/v1/inquiries"
    tags = ["Inquiries"]
    guards = [allow(*access.CS)]

    @post("/", status_code=201)
    async def record(self, request: Request, data: dict) -> dict:
        """{"owner_id"? or "asker_name" + "asker_phone" (an owner account with that phone is linked),
        "unit_id"?, "channel" (phone | walk_in | online | wechat), "category"?, "question", "answer"?,
        "knowledge_entry_id"?} → 201. With an answer or an entry (its answer is used when none is typed) the
        inquiry is recorded answered, linked to the entry; otherwise open. A retired entry is 400."""
        inquiry = await services.inquiry_record(actor=current_user(request), fields=data)
        return selectors.inquiry_out(inquiry)

    @get("/")
    async def list_all(self, status: str | None = None, limit: int | None = Limit,
                       offset: int | None = Offset) -> dict:
        """Inquiries newest first, optionally by `status` (open | answered): {items, total, limit, offset}."""
        return await selectors.list_inquiries(Page.of(limit, offset), status=status)

    @get("/{inquiry_id:int}")
    async def get_one(self, inquiry_id: int) -> dict:
        return await selectors.inquiry_one(await access.inquiry_for(inquiry_id))

    @post("/{inquiry_id:int}/answer", status_code=200)
    async def answer(self, request: Request, inquiry_id: int, data: dict) -> dict:
        """{"answer"?, "knowledge_entry_id"?}: answer an open inquiry; 409 once it is answered."""
        inquiry = await access.inquiry_for(inquiry_id)
        await services.inquiry_answer(actor=current_user(request), inquiry=inquiry, answer=data.get("answer"),
                                      knowledge_entry_id=data.get("knowledge_entry_id"))
        return selectors.inquiry_out(inquiry)
