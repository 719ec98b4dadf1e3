"""An owner asks customer service from their own pages (channel online) and
reads the answers there: /owner/inquiries lists only their own inquiries."""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.errors import Invalid
from server.i18n import _
from server.inquiries import selectors, services
from server.inquiries.tables import Inquiry
from server.org.pages import Form, done, page_of, typed
from server.web.guards import allow, current_user
from server.web.templating import render


async def _page(request: Request, *, form: dict, errors: dict, message: str | None, limit: Any = None,
                offset: Any = None, status_code: int = 200) -> Response:
    user = current_user(request)
    page = page_of(limit, offset)
    condition = Inquiry.owner == user.id
    rows = await Inquiry.select().where(condition).order_by(Inquiry.id, ascending=False).limit(page.limit).offset(
        page.offset).run()
    return render(request, "inquiries/owner.html", status_code=status_code, form=form, errors=errors,
                  message=message, items=[selectors.inquiry_out(r) for r in rows], back="/owner",
                  page={"limit": page.limit, "offset": page.offset, "total": await Inquiry.count().where(
                      condition).run()})


class OwnerInquiryPages(Controller):
    path = "/owner/inquiries"
    guards = [allow(roles.OWNER)]

    @get("/")
    async def mine(self, request: Request, limit: Any = None, offset: Any = None) -> Response:
        return await _page(request, form={}, errors={}, message=None, limit=limit, offset=offset)

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
