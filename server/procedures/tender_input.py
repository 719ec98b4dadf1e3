"""Reading a tender form's fields (server/procedures/tender.py, tender_notice.py): each helper adds a
Chinese message per bad field to `errors`; the caller raises them together as one 400."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.clock import today
from server.errors import Invalid
from server.i18n import _


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def invalid(errors: dict[str, str]) -> Invalid:
    return Invalid(_("Please correct the marked fields."), field_errors=errors)


def text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def required(fields: dict, errors: dict, name: str, limit: int) -> str:
    value = text(fields.get(name))
    if not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(n)s characters.", n=limit)
    return value


def date_of(fields: dict, errors: dict, name: str, *, not_after_today: bool = False) -> dt.date | None:
    value = fields.get(name)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            errors[name] = _("Enter a date like 2026-12-31.")
            return None
    if not isinstance(value, dt.date):
        errors[name] = _("Enter a date like 2026-12-31.")
        return None
    if not_after_today and value > today():
        errors[name] = _("This date is in the future.")
    return value


def actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)

