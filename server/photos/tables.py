"""Photos: every image the product stores (defect photos, floor plans, meter readings).

A photo belongs to one subject (`subject_type`, `subject_id`), recorded in the
same transaction as that subject. Its life: pending -> processing -> ready,
or failed with a reason. Processing never touches the original.
"""
from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PhotoStatus:
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Photo(Table, tablename="photo"):
    client_id = UUID(null=True, default=None, unique=True)
    subject_type = Varchar(length=40)
    """Not indexed alone (nearly every photo is a defect photo); see the subject index migration."""
    subject_id = Integer(index=True)
    stage = Varchar(length=20, default="")
    status = Varchar(length=20, default=PhotoStatus.PENDING, index=True)
    failure_reason = Text(default="")
    image_format = Varchar(length=10)
    """JPEG, PNG, WEBP or HEIF, as found by decoding."""
    byte_size = Integer()
    original_key = Varchar(length=200)
    display_key = Varchar(length=200, default="")
    thumb_key = Varchar(length=200, default="")
    width = Integer(null=True, default=None)
    """Upright width of the original, once processed."""
    height = Integer(null=True, default=None)
    captured_at = Timestamptz(null=True, default=None)
    """The device's capture time from EXIF, when the photo carries one."""
    uploaded_by_id = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)
    processed_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
