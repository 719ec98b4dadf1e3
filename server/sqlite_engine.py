"""SQLite, tuned to share one file between the web processes and the arq workers
without "database is locked", and to cost a request as little as it can:

- WAL journal: readers never block the writer and the writer never blocks readers;
- a busy timeout: a second writer waits for the lock instead of failing;
- writes start with BEGIN IMMEDIATE (`server.db.write_transaction`): the write lock
  is taken up front, so a read transaction is never upgraded half-way (the case
  SQLite answers with SQLITE_BUSY without waiting);
- pooled connections; short SELECTs run on the event loop's own thread
  (`TunedSQLiteEngine.fetch`), a GET's read transaction starts at its first query
  (`LazyReadTransaction`);
- the generations of what a web process remembers (`_Generation`, one per kind in
  server/watched_writes.py): what lets it remember a sign-in or a building's reference
  rows without missing a change made by another process.
"""
from __future__ import annotations

import asyncio
import math
import mmap
import os
import sqlite3
import time
from collections import deque
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, dict_factory

from server.watched_writes import CREDENTIALS, REFERENCE, is_read, kinds_written

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

    __slots__ = ("engine", "busy", "deadline", "wrote", "stop_when_late")

    def __init__(self, engine: "TunedSQLiteEngine") -> None:
        self.engine = engine
        self.busy = 0
        self.deadline = math.inf
        self.wrote: set[str] = set()  # the kinds of watched rows the open transaction wrote
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


def _wrote(connection: aiosqlite.Connection, query: str) -> None:
    """After a write: one to a watched table (a user, a session, a building's reference rows)
    changes its kind's generation (at once, or at its transaction's COMMIT)."""
    for kind in kinds_written(query):
        state = _state(connection)
        if connection.in_transaction:
            state.wrote.add(kind)
        else:
            state.engine.changed(kind)


def _transaction_ended(connection: aiosqlite.Connection, committed: bool) -> None:
    state = _state(connection)
    if state.wrote:
        wrote, state.wrote = state.wrote, set()
        if committed:
            for kind in wrote:
                state.engine.changed(kind)


class _Generation:
    """Eight bytes in a file beside the SQLite database, mapped into every process that uses it.

    One file per kind of watched rows (server/watched_writes.py). Any process that commits a
    change to a table of that kind (a user, a session or a token; a project, a building...)
    writes new random bytes there (after its COMMIT); a process that remembers such rows (a
    sign-in in accounts.services, server.reference_cache) remembers them with the bytes it
    read before its query, and trusts them only while they have not changed. Reading is a memory read, no system call. SQLite's processes share
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
        self._generations: dict[str, _Generation] = {}

    def _generation(self, kind: str) -> _Generation:
        found = self._generations.get(kind)
        if found is None:
            # "-auth" for the credentials: the file's name before there were two kinds.
            suffix = "auth" if kind == CREDENTIALS else kind
            found = self._generations[kind] = _Generation(f"{self.path}-{suffix}")
        return found

    def generation(self, kind: str) -> bytes:
        """This kind's generation now (see _Generation)."""
        return self._generation(kind).read()

    def changed(self, kind: str) -> None:
        self._generation(kind).change()

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
        state = connection._cs_state = _ConnectionState(self)  # type: ignore[attr-defined]
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
        if state.busy == 0 and is_read(query):
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
        if not is_read(query):
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
            _state(connection).wrote.clear()
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
        self._reference_at_start: bytes | None = None
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
                self._reference_at_start = self.engine.generation(REFERENCE)
                raw._conn.execute(f"BEGIN {self.transaction_type.value}")  # noqa: SLF001 - takes no lock
                self._changes = raw.total_changes
                self.connection = connection
            finally:
                self._opening.set_result(None)
        return self.connection

    def sees_reference(self, generation: bytes) -> bool:
        """Whether what this transaction reads of the reference rows is what `generation` stands
        for (server.reference_cache may remember it). Not when its snapshot began before a change
        that has since moved the generation on (it would remember old rows under the new
        generation), nor once it wrote (a nested write may have changed them, uncommitted)."""
        if self.connection is None:
            return True  # its snapshot begins after the caller read the generation
        raw = object.__getattribute__(self.connection, "_connection")
        return self._reference_at_start == generation and raw.total_changes == self._changes

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
