"""The organisation: projects -> buildings -> units, unit types, and parties."""
from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.photos.tables import Photo

PARTY_KINDS = ("construction_unit", "supervision_unit", "repair_unit", "property_company", "department")


class UnitStatus:
    NOT_INSPECTED = "not_inspected"
    INSPECTING = "inspecting"
    RECTIFYING = "rectifying"
    PASSED = "passed"


class Project(Table, tablename="project"):
    name = Varchar(length=200)
    code = Varchar(length=50, default="")
    city = Varchar(length=100, default="")
    address = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Building(Table, tablename="building"):
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    created_at = Timestamptz(default=TimestamptzNow())


class UnitType(Table, tablename="unit_type"):
    project = ForeignKey(references=Project, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    description = Text(default="")
    floor_plan = ForeignKey(references=Photo, on_delete=OnDelete.set_null, null=True, default=None)


class Unit(Table, tablename="unit"):
    building = ForeignKey(references=Building, on_delete=OnDelete.restrict, index=True)
    number = Varchar(length=20)
    floor = Integer()
    unit_type = ForeignKey(references=UnitType, on_delete=OnDelete.set_null, null=True, default=None)
    status = Varchar(length=20, default=UnitStatus.NOT_INSPECTED, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Party(Table, tablename="party"):
    name = Varchar(length=200, unique=True)
    kind = Varchar(length=30, index=True)
    contact_name = Varchar(length=100, default="")
    phone = Varchar(length=30, default="")
    email = Varchar(length=200, default="")
    webhook_url = Varchar(length=500, default="")
    """WeCom/DingTalk group-robot style URL that receives JSON notices."""
    created_at = Timestamptz(default=TimestamptzNow())
