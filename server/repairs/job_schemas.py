"""API shapes of a repair job (survey, plan, dispatch, checks); they appear in the OpenAPI schema."""
from __future__ import annotations

from typing import Optional

import msgspec

from server.photos.schemas import PhotoOut


class SurveyOut(msgspec.Struct):
    id: int
    findings: str
    created_at: str
    by_name: str


class PlanDocumentOut(msgspec.Struct):
    id: int
    filename: str
    media_type: str
    """Found from the file's bytes when it was uploaded (PDF, Office, JPEG, PNG, WebP, HEIC)."""
    byte_size: int
    url: str
    """GET it (signed in, seeing the repair) to download."""


class PlanOut(msgspec.Struct):
    id: int
    text: str
    created_at: str
    by_name: str
    decision: Optional[str]
    """null (waiting for the CS center) | approved | returned"""
    reason: str
    """Why it was sent back."""
    decided_at: Optional[str]
    decided_by_name: str
    documents: list[PlanDocumentOut]


class AssignmentOut(msgspec.Struct):
    id: int
    party_id: int
    party_name: str
    suggested: bool
    """True when the unit chosen is the construction unit of that trade in that building."""
    visit_at: Optional[str]
    """The visit time agreed with the owner (ISO 8601, China time)."""
    visit_note: str
    created_at: str


class CheckOut(msgspec.Struct):
    id: int
    aspect: str
    """materials | quality | safety"""
    aspect_label: str
    result: str
    """ok | not_ok"""
    result_label: str
    note: str
    created_at: str
    by_name: str
    photos: list[PhotoOut]


class JobOut(msgspec.Struct):
    repair_id: int
    status: str
    status_label: str
    surveys: list[SurveyOut]
    """Their photos are the repair's photos of stage `survey` (`GET /repairs/{id}`)."""
    plans: list[PlanOut]
    """Oldest first; the last one is the plan in force."""
    assignment: Optional[AssignmentOut]
    checks: list[CheckOut]


class PlanDecisionIn(msgspec.Struct):
    decision: str = ""
    """approve | return"""
    reason: str = ""
    """Required to send a plan back."""


class AssignIn(msgspec.Struct):
    party_id: Optional[int] = None
    """A party of kind repair_unit or construction_unit (`GET /repairs/{id}/dispatch-choices`)."""
    visit_at: str = ""
    """Optional: the visit time agreed with the owner, YYYY-MM-DDTHH:MM China time."""
    visit_note: str = ""
    client_id: str = ""
    """Optional UUID; a repeat answers the first dispatch."""


class VisitIn(msgspec.Struct):
    visit_at: str = ""
    """YYYY-MM-DDTHH:MM China time."""
    visit_note: str = ""


class UnitChoiceOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    """repair_unit | construction_unit"""


class DispatchChoicesOut(msgspec.Struct):
    suggested_party_id: Optional[int]
    """The construction unit that answers for the component's trade in the repair's building, if one is set."""
    items: list[UnitChoiceOut]


def job(repair_id: int, status: str, status_label: str, view: dict) -> JobOut:
    return msgspec.convert({"repair_id": repair_id, "status": status, "status_label": status_label, **view}, JobOut)
