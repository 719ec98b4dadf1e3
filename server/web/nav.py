"""The navigation each role sees: a bottom tab bar on phones, a side menu on desktop.

One list, read top to bottom. `icon` names a Lucide SVG under
static/vendor/lucide/ (copied there by scripts/vendor.sh: add new names to its
ICONS list). `roles` is None for "everyone signed in". The home page shows
the same entries (except Home and Me) as big tiles, so a new module becomes
reachable from both places by adding one line here.

The phone tab bar has room for five: entries with `tab=False` show only in
the desktop side menu and as home-page tiles, so keep each role's `tab=True`
entries (Home and Me included) to five or fewer — a test checks it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from server.accounts import roles
from server.i18n import current_locale
from server.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation: rendered in the request's language
    url: str
    icon: str
    roles: frozenset[str] | None = None
    hint: Any = ""  # one line under the tile on the home page
    also: tuple[str, ...] = ()  # other path prefixes where this entry shows as current
    tab: bool = True  # in the phone tab bar (else desktop menu and home tiles only)


CS = frozenset({roles.CS_STAFF, roles.INSPECTOR})

NAV_ITEMS = [
    NavItem(_l("Home"), "/", "house"),
    NavItem(_l("Today's inspections"), "/inspections", "clipboard-check", CS,
            _l("Units to inspect, room by room")),
    NavItem(_l("To recheck"), "/rechecks", "circle-check", CS, _l("Rectified defects waiting for the CS center")),
    NavItem(_l("Key handover"), "/handover", "key-round", roles.HANDOVER,
            _l("Keys from the construction unit, signed on screen"),
            tab=False),
    NavItem(_l("Inspection plans"), "/inspection-plans", "list-checks", frozenset({roles.CS_STAFF, roles.ADMIN}),
            _l("Which units, which day, planned against done"), tab=False),
    NavItem(_l("Rectification tasks"), "/tasks", "wrench", frozenset({roles.CONTRACTOR}),
            _l("Your unit's defects to rectify, overdue first")),
    NavItem(_l("To check"), "/checks", "clipboard-check", frozenset({roles.SUPERVISOR, roles.PROJECT_STAFF}),
            _l("Check rectification work on site")),
    NavItem(_l("To publish"), "/delivery/announcements", "megaphone", frozenset({roles.PR}),
            _l("Approved delivery announcements to publish")),
    NavItem(_l("Procedures"), "/procedures", "list-checks",
            frozenset({roles.CS_STAFF, roles.ADMIN, roles.PROJECT_STAFF, roles.SALES, roles.PROPERTY, roles.PR}),
            _l("Delivery preparation and tender steps, documents, approvals"), tab=False),
    NavItem(_l("Projects"), "/admin/projects", "building-2", frozenset({roles.ADMIN}),
            _l("Projects, buildings, units and unit types"), ("/admin/buildings", "/admin/units")),
    NavItem(_l("Parties"), "/admin/parties", "briefcase", frozenset({roles.ADMIN}),
            _l("Departments, construction, supervision and repair units")),
    NavItem(_l("Users"), "/admin/users", "users", frozenset({roles.ADMIN}),
            _l("Accounts, roles and passwords"), tab=False),
    NavItem(_l("Checklists"), "/admin/checklists", "list-checks", frozenset({roles.ADMIN}),
            _l("Inspection checklists per project and unit type"), tab=False),
    NavItem(_l("Home delivery"), "/delivery", "calendar-check", frozenset(roles.STAFF) - {roles.SUPERVISOR},
            _l("Delivery batches, owners' bookings and delivery day"), tab=False),
    NavItem(_l("Dashboards"), "/dashboards", "table",
            frozenset({roles.ADMIN, roles.CS_STAFF, roles.PROJECT_STAFF, roles.QUALITY_CENTER}),
            _l("First-time pass rate, open and overdue defects, rectification times, by project"), tab=False),
    NavItem(_l("Repairs"), "/repairs", "wrench", frozenset({roles.CS_STAFF, roles.ADMIN, roles.QUALITY_CENTER}),
            _l("Owners' repair requests, by status and project"), tab=False),
    NavItem(_l("Return visits"), "/repairs/visits", "message-circle", frozenset({roles.CS_STAFF, roles.ADMIN}),
            _l("Signed-off repairs to call back"), tab=False),
    NavItem(_l("Repair jobs"), "/repairs/jobs", "wrench", frozenset({roles.CONTRACTOR}),
            _l("Owners' repairs given to your unit")),
    NavItem(_l("Inquiries"), "/inquiries", "message-circle", frozenset({roles.CS_STAFF, roles.ADMIN}),
            _l("Customers' questions and the answers given"), tab=False),
    NavItem(_l("Contact sheets"), "/sheets", "list-checks", frozenset(roles.STAFF),
            _l("Work contact sheets for your department to reply to"), tab=False),
    NavItem(_l("Import a phone's records"), "/offline/import", "clock", frozenset({roles.CS_STAFF, roles.ADMIN}),
            _l("Records a phone could not sync, exported to a file"), tab=False),
    NavItem(_l("Knowledge base"), "/knowledge", "info", frozenset(roles.STAFF),
            _l("Questions and answers for customers' inquiries"), tab=False),
    NavItem(_l("My home"), "/owner", "door-open", frozenset({roles.OWNER}),
            _l("Delivery time, area settlement and your records")),
    NavItem(_l("Messages"), "/inbox", "message-circle", None, _l("Notices and reminders for you")),
    NavItem(_l("Me"), "/account", "user"),
]

# Entries that are navigation chrome rather than work to do.
_NOT_ON_HOME = {"/", "/account"}


def nav_for(user: Any | None, counts: dict[str, int] | None = None, current_path: str = "") -> list[dict]:
    """The entries this user sees, each `on` when `current_path` is its page or under it (or under one
    of its `also` prefixes; Home only on "/" itself); `count` is how many things wait there for the
    user (see load_nav_counts), and `more` whether the count stopped at its bound (the badge then
    shows "99+"). Worked out here, not in base.html: every page draws the bar, and Jinja's loop over
    each entry's prefixes cost more than the rest of it."""
    from server.notifications.waiting import BADGE_BOUND

    if user is None:
        return []
    counts = counts or {}
    entries = []
    for item, fixed, current in _entries_of(user.role, current_locale.get()):
        on = current_path == "/" if current is None else current.match(current_path) is not None
        count = counts.get(item.url, 0)
        entries.append({**fixed, "on": on, "count": count, "more": count > BADGE_BOUND})
    return entries


