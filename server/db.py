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

import asyncio
import math
import mmap
import os
import re
import sqlite3
import time
from collections import deque
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Awaitable, Callable

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from server.postgres_engine import CONNECT_TIMEOUT_SECONDS, DatabaseUnavailable, ResilientPostgresEngine
from server.settings import Settings, get_settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30

# Piccolo registers a converter for every INTEGER column value (ids, foreign keys,
# floors...): SQLite hands it the number as text, and it builds a Decimal to make an int
# of it, a Python call per value (a tenth of a 50-row list's time). An INTEGER column's
# affinity already stores numbers as integers and sqlite3 returns them as int without
# help, so the converter goes; every other type keeps Piccolo's (timestamps, booleans...).
sqlite3.converters.pop("INTEGER", None)


class _PooledConnection:
    """An aiosqlite connection borrowed from the pool: `close()` gives it back.

    Piccolo closes a transaction's connection when the transaction ends; with
    this proxy that returns it to the pool instead, so a request does not pay
    for a new connection, a new thread and three PRAGMAs (measured ~2 ms).
    """

    __slots__ = ("_connection", "_engine")

    def __init__(self, connection: aiosqlite.Connection, engine: "TunedSQLiteEngine") -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_engine", engine)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def execute(self, sql: str, parameters: Any = None) -> Any:
        """BEGIN IMMEDIATE, COMMIT, SAVEPOINT…: in the connection's thread (they may wait for the lock)."""
        cursor = await _in_thread(self._connection, self._connection.execute, sql, parameters)
        if sql in ("COMMIT", "ROLLBACK"):
            _transaction_ended(self._connection, committed=sql == "COMMIT")
        return cursor

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> Any:
        return await self._engine.fetch(self._connection, sql, parameters or [])

    async def close(self) -> None:
        await self._engine.release(self._connection)


INLINE_READ_SECONDS = 0.002
"""How long a SELECT may run on the event loop's own thread before it is stopped and sent to the
connection's thread instead (see TunedSQLiteEngine.fetch)."""


class _ConnectionState:
    """Per connection: trips under way in its thread, and the deadline of the SELECT run inline."""

    __slots__ = ("busy", "deadline", "credentials", "stop_when_late")

    def __init__(self) -> None:
        self.busy = 0
        self.deadline = math.inf
        self.credentials = False  # the open transaction wrote a user, session or token
        self.stop_when_late: Any = None


def _state(connection: aiosqlite.Connection) -> _ConnectionState:
    return connection._cs_state  # type: ignore[attr-defined]  # noqa: SLF001 - set in _connect


async def _in_thread(connection: aiosqlite.Connection, method: Any, *args: Any) -> Any:
    state = _state(connection)
    state.busy += 1
    try:
        return await method(*args)
    finally:
        state.busy -= 1


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


_CREDENTIAL_TABLES = re.compile(r"\b(app_user|user_session|api_token)\b")


def _wrote(connection: aiosqlite.Connection, query: str) -> None:
    """After a write: one to a user, session or token changes the credentials' generation
    (at once, or at its transaction's COMMIT)."""
    if _CREDENTIAL_TABLES.search(query):
        if connection.in_transaction:
            _state(connection).credentials = True
        else:
            credentials_changed()


def _transaction_ended(connection: aiosqlite.Connection, committed: bool) -> None:
    state = _state(connection)
    if state.credentials:
        state.credentials = False
        if committed:
            credentials_changed()


class _Generation:
    """Eight bytes in a file beside the SQLite database, mapped into every process that uses it.

    Any process that commits a change to a user, a session or a token writes new random
    bytes there (after its COMMIT); a process that remembers a sign-in (accounts.services)
    remembers it with the bytes it read before its query, and trusts it only while they
    have not changed. Reading is a memory read, no system call. SQLite's processes share
    one machine (its WAL needs shared memory), so they all see the same file.
    """

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 8:
                os.write(fd, os.urandom(8))
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)

    def read(self) -> bytes:
        return self._map[:8]

    def change(self) -> None:
        self._map[:8] = os.urandom(8)


_GENERATION: _Generation | None = None


def credentials_generation() -> bytes | None:
    """What the credentials' generation is now (SQLite), or None: on PostgreSQL the web
    processes may be on several machines, nothing cheap tells them all of a change, and
    a sign-in is checked in the database every time."""
    global _GENERATION
    db = engine()
    if not isinstance(db, TunedSQLiteEngine):
        return None
    if _GENERATION is None:
        _GENERATION = _Generation(f"{db.path}-auth")
    return _GENERATION.read()


