"""Delivery (regulation 2): contract data and confirmed areas per unit.

Both are legal records: never updated in place. A change is a new row, and
the newest row for a unit is the one in force (the older ones stay as the
history of what was agreed and registered, and by whom).
"""
from piccolo.columns import JSON, ForeignKey, Numeric, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Unit

AREA_BASES = ("building_area", "interior_area")
"""建筑面积 or 套内建筑面积: the area the contract's unit price is per."""


class UnitContract(Table, tablename="unit_contract"):
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    contract_area = Numeric(digits=(10, 2))
    unit_price = Numeric(digits=(12, 2))
    area_basis = Varchar(length=20, default="building_area")
    buyer_name = Varchar(length=100, default="")
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
