"""Who may see and record inquiries: CS staff and administrators (the CS
center's work). Others are refused by the guards (403); a missing inquiry is 404.
Owners asking from their own pages is not built yet."""
from __future__ import annotations

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.inquiries.tables import Inquiry

CS = (roles.CS_STAFF, roles.ADMIN)


async def inquiry_for(inquiry_id: int) -> Inquiry:
    inquiry = await Inquiry.objects().get(Inquiry.id == inquiry_id).run()
    if inquiry is None:
        raise NotFound(_("The page or record was not found."))
    return inquiry
