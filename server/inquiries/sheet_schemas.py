"""API shapes of inquiries' contact sheets and SLA (they appear in the OpenAPI schema). Requests are read as
typed here and checked by the services, so that bad input answers with a Chinese message (400)."""
from __future__ import annotations

from typing import Any, Optional

import msgspec


class InquiryOut(msgspec.Struct):
    id: int
    owner_id: Optional[int]
    asker_name: str
    asker_phone: str
    unit_id: Optional[int]
    project_id: Optional[int]
    channel: str
    channel_label: str
    category: str
    question: str
    status: str
    """open | answered | escalated | drafted | returned | approved | closed"""
    status_label: str
    answer: str
    knowledge_entry_id: Optional[int]
    created_at: str
    answered_at: Optional[str]
    draft: str
    """CS's answer from the departments' replies, awaiting the CS manager's approval."""
    return_reason: str
    approved_at: Optional[str]
    closed_at: Optional[str]
    overdue: Optional[str]
    """response | answer when the project's SLA hours for its category have passed, else null."""


class InquiryPage(msgspec.Struct):
    items: list[InquiryOut]
    total: int
    limit: int
    offset: int
    total_is_lower_bound: bool = False
    """True when the matches were counted only up to `total` (10,000): there are more."""


class SheetOut(msgspec.Struct):
    id: int
    inquiry_id: int
    party_id: int
    party_name: str
    question: str
    request: str
    deadline: str
    status: str
    """waiting | replied"""
    status_label: str
    reply: str
    replied_at: Optional[str]
    created_at: str
    overdue: bool


class SheetPage(msgspec.Struct):
    items: list[SheetOut]
    total: int
    limit: int
    offset: int


class DepartmentIn(msgspec.Struct):
    party_id: Any = None
    """A party of kind department (the sales company is one) or property_company."""
    reply_by: Any = None
    """YYYY-MM-DD, China date, today or later: late from the next day."""


class EscalateIn(msgspec.Struct):
    departments: Any = None
    """[DepartmentIn, …], at least one."""
    request: Any = ""


class EscalateOut(msgspec.Struct):
    inquiry: InquiryOut
    sheets: list[SheetOut]


class ReplyIn(msgspec.Struct):
    reply: Any = None


class DraftIn(msgspec.Struct):
    draft: Any = None


class SendBackIn(msgspec.Struct):
    reason: Any = None


class CallbackIn(msgspec.Struct):
    reached: Any = None
    """true | false"""
    satisfied: Any = None
    """true | false, when reached."""
    note: Any = ""


class CallbackOut(msgspec.Struct):
    id: int
    reached: bool
    satisfied: Optional[bool]
    note: str
    at: str
    inquiry: InquiryOut


class SlaRule(msgspec.Struct):
    category: Any = ""
    """'' holds for every category without its own row."""
    response_hours: Any = None
    answer_hours: Any = None


class SlaIn(msgspec.Struct):
    items: Any = None
    """[SlaRule, …]: replaces the project's rows."""


class SlaRuleOut(msgspec.Struct):
    category: str
    response_hours: str
    answer_hours: str


class SlaOut(msgspec.Struct):
    project_id: int
    items: list[SlaRuleOut]
    default_response_hours: str
    default_answer_hours: str


def inquiry(d: dict) -> InquiryOut:
    return InquiryOut(**d)


def sheet(d: dict) -> SheetOut:
    return SheetOut(**d)