@lru_cache(maxsize=256)
def _entries_of(role: str, locale: str) -> tuple[tuple[NavItem, dict, re.Pattern | None], ...]:
    """A role's entries in a language, what does not change from page to page worked out once: each
    entry's words (`locale` is the current one, which `str` of a lazy translation reads) and what
    paths it is the current one on (`_current_on`)."""
    return tuple(
        (item, {"label": str(item.label), "url": item.url, "icon": item.icon, "hint": item.hint,
                "on_home": item.url not in _NOT_ON_HOME, "tab": item.tab}, _current_on(item))
        for item in _items_of(role))


@lru_cache(maxsize=64)
def _items_of(role: str) -> tuple[NavItem, ...]:
    """The entries `role` sees (`roles` None: everyone signed in)."""
    return tuple(item for item in NAV_ITEMS if item.roles is None or role in item.roles)


def _current_on(item: NavItem) -> re.Pattern | None:
    """Matches the paths where `item` is the current entry: its page or a path under it, or under one of
    its `also` prefixes (one compiled match a page, where testing each prefix in Python cost a twentieth
    of the building page's time). None for Home, which is current on "/" alone."""
    if item.url == "/":
        return None
    return re.compile("(?:" + "|".join(re.escape(prefix) for prefix in (item.url, *item.also)) + r")(?:/|\Z)")


NAV_COUNTS = "nav_counts"
"""Where load_nav_counts leaves the counts in the request's scope, for `render`."""


async def load_nav_counts(request: Any) -> None:
    """Before a page is rendered (a browser's GET asking for HTML): count what
    waits for the signed-in person, one query per counted entry of their navigation."""
    from server.notifications.waiting import waiting_for

    user = request.scope.get("user")
    headers = request.headers
    if user is None or request.method != "GET" or "text/html" not in headers.get("accept", ""):
        return  # an API call, a photo, a script's fetch: no tab bar to fill
    if headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true":
        return  # htmx swaps a part of the page, not the tab bar
    request.scope[NAV_COUNTS] = await waiting_for(user, nav_urls_of(user.role))


@lru_cache(maxsize=64)
def nav_urls_of(role: str) -> tuple[str, ...]:
    """The URLs of a role's entries (the same on every page it opens)."""
    return tuple(item.url for item in _items_of(role))
