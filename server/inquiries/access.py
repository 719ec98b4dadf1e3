"""Who may see and record inquiries: CS staff and administrators (the CS
center's work); a contact sheet also its department's users. Others are refused by the guards (403); a missing inquiry is 404.
Owners asking from their own pages is not built yet."""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.inquiries.tables import ContactSheet, Inquiry

CS = (roles.CS_STAFF, roles.ADMIN)


async def inquiry_for(inquiry_id: int) -> Inquiry:
    inquiry = await Inquiry.objects().get(Inquiry.id == inquiry_id).run()
    if inquiry is None:
        raise NotFound(_("The page or record was not found."))
    return inquiry


async def sheet_for(user: Any, sheet_id: int) -> ContactSheet:
    """A contact sheet the user may see: CS and administrators any, a department's users their party's (404)."""
    sheet = await ContactSheet.objects().get(ContactSheet.id == sheet_id).run()
    if sheet is None or (user.role not in CS and (not user.party or sheet.party != user.party)):
        raise NotFound(_("The page or record was not found."))
    return sheet
