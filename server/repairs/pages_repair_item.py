"""A repair request as a row of a repair list (staff, the repair unit's jobs, the owner's, the return-visit
call list), drawn in Python.

Where the home is, what broke, the description cut at 60 characters, the day it was reported and whether
the warranty covers it; the overdue and status chips at the end. As a Jinja macro a row cost ~90 µs (eight
translated or escaped values, the truncate filter, two chips): 1.8 ms of a 20-row list at the scale of a
large developer (bench/inspections.md). The HTML is the same but whitespace. The list pages give it to their
templates as `repair_item` (pages.repair_page, closing_pages' call list).
"""
from __future__ import annotations

from typing import Any

from jinja2 import pass_environment
from jinja2.environment import Environment
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from server.i18n import gettext
from server.web.snippets import chip

STATUS_COLOURS = {"closed": "green", "reported": "orange", "reopened": "orange"}
"""A status chip's colour; any other status (on its way) is blue."""


@pass_environment
def repair_item(environment: Environment, r: dict, places: dict, extra: Any = "") -> Markup:
    """One repair (`repairs_listed`'s shape) as a cell's body and foot; `places` names its home, `extra` is a
    line more (the call list's "call from …")."""
    place = places.get(r["unit_id"], {})
    in_warranty = r["warranty"]["in_warranty"]
    cover = gettext("Not delivered yet") if in_warranty is None else (
        gettext("In warranty") if in_warranty else gettext("Out of warranty"))
    reported = gettext("Reported on %(day)s", day=r["reported_on"])
    overdue = r["overdue"]
    what = escape(r["component_label"]) + (Markup(" · ") + r["location"] if r["location"] else "")
    chips = (chip(gettext("Overdue"), "red") + " " if overdue else "") + chip(
        r["status_label"], STATUS_COLOURS.get(r["status"], "blue"))
    more = f'\n  <span class="cell-sub num">{escape(extra)}</span>' if extra else ""
    return Markup(
        f'<div class="weui-cell__bd{" repair_overdue" if overdue else ""}">\n'
        f'  <span class="num">{escape(place.get("building", ""))} {escape(place.get("number", ""))}</span> · {what}\n'
        f'  <span class="cell-sub">{escape(do_truncate(environment, r["description"], 60))}</span>\n'
        f'  <span class="cell-sub num">{escape(reported)}\n    · {escape(cover)}</span>{more}\n'
        f'</div>\n'
        f'<div class="weui-cell__ft">{chips}</div>')
