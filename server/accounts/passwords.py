"""Password hashing with argon2id (argon2-cffi's recommended parameters).

One hash or check takes some 50 ms of CPU and 64 MiB of memory. The web process
runs them through `checked`/`hashed`: in a thread, since argon2's C code lets go
of the GIL (on the event loop, every other request would wait for each sign-in),
and no more at once than there are cores (more would not finish sooner, and
each holds its 64 MiB)."""
import asyncio
import os
import weakref

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


_at_once: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def _turn() -> asyncio.Semaphore:
    """The running loop's semaphore (a semaphore belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    if loop not in _at_once:
        _at_once[loop] = asyncio.Semaphore(os.cpu_count() or 1)
    return _at_once[loop]


async def checked(password_hash: str | None, password: str) -> bool:
    """verify_password, off the event loop."""
    async with _turn():
        return await asyncio.to_thread(verify_password, password_hash, password)


async def hashed(password: str) -> str:
    """hash_password, off the event loop."""
    async with _turn():
        return await asyncio.to_thread(hash_password, password)
