"""One-time sign-in codes for owners, printed on their delivery notice.

No password is ever sent to an owner. The code is an HMAC of a random nonce
under the server's secret: the database holds the nonce and the code's
SHA-256 (to find it), so the notice can be printed again, while a leaked
database alone gives no working code. A code works once, for the mobile
number it was made for, within CODE_DAYS; issuing a new one revokes the old.
Wrong guesses count as failed sign-ins and are throttled like passwords.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

from server.accounts import roles
from server.accounts.mobile import mobile_digits
from server.accounts.services import _check_throttle
from server.accounts.tables import LoginAttempt, User
from server.audit.services import audit_record
from server.db import lock_row, write_transaction
from server.delivery.batches import owners_of_batch
from server.delivery.tables import DeliveryBatch, OwnerAccessCode
from server.errors import Invalid, Unauthenticated
from server.i18n import _
from server.settings import get_settings

CODE_DAYS = 90
# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def code_for(nonce: str) -> str:
    digest = hmac.new(get_settings().secret_key.encode(), b"owner-code\x00" + nonce.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _i in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


def normalise(code: str) -> str:
    """What the owner typed, in the printed form: upper case, spaces dropped, one dash."""
    text = "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())
    return text[:5] + "-" + text[5:] if len(text) == CODE_LENGTH else text


def sign_in_problems(mobile: str, code: str) -> dict[str, str]:
    """What is missing or malformed before a sign-in is tried ({field: message}); such a
    form is no guess, so it is not counted against the throttle."""
    errors: dict[str, str] = {}
    if not mobile:
        errors["mobile"] = _("Enter your mobile number.")
    elif not (mobile.isascii() and mobile.isdigit() and len(mobile) == 11):
        errors["mobile"] = _("Enter the 11 digits of your mobile number.")
    if not normalise(code):
        errors["code"] = _("Enter the sign-in code from your delivery notice.")
    return errors


def _sha(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def sign_in_link(mobile: str, code: str) -> str:
    """The link printed beside the code: opens the sign-in form filled in (GET never uses the code up)."""
    return f"{get_settings().base_url.rstrip('/')}/owner/sign-in?{urlencode({'m': mobile, 'c': code})}"


async def issue(*, actor: Any, user_id: int, unit_id: int) -> str:
    """A new code for this owner and unit; any earlier unused one stops working."""
    return (await issue_many(actor=actor, pairs=[(user_id, unit_id)]))[(user_id, unit_id)]


async def issue_many(*, actor: Any, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """New codes for (owner, unit) pairs, in one transaction: {(user id, unit id): code}."""
    codes: dict[tuple[int, int], str] = {}
    nonces: dict[tuple[int, int], str] = {}
    for pair in pairs:
        nonce = secrets.token_hex(16)
        nonces[pair], codes[pair] = nonce, code_for(nonce)
    if not pairs:
        return codes
    async with write_transaction():
        for user_id, unit_id in pairs:
            await OwnerAccessCode.update({OwnerAccessCode.revoked_at: now()}).where(
                (OwnerAccessCode.user == user_id) & (OwnerAccessCode.unit == unit_id)
                & OwnerAccessCode.used_at.is_null() & OwnerAccessCode.revoked_at.is_null()).run()
            await audit_record(actor=actor, object_type="user", object_id=user_id, action="owner_code_issue",
                               details={"unit_id": unit_id})
        await OwnerAccessCode.insert(*[OwnerAccessCode(user=user_id, unit=unit_id, nonce=nonces[(user_id, unit_id)],
                                                       code_sha256=_sha(codes[(user_id, unit_id)]))
                                       for user_id, unit_id in pairs]).run()
    return codes


async def _codes_of(owners: list[dict]) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], dt.datetime]]:
    """({(user, unit): nonce of the working code}, {(user, unit): when the owner last signed in with a code})."""
    since = now() - dt.timedelta(days=CODE_DAYS)
    rows = await OwnerAccessCode.select(
        OwnerAccessCode.user, OwnerAccessCode.unit, OwnerAccessCode.nonce, OwnerAccessCode.used_at,
        OwnerAccessCode.revoked_at, OwnerAccessCode.created_at).where(
        OwnerAccessCode.unit.is_in([o["unit"] for o in owners] or [-1])).run()
    active: dict[tuple[int, int], str] = {}
    used: dict[tuple[int, int], dt.datetime] = {}
    for r in rows:
        pair = (r["user"], r["unit"])
        if r["used_at"] is not None:
            used[pair] = max(used.get(pair, r["used_at"]), r["used_at"])
        elif r["revoked_at"] is None and r["created_at"] >= since:
            active[pair] = r["nonce"]
    return active, used


async def notices_for_batch(batch_id: int) -> list[dict]:
    """Every owner of the batch for the printed notices, reading only:
    [{unit, user, building, number, mobile, name, code, link, signed_in_at}].
    `code` and `link` are None where no code works (never issued, expired, or
    used: then `signed_in_at` says when); `issue_missing` issues them."""
    owners = await owners_of_batch(batch_id)
    active, used = await _codes_of(owners)
    notices = []
    for owner in owners:
        pair = (owner["user"], owner["unit"])
        code = code_for(active[pair]) if pair in active else None
        notices.append({**owner, "code": code, "link": sign_in_link(owner["mobile"], code) if code else None,
                        "signed_in_at": used.get(pair)})
    return notices


def still_to_issue(notice: dict) -> bool:
    """An owner who has no working code and never signed in with one. An owner
    who did sign in gets a new code only on request (a lost notice, per unit)."""
    return notice["code"] is None and notice["signed_in_at"] is None


async def issue_missing(*, actor: Any, batch_id: int) -> int:
    """Codes for the batch's owners that `still_to_issue`; answers how many.
    The batch row is held meanwhile, so two clicks never issue twice."""
    async with write_transaction():
        await lock_row(DeliveryBatch, batch_id)
        pairs = [(n["user"], n["unit"]) for n in await notices_for_batch(batch_id) if still_to_issue(n)]
        await issue_many(actor=actor, pairs=pairs)
    return len(pairs)


async def redeem(mobile: str, code: str, client: str) -> User:
    """The owner for this mobile number and code, using the code up; else Unauthenticated (throttled)."""
    mobile = mobile_digits(mobile)
    errors = sign_in_problems(mobile, code)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    await _check_throttle(mobile, client)
    row = await OwnerAccessCode.objects().get(OwnerAccessCode.code_sha256 == _sha(normalise(code))).run()
    user = await User.objects().get(User.id == row.user).run() if row else None
    ok = (row is not None and user is not None and user.username == mobile and user.is_active
          and user.role == roles.OWNER and row.used_at is None and row.revoked_at is None
          and row.created_at >= now() - dt.timedelta(days=CODE_DAYS))
    async with write_transaction():
        if ok:
            # Compare-and-set: two phones racing with one code, only one gets in.
            ok = bool(await OwnerAccessCode.update({OwnerAccessCode.used_at: now()}).where(
                (OwnerAccessCode.id == row.id) & OwnerAccessCode.used_at.is_null()).returning(
                OwnerAccessCode.id).run())
        await LoginAttempt.insert(LoginAttempt(username=mobile[:150], client=client[:64], success=ok)).run()
    if not ok:
        raise Unauthenticated(_("That code does not work for this mobile number. Check both, or ask the CS center "
                                "for a new code."))
    return user
