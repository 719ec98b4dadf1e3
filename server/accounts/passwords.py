"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the username is unknown, so a miss costs as much time
# as a hit and response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 8

# Stored for accounts that sign in another way (owners, with a one-time code):
# not an argon2 hash, so no password ever matches it, and it costs no hashing.
UNUSABLE_PASSWORD = "!unusable"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
