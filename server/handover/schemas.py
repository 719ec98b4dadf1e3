"""API shapes for key handovers."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

import msgspec


class KeyCount(msgspec.Struct):
    kind: str
    count: int


class MeterReading(msgspec.Struct):
    kind: str
    reading: str
    photo_id: Optional[int] = None


class HandoverIn(msgspec.Struct):
    to: str
    keys: Annotated[list[Any], msgspec.Meta(description=(
        'The keys handed over: `[{"kind": "入户门钥匙", "count": 3}, ...]`. `kind` is a name from '
        '`GET /api/v1/key-kinds` (as it lists it, e.g. 入户门钥匙), each kind at most once; `count` a whole '
        'number from 0 to 99, at least one above 0.'))]
    signatures: dict[str, Any]
    client_id: Optional[str] = None
    from_party_id: Optional[int] = None
    meter_readings: Optional[list[Any]] = None
    giver_name: str = ""
    receiver_name: str = ""
    corrects_id: Optional[int] = None


class HandoverOut(msgspec.Struct):
    id: int
    unit_id: int
    to: str
    from_party_id: Optional[int]
    client_id: Optional[str]
    keys: list[KeyCount]
    meter_readings: list[MeterReading]
    giver_name: str
    receiver_name: str
    signatures: dict[str, str]
    """URLs of the two signature images."""
    corrects_id: Optional[int]
    content_sha256: str
    created_by_id: Optional[int]
    created_at: dt.datetime


def _list(value: Any) -> list:
    import json

    return value if isinstance(value, list) else json.loads(value or "[]")


def handover_out(row: Any) -> HandoverOut:
    return HandoverOut(
        id=row.id, unit_id=row.unit, to=row.to, from_party_id=row.from_party,
        client_id=str(row.client_id) if row.client_id else None,
        keys=[KeyCount(**k) for k in _list(row.keys)],
        meter_readings=[MeterReading(**m) for m in _list(row.meter_readings)],
        giver_name=row.giver_name, receiver_name=row.receiver_name,
        signatures={side: f"/api/v1/key-handovers/{row.id}/signatures/{side}" for side in ("giver", "receiver")},
        corrects_id=row.corrects, content_sha256=row.content_sha256, created_by_id=row.created_by,
        created_at=row.created_at)
