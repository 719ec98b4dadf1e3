"""Database engine set-up and the transaction helpers every service uses.

SQLite is the embedded default, so it is tuned to share one file between the
web processes and the arq workers without "database is locked":
- WAL journal: readers never block the writer and the writer never blocks readers;
- a busy timeout: a second writer waits for the lock instead of failing;
- writes start with BEGIN IMMEDIATE (`write_transaction`): the write lock is
  taken up front, so a read transaction is never upgraded half-way (the case
  SQLite answers with SQLITE_BUSY without waiting).
"""
from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from server.settings import Settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class TunedSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with WAL-friendly per-connection pragmas."""

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        # Safe with WAL: a power cut may lose the last commit, never corrupt.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def make_engine(settings: Settings) -> Engine:
    if settings.database.is_sqlite:
        path = settings.database.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # journal_mode=WAL is stored in the file itself: set it once here.
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as raw:
            raw.execute("PRAGMA journal_mode = WAL")
        return TunedSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config=settings.database.postgres_config())


def engine() -> Engine:
    from server.piccolo_conf import DB

    return DB


def write_transaction() -> Any:
    """`async with write_transaction():` around every group of writes.

    Nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def read_transaction() -> Any:
    """One connection for a request's reads (Piccolo's SQLite engine otherwise
    opens a new connection for every query)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.deferred)
    return db.transaction()


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached."""


async def check_connection() -> None:
    """Fail at start, loudly, when the database cannot be reached."""
    try:
        await engine().run_ddl("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot start"
        raise DatabaseUnavailable(f"Cannot reach the database: {exc}") from exc
