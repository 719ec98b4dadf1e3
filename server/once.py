"""Creates that a client names with a `client_id` happen once, even when two tries race.

A phone that loses its connection sends the same record again with the same
`client_id`. Usually the first try has long finished and the repeat simply
finds it. But the repeat can also arrive while the first try is still
running: both look for the client_id, neither finds it, both write. The
database's unique index on `client_id` lets only one of them in; the other
must answer the winner's record as a repeat (200), not a 500.

    record, created = await create_once(client_id, find=by_client_id, create=lambda: _create(...))

`find(client_id)` reads the record a client_id names (None when there is
none); `create()` validates and writes in its own `write_transaction()` and
returns (record, created), removing whatever it stored outside the database
when it fails. A try that loses the race fails on the unique index, or with
a Conflict when the winner has already moved a record it also changes (an
appointment signed, say); either way, when the winner's record can then be
read, that is the answer.
"""
from __future__ import annotations

import sqlite3
import uuid
from typing import Awaitable, Callable, TypeVar

from server.db import engine
from server.errors import Conflict

T = TypeVar("T")


def is_unique_violation(exc: BaseException) -> bool:
    """A write refused by a unique index (SQLite or PostgreSQL)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(exc)
    return type(exc).__name__ == "UniqueViolationError"  # asyncpg


async def create_once(client_id: uuid.UUID | None, *, find: Callable[[uuid.UUID], Awaitable[T | None]],
                      create: Callable[[], Awaitable[tuple[T, bool]]]) -> tuple[T, bool]:
    """(record, created): the record `client_id` already names, else `create()`'s;
    a try that loses a race with another one for the same client_id answers the winner's."""
    if client_id is None:
        return await create()
    found = await find(client_id)
    if found is not None:
        return found, False
    # Inside a caller's transaction the failed write would spoil it (PostgreSQL
    # refuses every later statement): a savepoint lets us step back and read.
    outer = engine().current_transaction.get()
    savepoint = await outer.savepoint() if outer is not None else None
    try:
        return await create()
    except Exception as exc:
        if not (is_unique_violation(exc) or isinstance(exc, Conflict)):
            raise
        if savepoint is not None:
            await savepoint.rollback_to()
        winner = await find(client_id)
        if winner is None:
            raise
        return winner, False