def credentials_changed() -> None:
    if credentials_generation() is not None:
        _GENERATION.change()  # type: ignore[union-attr]


class TunedSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with WAL-friendly pragmas and pooled connections."""

    POOL_SIZE = 16
    """Connections open at once in normal running: as many as the requests a worker serves together.
    Each has its own thread and page cache, so more would cost memory; fewer made a web worker
    under 16 concurrent requests open and close a connection (a thread, three PRAGMAs) per request."""
    OVERFLOW_AFTER_SECONDS = 1.0
    """A caller that waited this long for a free connection gets an extra one, closed after use:
    a slow moment costs a connection, never a deadlock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future] = deque()

    async def _connect(self) -> aiosqlite.Connection:
        # The event loop's thread runs short SELECTs itself (fetch), the connection's own
        # thread everything else, never both at once: sqlite3 must allow the second thread.
        pending = aiosqlite.connect(**self.connection_kwargs, check_same_thread=False)
        # An idle pooled connection must not keep the process alive at exit
        # (aiosqlite's thread is not a daemon); it holds no transaction, so
        # nothing is lost when the interpreter stops it.
        pending._thread.daemon = True  # noqa: SLF001
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        # Safe with WAL: a power cut may lose the last commit, never corrupt.
        await connection.execute("PRAGMA synchronous = NORMAL")
        state = connection._cs_state = _ConnectionState()  # type: ignore[attr-defined]
        # Called every 1,000 SQLite instructions while a SELECT runs inline (fetch): a true
        # answer stops the statement ("interrupted"). Only then: in the connection's thread
        # it would take the GIL every few microseconds of a long report's read.
        state.stop_when_late = lambda: time.perf_counter() > state.deadline
        return connection

    async def fetch(self, connection: aiosqlite.Connection, query: str, args: Any) -> list:
        """The rows of one statement on this connection.

        A SELECT runs right here on the event loop's thread: a list's reads take tens of
        microseconds, while a trip to aiosqlite's thread (queue, wake-up, the GIL handed
        over and back, a callback into the loop) cost more than that several times over,
        and was most of a simple page (py-spy, bench/serving.py). A SELECT still running
        after INLINE_READ_SECONDS is interrupted and run again in the connection's thread,
        so a report's long read never holds up the other requests. Writes, BEGIN IMMEDIATE
        and COMMIT may wait for the write lock: always in the thread. In WAL mode a reader
        waits for no lock.
        """
        state = _state(connection)
        if state.busy == 0 and _is_read(query):
            sqlite = connection._conn  # noqa: SLF001
            state.deadline = time.perf_counter() + INLINE_READ_SECONDS
            sqlite.set_progress_handler(state.stop_when_late, 1000)
            try:
                return sqlite.execute(query, args).fetchall()
            except sqlite3.OperationalError as exc:
                if str(exc) != "interrupted":
                    raise
            finally:
                sqlite.set_progress_handler(None, 0)
                state.deadline = math.inf
        found = await _in_thread(connection, connection.execute_fetchall, query, args)
        if not _is_read(query):
            _wrote(connection, query)
        return found

    async def acquire(self) -> aiosqlite.Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection._running:  # noqa: SLF001 - a connection whose thread died is dropped
                return connection
            self._open -= 1
        if self._open >= self.POOL_SIZE:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                return await asyncio.wait_for(waiter, self.OVERFLOW_AFTER_SECONDS)
            except TimeoutError:
                if waiter.done() and not waiter.cancelled():
                    return waiter.result()
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        try:
            if connection.in_transaction:  # never hand on a half-finished transaction
                await connection.rollback()
            _state(connection).credentials = False
        except Exception:  # noqa: BLE001 - a broken connection is simply not reused
            self._open -= 1
            await connection.close()
            return
        while self._waiters:  # the longest waiter takes it over
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if self._open <= self.POOL_SIZE:
            self._idle.append(connection)
        else:
            self._open -= 1
            await connection.close()

    async def get_connection(self) -> Any:
        """Used by Piccolo for each transaction."""
        return _PooledConnection(await self.acquire(), self)

    async def _run_in_new_connection(self, query: str, args: Any = None, query_type: str = "generic",
                                     table: Any = None) -> Any:
        connection = await self.acquire()
        try:
            rows = await self.fetch(connection, query, args or [])
            if connection.in_transaction:  # with isolation_level=None only a query that began one
                await connection.commit()
                _transaction_ended(connection, committed=True)
            return rows
        finally:
            await self.release(connection)

    async def _run_in_existing_connection(self, connection: Any, query: str, args: Any = None,
                                          query_type: str = "generic", table: Any = None) -> Any:
        # Piccolo re-sends "PRAGMA foreign_keys = 1" before every query and
        # then makes three trips to aiosqlite's thread (execute, fetch, close);
        # our connections have the pragma set once, and execute_fetchall is
        # one trip: about 0.2 ms saved per query.
        if connection is None:  # the first query of a lazy read transaction
            return await self.current_transaction.get().first_query(query, args or [])
        return await self.fetch(object.__getattribute__(connection, "_connection"), query, args or [])

    async def close_pool(self) -> None:
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            await connection.close()


