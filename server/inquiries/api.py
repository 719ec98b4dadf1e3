"""JSON API of customer inquiries (regulation 5): recording and answering (CS); reading (CS, and an owner their
own)."""
from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from server.accounts import roles
from server.inquiries import access, selectors, services
from server.inquiries import sheet_schemas as s
from server.pagination import Page
from server.web.guards import allow, current_user

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


class InquiriesApi(Controller):
    path = "/api/v1/inquiries"
    tags = ["Inquiries"]

    @post("/", status_code=201, guards=[allow(*access.CS)])
    async def record(self, request: Request, data: dict) -> dict:
        """{"owner_id"? or "asker_name" + "asker_phone" (an owner account with that phone is linked),
        "unit_id"?, "channel" (phone | walk_in | online | wechat), "category"?, "question", "answer"?,
        "knowledge_entry_id"?} → 201. With an answer or an entry (its answer is used when none is typed) the
        inquiry is recorded answered, linked to the entry; otherwise open. A retired entry is 400."""
        inquiry = await services.inquiry_record(actor=current_user(request), fields=data)
        return selectors.inquiry_out(inquiry)

    @get("/", guards=[allow(*access.CS, roles.OWNER)])
    async def list_all(self, request: Request, status: str | None = None, limit: int | None = Limit,
                       offset: int | None = Offset) -> s.InquiryPage:
        """Inquiries newest first, optionally by `status` (open | answered | escalated | drafted | returned |
        approved | closed): {items, total, limit, offset}; `overdue` marks those past the project's SLA. An owner
        gets only the inquiries asked under their own account, without CS's internal `draft` and
        `return_reason` (empty)."""
        user = current_user(request)
        owner = user.role == roles.OWNER
        found = await selectors.list_inquiries(Page.of(limit, offset), status=status,
                                               where=access.owned_by(user) if owner else None)
        items = [selectors.for_owner(i) if owner else i for i in found["items"]]
        return s.InquiryPage(items=[s.inquiry(i) for i in items], total=found["total"], limit=found["limit"],
                             offset=found["offset"], total_is_lower_bound=found["total_is_lower_bound"])

    @get("/{inquiry_id:int}", guards=[allow(*access.CS, roles.OWNER)])
    async def get_one(self, request: Request, inquiry_id: int) -> s.InquiryOut:
        """One inquiry. An owner reads only their own (another's is 404), without `draft` and `return_reason`."""
        user = current_user(request)
        out = await selectors.inquiry_one(await access.inquiry_for(inquiry_id, user))
        return s.inquiry(selectors.for_owner(out) if user.role == roles.OWNER else out)

    @post("/{inquiry_id:int}/answer", status_code=200, guards=[allow(*access.CS)])
    async def answer(self, request: Request, inquiry_id: int, data: dict) -> dict:
        """{"answer"?, "knowledge_entry_id"?}: answer an open inquiry; 409 once it is answered."""
        inquiry = await access.inquiry_for(inquiry_id)
        await services.inquiry_answer(actor=current_user(request), inquiry=inquiry, answer=data.get("answer"),
                                      knowledge_entry_id=data.get("knowledge_entry_id"))
        return selectors.inquiry_out(inquiry)
