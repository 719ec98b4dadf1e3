"""Users, their sign-in sessions and API tokens, login attempts, and unit owners."""
from piccolo.columns import Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.org.tables import Party, Unit

ROLES = (
    "admin",
    "cs_staff",
    "inspector",
    "project_staff",
    "supervisor",
    "contractor",
    "quality_center",
    "sales",
    "property",
    "pr",
    "owner",
)


class User(Table, tablename="app_user"):
    username = Varchar(length=150, unique=True)
    password_hash = Varchar(length=200, secret=True)
    role = Varchar(length=30, index=True)
    party = ForeignKey(references=Party, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    display_name = Varchar(length=150, default="")
    phone = Varchar(length=30, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="user_session"):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored,
    and only the server makes new ones (at login), so a client-chosen id
    never becomes a session."""

    key_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    client = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")


class ApiToken(Table, tablename="api_token"):
    key_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)


class LoginAttempt(Table, tablename="login_attempt"):
    username = Varchar(length=150, index=True)
    client = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    success = Boolean(default=False)


class UnitOwner(Table, tablename="unit_owner"):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
