"""The navigation each role sees: bottom tab bar on phones, side menu on desktop."""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.i18n import lazy_gettext as _l

# (label, url, icon name under static/img/icons/, roles that see it)
NAV_ITEMS = [
    (_l("Home"), "/", "home", None),
    (_l("Projects"), "/admin/projects", "building", {roles.ADMIN}),
    (_l("Parties"), "/admin/parties", "briefcase", {roles.ADMIN}),
    (_l("Users"), "/admin/users", "users", {roles.ADMIN}),
    (_l("Me"), "/account", "user", None),
]


def nav_for(user: Any | None) -> list[dict]:
    if user is None:
        return []
    return [
        {"label": label, "url": url, "icon": icon}
        for label, url, icon, allowed in NAV_ITEMS
        if allowed is None or user.role in allowed
    ]
