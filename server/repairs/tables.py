"""Repairs (regulation 1, 报修): owners' repair requests after delivery, the
delivery day of homes delivered before this software, and each project's
warranty terms.

A `RecordedDelivery` is a legal record: written once, never changed (the
migration adds database triggers that refuse UPDATE and DELETE). Homes
delivered through the app take their delivery day from the signed delivery
confirmation instead (server/delivery), read through `selectors.delivery_day`.
"""
from decimal import Decimal

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Numeric, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Project, Unit


class RepairSettings(Table, tablename="repair_settings"):
    """A project's warranty terms (longer than the statutory ones, never shorter) and seasons."""

    project = ForeignKey(references=Project, on_delete=OnDelete.cascade, unique=True)
    structure_years = Integer(default=50)
    """The design service life of the project's buildings."""
    waterproofing_years = Integer(default=5)
    pipes_electrical_years = Integer(default=2)
    decoration_years = Integer(default=2)
    heating_seasons = Integer(default=2)
    cooling_seasons = Integer(default=2)
    heating_start = Varchar(length=5, default="11-15")
    heating_end = Varchar(length=5, default="03-15")
    cooling_start = Varchar(length=5, default="06-01")
    cooling_end = Varchar(length=5, default="09-30")
    return_visit_days = Integer(default=3)
    # SLA hours per urgency (domain/rules.md "Service levels"): first response, on site, done.
    emergency_response_hours = Numeric(digits=(7, 2), default=Decimal("0.25"))
    emergency_on_site_hours = Numeric(digits=(7, 2), default=Decimal("2"))
    emergency_done_hours = Numeric(digits=(7, 2), default=Decimal("4"))
    normal_response_hours = Numeric(digits=(7, 2), default=Decimal("2"))
    normal_on_site_hours = Numeric(digits=(7, 2), default=Decimal("24"))
    normal_done_hours = Numeric(digits=(7, 2), default=Decimal("72"))
    scheduled_response_hours = Numeric(digits=(7, 2), default=Decimal("24"))
    scheduled_on_site_hours = Numeric(digits=(7, 2), default=Decimal("168"))
    scheduled_done_hours = Numeric(digits=(7, 2), default=Decimal("336"))
    updated_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class RecordedDelivery(Table, tablename="recorded_delivery"):
    """The delivery day of a home delivered before the software was used (`POST /units/{id}/delivered`)."""

    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, unique=True)
    delivered_on = Date()
    created_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RepairRequest(Table, tablename="repair_request"):
    """One owner's repair request for one home; its status moves through `states.TRANSITIONS`."""

    client_id = UUID(null=True, default=None, unique=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    component = Varchar(length=30)
    """A code of domain/rules.md (warranty.COMPONENTS)."""
    location = Varchar(length=50, default="")
    """The room, in the owner's words (客厅, 卫生间...)."""
    description = Text()
    reported_on = Date()
    """China date the request was made (a staff member may enter an earlier day from paper)."""
    reported_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, default=None)
    channel = Varchar(length=20)
    """owner_app | phone | walk_in | paper"""
    preferred_times = Text(default="")
    status = Varchar(length=20, default="reported", index=True)
    urgency = Varchar(length=20, default="")
    """emergency | normal | scheduled, set at triage."""
    survey_needed = Boolean(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
