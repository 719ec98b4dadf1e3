"""Users, sign-in, sessions, API tokens and login throttling."""
from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any

from server.accounts import roles
from server.accounts.passwords import MIN_PASSWORD_LENGTH, checked, hashed, needs_rehash
from server.accounts.tables import ROLES, ApiToken, LoginAttempt, Session, UnitOwner, User
from server.audit.services import audit_record
from server.db import credentials_generation, loaded, write_transaction
from server.errors import Invalid, NotFound, TooManyAttempts, Unauthenticated
from server.i18n import _
from server.org.tables import Party, Unit
from server.settings import get_settings


def now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# ---------------------------------------------------------------- users

async def user_create(
    *,
    actor: Any | None,
    username: str,
    password: str,
    role: str,
    party_id: int | None = None,
    display_name: str = "",
    phone: str = "",
) -> User:
    username = (username or "").strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Enter a user name.")
    elif len(username) > 150:
        errors["username"] = _("The user name is too long.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if role not in ROLES:
        errors["role"] = _("Choose a role.")
    party = None
    if party_id is not None:
        party = await Party.objects().get(Party.id == party_id).run()
        if party is None:
            errors["party_id"] = _("No such party.")
    if role in roles.PARTY_ROLES:
        if party is None and "party_id" not in errors:
            errors["party_id"] = _("A contractor must belong to a construction or repair unit.")
        elif party is not None and party.kind not in roles.PARTY_KINDS_FOR_CONTRACTOR:
            errors["party_id"] = _("A contractor must belong to a construction or repair unit.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    password_hash = await hashed(password)  # before the transaction: SQLite's writers wait on it
    async with write_transaction():
        if await User.exists().where(User.username == username).run():
            raise Invalid(
                _("Please correct the marked fields."),
                field_errors={"username": _("This user name is taken.")},
            )
        user = User(
            username=username,
            password_hash=password_hash,
            role=role,
            party=party_id,
            display_name=(display_name or "").strip(),
            phone=(phone or "").strip(),
        )
        await user.save().run()
        await audit_record(actor=actor, object_type="user", object_id=user.id, action="create", to_state=role)
    return user


async def user_update(
    *,
    actor: Any,
    user_id: int,
    role: str | None = None,
    party_id: int | None = None,
    display_name: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    user = await User.objects().get(User.id == user_id).run()
    if user is None:
        raise NotFound(_("Not found."))
    errors: dict[str, str] = {}
    new_role = role if role is not None else user.role
    if new_role not in ROLES:
        errors["role"] = _("Choose a role.")
    new_party_id = party_id if party_id is not None else user.party
    party = await Party.objects().get(Party.id == new_party_id).run() if new_party_id else None
    if new_role in roles.PARTY_ROLES and (party is None or party.kind not in roles.PARTY_KINDS_FOR_CONTRACTOR):
        errors["party_id"] = _("A contractor must belong to a construction or repair unit.")
    if actor is not None and actor.id == user.id and (is_active is False or new_role != user.role):
        # Nobody locks themselves out (or drops their own admin role); another admin can.
        errors["is_active" if is_active is False else "role"] = _("You cannot deactivate or demote your own account.")
    if password is not None and password != "" and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    old_role = user.role
    user.role = new_role
    user.party = new_party_id
    if display_name is not None:
        user.display_name = display_name.strip()
    if phone is not None:
        user.phone = phone.strip()
    if is_active is not None:
        user.is_active = is_active
    if password:
        user.password_hash = await hashed(password)
    async with write_transaction():
        await user.save().run()
        if password or is_active is False:
            # A new password or a disabled account ends every open sign-in.
            await Session.delete().where(Session.user == user.id).run()
            await ApiToken.delete().where(ApiToken.user == user.id).run()
        await audit_record(
            actor=actor, object_type="user", object_id=user.id, action="update",
            from_state=old_role, to_state=new_role,
            details={"password_changed": bool(password), "is_active": user.is_active},
        )
    return user


async def unit_owner_add(*, actor: Any, unit_id: int, user_id: int) -> dict:
    unit = await Unit.objects().get(Unit.id == unit_id).run()
    if unit is None:
        raise NotFound(_("Not found."))
    user = await User.objects().get(User.id == user_id).run()
    if user is None or user.role != roles.OWNER:
        raise Invalid(_("Please correct the marked fields."), field_errors={"user_id": _("Choose an owner account.")})
    async with write_transaction():
        existing = await UnitOwner.objects().get((UnitOwner.unit == unit_id) & (UnitOwner.user == user_id)).run()
        if existing is None:
            existing = UnitOwner(unit=unit_id, user=user_id)
            await existing.save().run()
            await audit_record(actor=actor, object_type="unit", object_id=unit_id, action="owner_add",
                               details={"user_id": user_id})
    return {"unit_id": unit_id, "user_id": user_id}


# ---------------------------------------------------------------- sign-in

async def _check_throttle(username: str, client: str) -> None:
    settings = get_settings()
    since = now() - timedelta(minutes=settings.login_window_minutes)
    failures = LoginAttempt.count().where((LoginAttempt.at >= since) & (LoginAttempt.success == False))  # noqa: E712
    by_account = await failures.where(LoginAttempt.username == username).run()
    by_client = await LoginAttempt.count().where(
        (LoginAttempt.at >= since) & (LoginAttempt.success == False) & (LoginAttempt.client == client)  # noqa: E712
    ).run()
    if by_account >= settings.login_max_failures_per_account or by_client >= settings.login_max_failures_per_client:
        raise TooManyAttempts(_("Too many failed sign-in attempts. Please wait a few minutes and try again."))


async def authenticate(username: str, password: str, client: str) -> User:
    """The user for these credentials, or Unauthenticated; throttled per account and per client."""
    username = (username or "").strip()
    await _check_throttle(username, client)
    user = await User.objects().get(User.username == username).run() if username else None
    ok = await checked(user.password_hash if user else None, password or "")
    ok = ok and user is not None and user.is_active
    async with write_transaction():
        await LoginAttempt.insert(LoginAttempt(username=username[:150], client=client[:64], success=ok)).run()
        if ok and needs_rehash(user.password_hash):
            await User.update({User.password_hash: await hashed(password)}).where(User.id == user.id).run()
    if not ok:
        raise Unauthenticated(_("Wrong user name or password."))
    return user


async def session_create(user: User, client: str = "", user_agent: str = "") -> str:
    """A new session for this user; returns the cookie value (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    async with write_transaction():
        await Session.insert(Session(
            key_hash=_digest(raw), user=user.id,
            expires_at=now() + timedelta(days=get_settings().session_days),
            client=client[:64], user_agent=user_agent[:300],
        )).run()
        await audit_record(actor=user, object_type="user", object_id=user.id, action="sign_in")
    return raw


async def session_delete(raw: str) -> None:
    async with write_transaction():
        await Session.delete().where(Session.key_hash == _digest(raw)).run()


async def sign_out_everywhere(user: Any) -> None:
    """End every sign-in of this account: all its browser sessions and API tokens.

    Signing out on one device signs out on all of them, so a phone left
    signed in (lost, or shared) stops working the moment its owner signs out
    anywhere."""
    async with write_transaction():
        await Session.delete().where(Session.user == user.id).run()
        await ApiToken.delete().where(ApiToken.user == user.id).run()
        await audit_record(actor=user, object_type="user", object_id=user.id, action="sign_out")


async def token_create(user: User) -> str:
    raw = secrets.token_urlsafe(32)
    async with write_transaction():
        await ApiToken.insert(ApiToken(
            key_hash=_digest(raw), user=user.id,
            expires_at=now() + timedelta(days=get_settings().token_days),
        )).run()
    return raw


@lru_cache(maxsize=None)
def _user_by_credential_sql(table: Any) -> str:
    """SELECT the user whose credential (a row of `table`) has the given hash and is unexpired.

    Written out once instead of built by Piccolo on every request: building
    `table.objects(table.user).where(...)` cost about 1 ms, a third of a simple
    page (py-spy on bench/repairs.py's pages); the query is the same each time."""
    columns = ", ".join(f'u."{c._meta.db_column_name}" AS "{c._meta.name}"' for c in User._meta.columns)
    return (f'SELECT {columns}, c."expires_at" AS "{_EXPIRES}" FROM "{User._meta.tablename}" u'
            f' JOIN "{table._meta.tablename}" c ON c."user" = u."id"'
            ' WHERE c."key_hash" = {} AND c."expires_at" > {} LIMIT 1')


_EXPIRES = "credential_expires_at"
KNOWN_CREDENTIALS = 2_000
"""How many sessions and tokens a web process remembers (about 1 KB each); the oldest goes first."""
_known: OrderedDict[tuple[str, str], tuple[bytes, dict, datetime]] = OrderedDict()


async def _user_by_credential(table: Any, raw: str) -> User | None:
    """The signed-in user of this session or token, or None.

    A process remembers the credentials it has seen, with the credentials' generation
    (server.db.credentials_generation) read before it looked them up, and trusts what it
    remembers only while that generation is unchanged: any process that commits a change
    to a user, a session or a token changes it (signing out, a new password, a deactivated
    account, a new role), so the next request, in every process, looks in the database
    again. Where the generation cannot be known (PostgreSQL's listening connection down)
    every request looks."""
    digest = _digest(raw)
    generation = credentials_generation()
    key = (table._meta.tablename, digest)
    if generation is not None:
        known = _known.get(key)
        if known is not None and known[0] == generation and known[2] > now():
            return loaded(User, known[1])
    rows = await User.raw(_user_by_credential_sql(table), digest, now()).run()
    if not rows or not rows[0]["is_active"]:
        return None
    row = dict(rows[0])
    expires_at = row.pop(_EXPIRES)
    if generation is not None:
        if len(_known) >= KNOWN_CREDENTIALS:
            _known.popitem(last=False)  # O(1), whatever the number remembered
        _known[key] = (generation, row, expires_at)
    return loaded(User, row)


async def user_for_session(raw: str) -> User | None:
    return await _user_by_credential(Session, raw)


async def user_for_token(raw: str) -> User | None:
    return await _user_by_credential(ApiToken, raw)
