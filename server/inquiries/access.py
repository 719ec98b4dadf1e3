"""Who may see and record inquiries: CS staff and administrators (the CS
center's work); a contact sheet also its department's users; an owner reads
only the inquiries asked under their own account. Others are refused by the
guards (403); a missing inquiry, or another owner's, is 404."""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.inquiries.tables import ContactSheet, Inquiry

CS = (roles.CS_STAFF, roles.ADMIN)


def owned_by(user: Any) -> Any:
    """The inquiries an owner may read: theirs only."""
    return Inquiry.owner == user.id


async def inquiry_for(inquiry_id: int, user: Any = None) -> Inquiry:
    """The inquiry; for an owner (`user`) only their own (another owner's is 404, as if it did not exist)."""
    inquiry = await Inquiry.objects().get(Inquiry.id == inquiry_id).run()
    if inquiry is None or (getattr(user, "role", None) == roles.OWNER and inquiry.owner != user.id):
        raise NotFound(_("The page or record was not found."))
    return inquiry


async def sheet_for(user: Any, sheet_id: int) -> ContactSheet:
    """A contact sheet the user may see: CS and administrators any, a department's users their party's (404)."""
    sheet = await ContactSheet.objects().get(ContactSheet.id == sheet_id).run()
    if sheet is None or (user.role not in CS and (not user.party or sheet.party != user.party)):
        raise NotFound(_("The page or record was not found."))
    return sheet
