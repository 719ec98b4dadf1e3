"""API shapes for repairs (they appear in the OpenAPI schema)."""
from __future__ import annotations

from typing import Optional

import msgspec

from server.photos.schemas import PhotoOut


class PeriodOut(msgspec.Struct):
    count: int
    unit: str
    """years | seasons"""


class WarrantyOut(msgspec.Struct):
    in_warranty: Optional[bool]
    """Null when the home had not been delivered to its owner on the report day."""
    starts_on: Optional[str]
    """The delivery day (YYYY-MM-DD); the period runs from the next day (Civil Code Art. 201)."""
    ends_on: Optional[str]
    """The last day in warranty for this component."""
    who_pays: Optional[str]
    """contractor | owner | null; assumes a construction defect until triage says otherwise."""
    component: str
    period: PeriodOut
    reasoning: str
    """In the caller's language: component, delivery day, period, last day, and so who pays."""


class RepairOut(msgspec.Struct):
    id: int
    client_id: Optional[str]
    unit_id: int
    status: str
    """reported | triaged | surveying | planned | assigned | in_repair | completed | signed_off | visited |
    closed | reopened"""
    status_label: str
    component: str
    """structure | waterproofing | heating | cooling | pipes_electrical | decoration (domain/rules.md)"""
    component_label: str
    location: str
    description: str
    reported_on: str
    reported_by_id: Optional[int]
    channel: str
    """owner_app | phone | walk_in | paper"""
    preferred_times: str
    urgency: Optional[str]
    """emergency | normal | scheduled, once triaged."""
    survey_needed: Optional[bool]
    created_at: str
    photos: list[PhotoOut]
    warranty: WarrantyOut
    overdue: Optional[str] = None
    """The SLA stage this repair is late for (response | on_site | done: project's hours per urgency), else null."""


class RepairPage(msgspec.Struct):
    items: list[RepairOut]
    total: int
    limit: int
    offset: int
    total_is_lower_bound: bool = False
    """True when the matches were counted only up to `total` (10,000): there are more."""


class TriageIn(msgspec.Struct):
    component: str = ""
    urgency: str = ""
    """emergency | normal | scheduled"""
    survey_needed: Optional[bool] = None


class DeliveredIn(msgspec.Struct):
    delivered_on: str = ""
    """YYYY-MM-DD, not in the future."""


class DeliveredOut(msgspec.Struct):
    id: int
    unit_id: int
    delivered_on: str


class RepairSettingsIO(msgspec.Struct, omit_defaults=True):
    """Every field optional on PUT (the ones not sent keep their value)."""

    structure_years: Optional[int] = None
    """The design service life of the project's buildings (default 50)."""
    waterproofing_years: Optional[int] = None
    pipes_electrical_years: Optional[int] = None
    decoration_years: Optional[int] = None
    heating_seasons: Optional[int] = None
    cooling_seasons: Optional[int] = None
    heating_start: Optional[str] = None
    """MM-DD"""
    heating_end: Optional[str] = None
    cooling_start: Optional[str] = None
    cooling_end: Optional[str] = None
    return_visit_days: Optional[int] = None
    emergency_response_hours: Optional[str] = None
    """SLA hours (decimal strings, more than 0): {emergency,normal,scheduled}_{response,on_site,done}_hours, the
    hours from the request to the first response (triage), to being on site (work started), to done."""
    emergency_on_site_hours: Optional[str] = None
    emergency_done_hours: Optional[str] = None
    normal_response_hours: Optional[str] = None
    normal_on_site_hours: Optional[str] = None
    normal_done_hours: Optional[str] = None
    scheduled_response_hours: Optional[str] = None
    scheduled_on_site_hours: Optional[str] = None
    scheduled_done_hours: Optional[str] = None


class ImportOut(msgspec.Struct):
    imported: int
    accounts_made: int


def repair(out: dict) -> RepairOut:
    return msgspec.convert(out, RepairOut)