class LazyReadTransaction(SQLiteTransaction):
    """A GET's read transaction on SQLite that costs nothing until it is used.

    No connection is taken until the first query. BEGIN DEFERRED takes no lock
    until that query reads, and a transaction that wrote nothing has nothing to
    write at COMMIT: both run on the event loop's thread, without a trip to the
    connection's. A write inside (a nested `write_transaction()`) joins it, as
    before, and then COMMIT goes to the connection's thread.
    """

    async def __aenter__(self) -> "SQLiteTransaction":
        if self._parent is not None:
            return self._parent
        self.connection = None
        self._opening: asyncio.Future | None = None
        self._changes = 0
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _connection(self) -> _PooledConnection:
        """The transaction's connection, taken (and the transaction begun) by the first caller."""
        if self.connection is None:
            if self._opening is not None:
                await asyncio.shield(self._opening)
                return self.connection
            self._opening = asyncio.get_running_loop().create_future()
            try:
                connection = await self.engine.get_connection()
                raw = object.__getattribute__(connection, "_connection")
                raw._conn.execute(f"BEGIN {self.transaction_type.value}")  # noqa: SLF001 - takes no lock
                self._changes = raw.total_changes
                self.connection = connection
            finally:
                self._opening.set_result(None)
        return self.connection

    async def first_query(self, query: str, args: Any) -> Any:
        return await (await self._connection()).execute_fetchall(query, args)

    async def begin(self) -> None:
        await self._connection()

    async def commit(self) -> None:
        raw = object.__getattribute__(self.connection, "_connection")
        if raw.total_changes == self._changes and _state(raw).busy == 0:
            raw._conn.execute("COMMIT")  # noqa: SLF001 - ends a read: releases its snapshot, no I/O
            _transaction_ended(raw, committed=True)
            self._committed = True
        else:
            await super().commit()

    async def savepoint(self, name: str | None = None) -> Any:
        await self._connection()
        return await super().savepoint(name)

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None:
            return exception is None
        if self._opening is not None and not self._opening.done():
            await asyncio.shield(self._opening)
        if self.connection is None:  # nothing was read
            self.engine.current_transaction.reset(self.context)
            return exception is None
        return await super().__aexit__(exception_type, exception, traceback)


def make_engine(settings: Settings) -> Engine:
    if settings.database.is_sqlite:
        path = settings.database.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # journal_mode=WAL is stored in the file itself: set it once here.
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as raw:
            raw.execute("PRAGMA journal_mode = WAL")
        return TunedSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return ResilientPostgresEngine(config={"timeout": CONNECT_TIMEOUT_SECONDS,
                                           **settings.database.postgres_config()})


_ENGINE: Engine | None = None


def engine() -> Engine:
    """The process's one engine, made on first use; `piccolo_conf.DB` (what the
    tables run on) is this same object."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = make_engine(get_settings())
    return _ENGINE


def write_transaction() -> Any:
    """`async with write_transaction():` around every group of writes.

    Nested use joins the outer transaction.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def lock_row(table: Any, row_id: Any) -> None:
    """Inside a write transaction: hold this row until commit, so a check-then-write
    (a slot's remaining capacity, say) cannot interleave with another one.
    PostgreSQL needs SELECT ... FOR UPDATE; SQLite's BEGIN IMMEDIATE already
    lets one writer in at a time (and has no row locks)."""
    if not isinstance(engine(), SQLiteEngine):
        await table.select(table.id).where(table.id == row_id).lock_rows().run()


def read_transaction() -> Any:
    """One connection for a request's reads (Piccolo's SQLite engine otherwise
    opens a new connection for every query)."""
    db = engine()
    if isinstance(db, TunedSQLiteEngine):
        return LazyReadTransaction(engine=db, transaction_type=TransactionType.deferred)
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.deferred)
    return db.transaction()


async def _keep_session(connection: Any) -> None:
    """The pool's reset of a connection given back, in place of asyncpg's.

    asyncpg's own runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release: a round trip per request, to undo session state this app never
    makes (no advisory locks, cursors, LISTEN or SET). A transaction left open is
    still rolled back by asyncpg before this is called."""


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10, reset=_keep_session)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, TunedSQLiteEngine):
        await db.close_pool()


