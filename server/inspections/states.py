"""The inspection and defect state machines, as data, checked in one place.

A transition not in the table is a Conflict (HTTP 409) and changes nothing.
Every allowed transition is written to the audit trail by the service that
makes it.
"""
from __future__ import annotations

from server.errors import Conflict
from server.i18n import _
from server.i18n import lazy_gettext as _l

# Inspection: planned -> in_progress -> rectifying -> passed (or straight to passed)
INSPECTION_TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {"planned": "in_progress"},
    "complete_with_defects": {"in_progress": "rectifying"},
    "complete_clean": {"in_progress": "passed"},
    "all_closed": {"rectifying": "passed"},
    "cancel": {"planned": "cancelled"},
}

# Defect: open -> rectified -> closed; a failed recheck sends it back to open.
DEFECT_TRANSITIONS: dict[str, dict[str, str]] = {
    "rectify": {"open": "rectified"},
    "recheck_pass": {"rectified": "closed"},
    "recheck_fail": {"rectified": "open"},
}

INSPECTION_STATUS_LABELS = {
    "planned": _l("Planned"),
    "in_progress": _l("Inspecting"),
    "rectifying": _l("Rectifying"),
    "passed": _l("Passed"),
    "cancelled": _l("Cancelled"),
}

DEFECT_STATUS_LABELS = {
    "open": _l("To rectify"),
    "rectified": _l("Awaiting recheck"),
    "closed": _l("Closed"),
}

SEVERITIES = ("minor", "major", "urgent")
SEVERITY_LABELS = {"minor": _l("Minor"), "major": _l("Major"), "urgent": _l("Urgent")}


def next_state(table: dict[str, dict[str, str]], action: str, current: str) -> str:
    """The state after `action` from `current`, or Conflict."""
    target = table.get(action, {}).get(current)
    if target is None:
        raise Conflict(_("This cannot be done in the record's current state."))
    return target
