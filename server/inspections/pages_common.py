"""What the inspection pages share: status chips, the timeline in words, small readers.

Labels here are presentation only (a word and a colour per state); the states
themselves and what may follow what live in `states.py` and the services.
"""
from __future__ import annotations

import datetime as dt
import json

from server.accounts.tables import User
from server.clock import CHINA, local_time
from server.i18n import _
from server.i18n import lazy_gettext as _l
from server.inspections.default_checklist import CATEGORIES
from server.inspections.states import DEFECT_STATUS_LABELS, INSPECTION_STATUS_LABELS, SEVERITY_LABELS
from server.org.pages_unit_tiles import UNIT_STATUS
from server.org.tables import Building, Party, Project, Unit
from server.photos.tables import PhotoStatus

"""Times are stored in UTC and shown in China Standard Time, where the sites are."""

# A colour per state; the word comes from states.py. Never colour alone.
INSPECTION_COLOURS = {"planned": "grey", "in_progress": "blue", "rectifying": "orange", "passed": "green",
                      "cancelled": "grey"}
DEFECT_COLOURS = {"open": "orange", "rectified": "blue", "closed": "green"}
SEVERITY_COLOURS = {"minor": "grey", "major": "orange", "urgent": "red"}

ATTENDEE_KIND_LABELS = {
    "project_department": _l("Project department"),
    "supervision_unit": _l("Supervision unit"),
    "construction_unit": _l("Construction unit"),
}
# Which kind of party may stand for which kind of attendee (offered in the form's select).
ATTENDEE_PARTY_KINDS = {"project_department": "department", "supervision_unit": "supervision_unit",
                        "construction_unit": "construction_unit"}

PHOTO_STAGE_LABELS = {"found": _l("Before"), "rectified": _l("After rectification"), "recheck": _l("Recheck")}
WAITING = (PhotoStatus.PENDING, PhotoStatus.PROCESSING)

# The audit trail in words: (object type, action) -> what happened.
ACTION_LABELS = {
    ("inspection", "create"): _l("Inspection planned"),
    ("inspection", "start"): _l("Inspection started"),
    ("inspection", "attendee_add"): _l("Attendee recorded"),
    ("inspection", "item_na"): _l("Checklist item marked not applicable"),
    ("inspection", "room_ok"): _l("Whole room marked OK"),
    ("inspection", "room_ok_undo"): _l("Whole room OK undone"),
    ("inspection", "complete_override"): _l("Finished with unchecked items"),
    ("inspection", "complete_with_defects"): _l("Inspection finished with defects to rectify"),
    ("inspection", "complete_clean"): _l("Inspection finished: passed"),
    ("inspection", "all_closed"): _l("All defects closed: inspection passed"),
    ("inspection", "cancel"): _l("Inspection cancelled"),
    ("defect", "create"): _l("Defect recorded"),
    ("defect", "rectify"): _l("Reported as rectified"),
    ("defect", "check"): _l("Checked during rectification"),
    ("defect", "recheck_pass"): _l("Recheck passed: closed"),
    ("defect", "recheck_fail"): _l("Recheck failed: reopened"),
    ("defect", "overdue"): _l("Rectification overdue"),
    ("rectification_notice", "create"): _l("Rectification notice issued"),
    ("rectification_notice", "overdue_escalated"): _l("Overdue notice escalated"),
    ("unit", "status"): _l("Unit status changed"),
    ("unit", "key_handover"): _l("Keys handed over"),
    ("unit", "owner_add"): _l("Owner linked"),
    ("unit", "create"): _l("Unit created"),
    ("unit", "update"): _l("Unit changed"),
}
OBJECT_LABELS = {"inspection": _l("Inspection"), "defect": _l("Defect"),
                 "rectification_notice": _l("Rectification notice"), "unit": _l("Unit")}


def chip_of(labels: dict, colours: dict, state: str | None) -> tuple[str, str]:
    """(word, colour) for a state, falling back to the raw code in grey."""
    return (str(labels.get(state, state or "")), colours.get(state, "grey"))


def inspection_chip(status: str) -> tuple[str, str]:
    return chip_of(INSPECTION_STATUS_LABELS, INSPECTION_COLOURS, status)


def defect_chip(status: str) -> tuple[str, str]:
    return chip_of(DEFECT_STATUS_LABELS, DEFECT_COLOURS, status)


def severity_chip(severity: str) -> tuple[str, str]:
    return chip_of(SEVERITY_LABELS, SEVERITY_COLOURS, severity)


def local_day(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA).date().isoformat() if value else ""


def category_label(code: str) -> str:
    return str(CATEGORIES.get(code, code))


def _state_word(object_type: str, state: str | None) -> str:
    labels = {"inspection": INSPECTION_STATUS_LABELS, "defect": DEFECT_STATUS_LABELS,
              "unit": {k: v[0] for k, v in UNIT_STATUS.items()}}.get(object_type, {})
    return str(labels.get(state, state or ""))


def timeline_rows(entries: list[dict]) -> list[dict]:
    """Audit entries as lines a person reads: who, what, when (and from -> to)."""
    rows = []
    for entry in entries:
        kind, action = entry["object_type"], entry["action"]
        label = ACTION_LABELS.get((kind, action))
        what = str(label) if label else f"{OBJECT_LABELS.get(kind, kind)} · {action}"
        change = ""
        if entry.get("from_state") or entry.get("to_state"):
            change = " → ".join(w for w in (_state_word(kind, entry.get("from_state")),
                                             _state_word(kind, entry.get("to_state"))) if w)
        details = entry.get("details") or {}
        if isinstance(details, str):  # a JSON column comes back as text on some engines
            try:
                details = json.loads(details)
            except ValueError:
                details = {}
        shown = details.get("person") or details.get("room") or details.get("reason") \
            if isinstance(details, dict) else None
        if shown:
            what = f"{what}: {shown}"
        rows.append({"who": entry.get("actor_name") or _("System"), "what": what, "change": change,
                     "at": entry["at"], "at_text": local_time(entry["at"])})
    return rows


def overdue_days(deadline: dt.datetime | None, overdue: bool, now: dt.datetime | None = None) -> int:
    """Whole days past the deadline, at least 1 once overdue (for "逾期 N 天")."""
    if not overdue or deadline is None:
        return 0
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(1, (now - deadline).days)


async def party_names(ids: list[int]) -> dict[int, str]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in await Party.select(Party.id, Party.name).where(Party.id.is_in(ids)).run()}


async def inspector_choices(limit: int = 500) -> list[tuple[int, str]]:
    """People who may be given an inspection (the service accepts these roles)."""
    rows = await User.select(User.id, User.username, User.display_name).where(
        User.role.is_in(["inspector", "cs_staff"]) & (User.is_active == True)  # noqa: E712 - a SQL expression
    ).order_by(User.display_name).order_by(User.username).limit(limit).run()
    return [(r["id"], r["display_name"] or r["username"]) for r in rows]


async def buildings_of(project_id: int, limit: int = 500) -> list[tuple[int, str]]:
    rows = await Building.select(Building.id, Building.name).where(Building.project == project_id).order_by(
        Building.name).limit(limit).run()
    return [(r["id"], r["name"]) for r in rows]


async def project_choices(limit: int = 500) -> list[tuple[int, str]]:
    rows = await Project.select(Project.id, Project.name).order_by(Project.id, ascending=False).limit(limit).run()
    return [(r["id"], r["name"]) for r in rows]
