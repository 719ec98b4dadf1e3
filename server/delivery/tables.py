"""Delivery (regulation 2): contract data, confirmed areas, batches, owners,
the announcement and delivery day.

Contracts and confirmed areas are legal records: never updated in place. A
change is a new row, and the newest row for a unit is the one in force (the older ones stay as the
history of what was agreed and registered, and by whom).
"""
from piccolo.columns import JSON, UUID, Boolean, Date, ForeignKey, Integer, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.inspections.tables import Inspection
from server.org.tables import Building, Project, Unit

AREA_BASES = ("building_area", "interior_area")
"""建筑面积 or 套内建筑面积: the area the contract's unit price is per."""


class UnitContract(Table, tablename="unit_contract"):
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    contract_area = Numeric(digits=(10, 2))
    unit_price = Numeric(digits=(12, 2))
    area_basis = Varchar(length=20, default="building_area")
    buyer_name = Varchar(length=100, default="")
    buyer_phone = Varchar(length=30, default="")
    """The owner's mobile number: their user name when the batch makes owner accounts."""
    rule = JSON(default="{}")
    """The contract's own settlement rule, where it departs from the statutory default."""
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ConfirmedArea(Table, tablename="confirmed_area"):
    """确权面积 as registered by the housing transaction center."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    registered_area = Numeric(digits=(10, 2))
    source = Varchar(length=200, default="")
    """The imported file's name, or "api"."""
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


# ---------------------------------------------------------------- batches

class DeliveryBatch(Table, tablename="delivery_batch"):
    """A set of units delivered together (a building or a whole project)."""

    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(references=Building, on_delete=OnDelete.restrict, null=True, default=None)
    """The building the batch was made from; None for a whole project."""
    name = Varchar(length=100)
    starts_on = Date()
    ends_on = Date()
    place = Varchar(length=200, default="")
    what_to_bring = Text(default="")
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DeliveryBatchUnit(Table, tablename="delivery_batch_unit"):
    batch = ForeignKey(references=DeliveryBatch, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, unique=True)
    """A unit is delivered in one batch only."""


# ---------------------------------------------------------------- owners

class OwnerAccessCode(Table, tablename="owner_access_code"):
    """A one-time sign-in code printed on an owner's delivery notice.

    Only a random nonce is stored; the code is an HMAC of it under the
    server's secret, so the notice can be printed again without the code
    sitting in the database, and a used or replaced code never works again.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    nonce = Varchar(length=64, unique=True)
    code_sha256 = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


# ---------------------------------------------------------------- announcement

class DeliveryAnnouncement(Table, tablename="delivery_announcement"):
    """交房公告: drafted (CS), approved (CS), published (PR). Once published it
    is a public record and is not edited; a correction is a new announcement."""

    batch = ForeignKey(references=DeliveryBatch, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    body = Text()
    status = Varchar(length=12, default="draft", index=True)
    public_token = Varchar(length=40, unique=True)
    drafted_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    drafted_at = Timestamptz(default=TimestamptzNow())
    approved_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    published_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    supersedes = ForeignKey(references="DeliveryAnnouncement", on_delete=OnDelete.restrict, null=True, default=None)


Announcement = DeliveryAnnouncement  # the short name used by the announcement code


# ---------------------------------------------------------------- delivery day

class DeliverySlot(Table, tablename="delivery_slot"):
    batch = ForeignKey(references=DeliveryBatch, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    capacity = Integer(default=5)


class Appointment(Table, tablename="delivery_appointment"):
    """An owner's booking for a unit, and its place in the delivery-day queue."""

    batch = ForeignKey(references=DeliveryBatch, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    slot = ForeignKey(references=DeliverySlot, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=12, default="booked", index=True)
    """booked -> checked_in -> walkthrough -> signed -> done; or cancelled."""
    client_id = UUID(null=True, default=None, unique=True)
    queue_number = Integer(null=True, default=None)
    walkthrough = ForeignKey(references=Inspection, on_delete=OnDelete.set_null, null=True, default=None)
    booked_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    booked_at = Timestamptz(default=TimestamptzNow())
    checked_in_at = Timestamptz(null=True, default=None)


class DeliveryConfirmation(Table, tablename="delivery_confirmation"):
    """The owner's signed delivery confirmation: a legal record, never changed
    (database triggers refuse UPDATE and DELETE); a correction is a new row."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    appointment = ForeignKey(references=Appointment, on_delete=OnDelete.restrict, null=True, default=None)
    client_id = UUID(null=True, default=None, unique=True)
    owner_name = Varchar(length=100)
    manual_handed_over = Boolean(default=False)
    """《商品住宅使用说明书》 Residential Use Manual."""
    guarantee_handed_over = Boolean(default=False)
    """《住宅质量保证书》 Quality Guarantee: the warranty runs from this day."""
    defect_ids = JSON(default="[]")
    """Defects recorded at the walkthrough, left to rectification."""
    remarks = Text(default="")
    signature_key = Varchar(length=200)
    signature_sha256 = Varchar(length=64)
    corrects = ForeignKey(references="DeliveryConfirmation", on_delete=OnDelete.restrict, null=True, default=None)
    content_sha256 = Varchar(length=64)
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
