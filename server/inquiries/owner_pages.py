"""An owner asks customer service from their own pages (channel online) and
reads the answers there: /owner/inquiries lists only their own inquiries (the
late ones in red, as on the staff lists), /owner/inquiries/{id} shows one of
them (another owner's is 404)."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.clock import local_time
from server.errors import Invalid
from server.i18n import _
from server.inquiries import access, selectors, services
from server.org.pages import Form, done, page_of, typed
from server.web.guards import allow, current_user
from server.web.templating import render


async def _page(request: Request, *, form: dict, errors: dict, message: str | None, limit: Any = None,
                offset: Any = None, status_code: int = 200) -> Response:
    found = await selectors.list_inquiries(page_of(limit, offset), where=access.owned_by(current_user(request)))
    return render(request, "inquiries/owner.html", status_code=status_code, form=form, errors=errors,
                  message=message, items=[selectors.for_owner(i) for i in found["items"]], back="/owner",
                  page={k: found[k] for k in ("limit", "offset", "total", "total_is_lower_bound")})


class OwnerInquiryPages(Controller):
    path = "/owner/inquiries"
    guards = [allow(roles.OWNER)]

    @get("/")
    async def mine(self, request: Request, limit: Any = None, offset: Any = None) -> Response:
        return await _page(request, form={}, errors={}, message=None, limit=limit, offset=offset)

    @get("/{inquiry_id:int}")
    async def one(self, request: Request, inquiry_id: int) -> Response:
        inquiry = await access.inquiry_for(inquiry_id, current_user(request))
        return render(request, "inquiries/owner_detail.html", inquiry=selectors.for_owner(
            await selectors.inquiry_one(inquiry)), asked=local_time(inquiry.created_at),
                      answered=local_time(inquiry.answered_at), back="/owner/inquiries")

    @post("/")
    async def ask(self, request: Request, data: Form) -> Response:
        user = current_user(request)
        try:
            await services.inquiry_record(actor=user, fields={
                "owner_id": user.id, "channel": "online", "question": data.get("question")})
        except Invalid as exc:
            return await _page(request, form=typed(data), errors=exc.field_errors, message=exc.message,
                               status_code=exc.status_code)
        return done(request, "/owner/inquiries", _("Your question has been sent to customer service."))


OWNER_INQUIRY_PAGES = [OwnerInquiryPages]
