"""Key handover (钥匙交接): construction unit -> CS center when a unit passes,
CS center -> owner on delivery day.

A handover is a legal record: written once, never updated or deleted (the
migration adds database triggers that refuse both). It stores a SHA-256 of
its canonical content, signature images included; a correction is a new
record pointing at the one it corrects.
"""
from piccolo.columns import JSON, UUID, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Party, Unit


class KeyKind(Table, tablename="key_kind"):
    """The kinds of key in an inventory (configurable by admins)."""

    name = Varchar(length=50, unique=True)
    position = Integer(default=50)


class KeyHandover(Table, tablename="key_handover"):
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    to = Varchar(length=20)
    """cs_center or owner."""
    from_party = ForeignKey(references=Party, on_delete=OnDelete.restrict, null=True, default=None)
    client_id = UUID(null=True, default=None, unique=True)
    keys = JSON(default="[]")
    """[{"kind": "入户门钥匙", "count": 3}, ...]"""
    meter_readings = JSON(default="[]")
    """[{"kind": "water", "reading": "12.345", "photo_id": 7}, ...]"""
    giver_name = Varchar(length=100, default="")
    receiver_name = Varchar(length=100, default="")
    giver_signature_key = Varchar(length=200)
    receiver_signature_key = Varchar(length=200)
    giver_signature_sha256 = Varchar(length=64)
    receiver_signature_sha256 = Varchar(length=64)
    corrects = ForeignKey(references="KeyHandover", on_delete=OnDelete.restrict, null=True, default=None)
    content_sha256 = Varchar(length=64)
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
