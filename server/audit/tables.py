"""The append-only audit trail: one row per state change, never updated."""
from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    # No foreign keys on purpose: the trail must outlive whatever it describes.
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=150, default="")
    object_type = Varchar(length=50, index=True)
    object_id = Varchar(length=64, index=True)
    action = Varchar(length=50)
    from_state = Varchar(length=50, null=True, default=None)
    to_state = Varchar(length=50, null=True, default=None)
    details = JSON(default="{}")
