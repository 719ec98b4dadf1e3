"""API shapes for inspection and rectification."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import msgspec

from server.photos.schemas import PhotoOut


class InspectionIn(msgspec.Struct):
    unit_id: int
    inspector_id: Optional[int] = None
    scheduled_for: Optional[dt.date] = None
    plan_id: Optional[int] = None
    client_id: Optional[str] = None


class InspectionOut(msgspec.Struct):
    id: int
    unit_id: int
    status: str
    inspector_id: Optional[int]
    scheduled_for: Optional[dt.date]
    plan_id: Optional[int]
    is_first: bool
    started_at: Optional[dt.datetime]
    completed_at: Optional[dt.datetime]
    passed_at: Optional[dt.datetime]
    client_id: Optional[str]


class AttendeeIn(msgspec.Struct):
    kind: str
    person: str
    party_id: Optional[int] = None


class ItemResultIn(msgspec.Struct):
    result: str
    """ok or na (not applicable: `note` is required and says why)."""
    note: str = ""


class ItemResultOut(msgspec.Struct):
    item_id: int
    result: str
    note: str


class CompleteIn(msgspec.Struct):
    override_reason: Optional[str] = None
    """Finish although checklist items are unchecked (cs_staff, admin): why. Audited."""


class UncheckedItem(msgspec.Struct):
    id: int
    title: str


class UncheckedRoom(msgspec.Struct):
    room_id: int
    room: str
    items: list[UncheckedItem]


class IncompleteChecklist(msgspec.Struct):
    """The answer (409) to finishing an inspection with unchecked items."""
    detail: str
    status_code: int
    unchecked: list[UncheckedRoom]


class RoomOkOut(msgspec.Struct):
    room_id: int
    batch_id: str
    """Give it to the undo to revert exactly these items."""
    item_ids: list[int]


class RoomOkUndoOut(msgspec.Struct):
    room_id: int
    item_ids: list[int]


class DefectOut(msgspec.Struct):
    id: int
    client_id: Optional[str]
    inspection_id: int
    unit_id: int
    room: str
    category: str
    severity: str
    description: str
    construction_unit_id: int
    pin_x: Optional[str]
    pin_y: Optional[str]
    status: str
    reopen_count: int
    notice_id: Optional[int]
    deadline: Optional[dt.datetime]
    overdue: bool
    captured_at: Optional[dt.datetime]
    created_at: dt.datetime
    rectified_at: Optional[dt.datetime]
    closed_at: Optional[dt.datetime]
    photos: list[PhotoOut] = []


class RectifyIn(msgspec.Struct):
    """Mark a defect rectified. At least one after-photo (stage `rectified`, taken since the defect was last
    reopened) is required: upload it first with `POST /api/v1/defects/{id}/photos`, or send it with the note as
    multipart `photos`; without one the answer is 400 naming `photos`."""
    note: str = ""


class CategoryOut(msgspec.Struct):
    """A defect category: `code` is what the API stores and answers; `name_zh` (the Chinese name of
    rules.md) is accepted in its place; `label` is the name in the caller's language."""
    code: str
    name_zh: str
    label: str


class CategoryList(msgspec.Struct):
    items: list[CategoryOut]
    total: int


class FieldErrors(msgspec.Struct):
    """A refused request (400): `detail` says what to do, `errors` names each field with its message."""
    detail: str
    status_code: int
    errors: dict[str, str] = {}


class CheckIn(msgspec.Struct):
    result: str
    note: str = ""
    client_id: Optional[str] = None


class CheckOut(msgspec.Struct):
    id: int
    defect_id: int
    result: str
    note: str
    by_id: Optional[int]
    created_at: dt.datetime


class RecheckIn(msgspec.Struct):
    result: str
    note: str = ""


class PlanIn(msgspec.Struct):
    project_id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


class PlanUnitsIn(msgspec.Struct):
    unit_ids: list[int]
    scheduled_for: dt.date
    inspector_id: Optional[int] = None


def inspection_out(row: Any) -> InspectionOut:
    return InspectionOut(id=row.id, unit_id=row.unit, status=row.status, inspector_id=row.inspector,
                         scheduled_for=row.scheduled_for, plan_id=row.plan, is_first=row.is_first,
                         started_at=row.started_at, completed_at=row.completed_at, passed_at=row.passed_at,
                         client_id=str(row.client_id) if row.client_id else None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def defect_out(row: Any, photos: list[PhotoOut] | None = None) -> DefectOut:
    overdue = row.status == "open" and row.deadline is not None and row.deadline < _now()
    return DefectOut(
        id=row.id, client_id=str(row.client_id) if row.client_id else None, inspection_id=row.inspection,
        unit_id=row.unit, room=row.room, category=row.category, severity=row.severity,
        description=row.description, construction_unit_id=row.construction_unit,
        pin_x=str(row.pin_x) if row.pin_x is not None else None,
        pin_y=str(row.pin_y) if row.pin_y is not None else None, status=row.status,
        reopen_count=row.reopen_count, notice_id=row.notice, deadline=row.deadline, overdue=overdue,
        captured_at=row.captured_at, created_at=row.created_at, rectified_at=row.rectified_at,
        closed_at=row.closed_at, photos=photos or [])


def check_out(row: Any) -> CheckOut:
    return CheckOut(id=row.id, defect_id=row.defect, result=row.result, note=row.note, by_id=row.by,
                    created_at=row.created_at)
