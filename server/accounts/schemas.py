"""API shapes for sign-in and users."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import msgspec


class TokenIn(msgspec.Struct):
    username: str
    password: str


class UserOut(msgspec.Struct):
    id: int
    username: str
    role: str
    party_id: Optional[int]
    display_name: str
    phone: str
    is_active: bool
    created_at: datetime


class TokenOut(msgspec.Struct):
    token: str
    user: UserOut


class UserIn(msgspec.Struct):
    username: str
    password: str
    role: str
    party_id: Optional[int] = None
    display_name: str = ""
    phone: str = ""


class UserPatch(msgspec.Struct):
    role: Optional[str] = None
    party_id: Optional[int] = None
    display_name: Optional[str] = None
    phone: Optional[str] = None
    is_active: Optional[bool] = None
    password: Optional[str] = None


class OwnerIn(msgspec.Struct):
    user_id: int


def user_out(row: Any) -> UserOut:
    party = row.party
    return UserOut(id=row.id, username=row.username, role=row.role,
                   party_id=party if isinstance(party, int) or party is None else party.id,
                   display_name=row.display_name, phone=row.phone, is_active=row.is_active,
                   created_at=row.created_at)