async def refresh_statistics() -> None:
    """Give SQLite's query planner table statistics (ANALYZE, sampled: a few ms).

    Without them SQLite guesses, and on a grown database it guessed wrong
    (bench/inspections.py: a 15 ms scan instead of a 0.1 ms index lookup).
    Run at start and hourly by the worker; PostgreSQL's autovacuum does this itself.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA analysis_limit = 1000")
        await db.run_ddl("ANALYZE")


async def database_now() -> datetime:
    """The database's clock, in UTC. Timestamps that one process writes and another compares
    (a worker's claim on a photo, its renewal, the sweep that judges it stale) use this one
    clock, so a machine whose clock is minutes off cannot make a live claim look dead."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        rows = await db.run_ddl("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now")
        return datetime.fromisoformat(rows[0]["now"]).replace(tzinfo=timezone.utc)
    # clock_timestamp(), not now(): now() stands still for the whole transaction.
    rows = await db.run_ddl("SELECT clock_timestamp() AS now")
    return rows[0]["now"].astimezone(timezone.utc)


async def check_connection() -> None:
    """Fail at start, loudly, when the database cannot be reached."""
    try:
        await engine().run_ddl("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot start"
        raise DatabaseUnavailable(f"Cannot reach the database: {exc}") from exc


class Row(dict):
    """A selected row (a dict) that also reads like a table object: `row.id` is `row["id"]`.

    For hot lists: `Table.select()` gives dicts, where `Table.objects()` builds an object
    column by column (a sixth of a 50-row list, py-spy on bench/serving.py); the shapes
    and templates written for objects read these unchanged."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@lru_cache(maxsize=None)
def _by_id_sql(table: Any) -> str:
    columns = ", ".join(f'"{c._meta.db_column_name}" AS "{c._meta.name}"' for c in table._meta.columns)
    return f'SELECT {columns} FROM "{table._meta.tablename}" WHERE "id" = {{}} LIMIT 1'


async def get_by_id(table: Any, object_id: Any) -> Any | None:
    """`table.objects().get(table.id == object_id)`, with the SQL written once per table:
    building Piccolo's query cost more than running it (~0.1 ms; every page fetches its
    object through an access helper)."""
    found = await table.raw(_by_id_sql(table), object_id).run()
    return table(**found[0], _exists_in_db=True) if found else None


class _Value:
    """Stands for a call's n-th value while a `built_once` query is built and compiled."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


_PLACEHOLDER = re.compile(r"\?|\$\d+")


def built_once(build: Callable[..., Any]) -> Callable[..., Awaitable[list[dict]]]:
    """A Piccolo query for a hot path, built and compiled once, then run with each call's values.

    `build(*values, **fixed)` returns the query; `values` may only be compared with
    (`Unit.building == building`), while `fixed` may change its shape (a limit, an
    order) and each distinct `fixed` is compiled once. Building a select anew cost
    ~0.2 ms and a count ~0.15 ms, more than running them (a 50-row list: a quarter of
    its time). The rows are dicts, as from `select()`.
    """
    compiled: dict[tuple, tuple[Any, str, list[int]]] = {}

    async def run(*values: Any, **fixed: Any) -> list[dict]:
        key = (engine().engine_type, *sorted(fixed.items()))
        entry = compiled.get(key)
        if entry is None:
            query = build(*[_Value(i) for i in range(len(values))], **fixed)
            sql, args = query.querystrings[0].compile_string(engine_type=key[0])
            if (not all(isinstance(arg, _Value) for arg in args) or len(_PLACEHOLDER.findall(sql)) != len(args)
                    or "{" in sql or "}" in sql):
                raise ValueError(f"built_once: every value of {build.__name__} must be a compared value")
            entry = compiled[key] = (query.table, _PLACEHOLDER.sub("{}", sql), [arg.index for arg in args])
        table, template, order = entry
        return await table.raw(template, *[values[i] for i in order]).run()

    run.__name__ = build.__name__
    return run


def rows(selected: list[dict]) -> list[Row]:
    return [Row(row) for row in selected]


def newest_by(rows: Any, key: str = "unit") -> dict:
    """The last row for each value of `key`, from rows ordered oldest first (by id): the
    record in force when corrections are new rows. Rows may be dicts or table objects."""
    newest: dict = {}
    for row in rows:
        newest[row[key] if isinstance(row, dict) else getattr(row, key)] = row
    return newest
