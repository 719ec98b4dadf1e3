"""PostgreSQL that may go away: Piccolo's engine and transaction made to answer a lost
connection (PostgreSQL stopped, crashed, restarting; its host gone) with DatabaseUnavailable,
which the web layer answers with 503 and a Chinese message (server/web/errors.py), and to
give every connection back to the pool, so the app recovers by itself when PostgreSQL returns
(tests/ops/test_postgres_restart.py)."""
from __future__ import annotations

import logging
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from server.postgres_changes import ChangeListener
from server.postgres_kept import KeptConnections
from server.watched_writes import kinds_written

log = logging.getLogger("server.db")


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached."""


CONNECT_TIMEOUT_SECONDS = 5
"""How long opening a PostgreSQL connection may take: with the database host gone (not just
PostgreSQL stopped, which refuses at once) a request answers 503 in seconds, not asyncpg's minute."""

CONNECTION_LOST = (
    OSError,  # refused, reset, unreachable, and the connect timeout (TimeoutError is an OSError)
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08: the connection does not exist, failed
    asyncpg.exceptions.CannotConnectNowError,  # PostgreSQL is starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # a fast shutdown (pg_ctl stop -m fast) ended the session
    asyncpg.exceptions.CrashShutdownError,  # a crashed backend made PostgreSQL end every session
    # The connection's protocol state is broken: seen when a shutdown's FATAL reached a pooled
    # connection while it sat idle, before its socket's end did. Unusable; the pool drops it.
    asyncpg.exceptions.InternalClientError,
)
"""What asyncpg raises when PostgreSQL is not there: stopped, crashed, restarting."""


def connection_lost(exc: BaseException, connection: Any = None) -> bool:
    """Whether `exc` means the database went away (rather than a bad query or a broken rule)."""
    if isinstance(exc, CONNECTION_LOST):
        return True
    # Using a connection asyncpg already saw die raises a plain InterfaceError ("connection
    # is closed"); the same class also means API misuse, so ask the connection itself.
    return isinstance(exc, asyncpg.exceptions.InterfaceError) and connection is not None and _is_closed(connection)


def _is_closed(connection: Any) -> bool:
    try:
        return connection.is_closed()
    except asyncpg.exceptions.InterfaceError:
        return True  # a pool's proxy detached from its connection: asyncpg released it when it died


class _UnavailableWhenLost:
    """Re-raise a lost connection as DatabaseUnavailable, which the web layer answers with 503.
    A class rather than a @contextmanager: every query enters one, and a generator's setup cost
    more than the check."""

    __slots__ = ("connection",)

    def __init__(self, connection: Any = None) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> bool:
        if isinstance(exc, Exception) and not isinstance(exc, DatabaseUnavailable) and connection_lost(
                exc, self.connection):
            raise DatabaseUnavailable(f"The database cannot be reached: {exc!r}") from exc
        return False  # anything else goes on as it was


class ResilientPostgresTransaction(PostgresTransaction):
    """Piccolo's PostgreSQL transaction, for a database that goes away.

    When PostgreSQL dies mid-transaction, Piccolo's own tries a ROLLBACK on the dead
    connection and raises *its* error ("the underlying connection is closed", an
    InterfaceError: a 500) in place of the request's, and it gives the connection
    back to the pool only when BEGIN and COMMIT or ROLLBACK succeed. asyncpg takes
    back a connection that died by itself, but not one that failed otherwise (a
    BEGIN refused by a broken protocol state). Here the request's own error is
    kept, a lost connection is raised as DatabaseUnavailable (503), and the
    connection always goes back: asyncpg drops a dead one and connects anew on the
    next acquire. Nothing half-written stays: PostgreSQL undoes the open
    transaction of a session that died, and replays only committed ones after a crash.
    """

    wrote: frozenset[str] = frozenset()
    """The kinds of remembered rows (server/watched_writes.py) a statement of this transaction changed
    (see _run)."""

    async def get_connection(self) -> Any:
        if self.engine.pool:
            return await self.engine.kept.acquire(self.engine.pool)
        return await self.engine.get_new_connection()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        with _UnavailableWhenLost():
            self.connection = await self.get_connection()
        try:
            with _UnavailableWhenLost(self.connection):
                self.transaction = self.connection.transaction()
                await self.begin()
        except BaseException:
            await self._give_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: BaseException | None, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            with _UnavailableWhenLost(self.connection):
                if exception is not None:
                    if not self._rolled_back:
                        await self._rollback_keeping(exception)
                elif not self._committed and not self._rolled_back:
                    await self.commit()
                    for kind in self.wrote:
                        self.engine.changes.changed_here(kind)
            self._ended = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back()
        if exception is not None and not isinstance(exception, DatabaseUnavailable) \
                and connection_lost(exception, self.connection):
            # A raw asyncpg error from a statement run on the connection directly (a savepoint).
            raise DatabaseUnavailable(f"The database cannot be reached: {exception!r}") from exception
        return exception is None

    async def _rollback_keeping(self, exception: BaseException) -> None:
        """Roll back; when that fails too, the first error is the one to report."""
        try:
            await self.rollback()
        except Exception as rollback_error:  # noqa: BLE001 - the request's own error wins
            if not connection_lost(rollback_error, self.connection):
                log.warning("Rollback failed after %r: %r", exception, rollback_error)

    _ended = False  # committed or rolled back here, the connection left clean

    async def _give_back(self) -> None:
        """Return the connection to the pool whatever state it is in (asyncpg resets a
        live one, and terminates one it cannot reset, freeing its place in the pool); one
        left clean is kept at hand (server/postgres_kept.py)."""
        try:
            if self.engine.pool:
                await self.engine.kept.release(self.engine.pool, self.connection, clean=self._ended)
            else:
                await self.connection.close()
        except Exception:  # noqa: BLE001 - the connection is dead; it is gone either way
            if not self.engine.pool:
                self.connection.terminate()


class ResilientPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine with ResilientPostgresTransaction, a lost connection
    raised as DatabaseUnavailable by every query, and the generations of what a process
    remembers (server/postgres_changes.py) kept by a listening connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes = ChangeListener(self.config)
        self.kept = KeptConnections()

    def generation(self, kind: str) -> int | None:
        return self.changes.generation(kind)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ResilientPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def run_querystring(self, querystring: Any, in_pool: bool = True) -> Any:
        # Piccolo's own, with _run's additions.
        query, query_args = querystring.compile_string(engine_type=self.engine_type)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        response = await self._run(query, query_args, in_pool)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def _run_in_pool(self, query: str, args: Any = None) -> Any:
        # Piccolo's own borrows from asyncpg's pool each time; see server/postgres_kept.py.
        connection = await self.kept.acquire(self.pool)
        clean = False
        try:
            response = await connection.fetch(query, *(args or ()))
            clean = True
            return response
        finally:
            await self.kept.release(self.pool, connection, clean=clean)

    async def close_connection_pool(self) -> None:
        if self.pool:
            await self.kept.close(self.pool)
        await super().close_connection_pool()

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._run(ddl, (), in_pool)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def _run(self, query: str, args: Any, in_pool: bool) -> Any:
        """Run on the transaction's connection, else a pooled one; a lost connection is
        DatabaseUnavailable, and a change to a watched table (server/watched_writes.py) counts in
        this process (at once, or when its transaction commits)."""
        current = self.current_transaction.get()
        with _UnavailableWhenLost(current.connection if current is not None else None):
            if current is not None:
                response = await current.connection.fetch(query, *args)
            elif in_pool and self.pool:
                response = await self._run_in_pool(query, args)
            else:
                response = await self._run_in_new_connection(query, args)
        for kind in kinds_written(query):
            if current is not None:
                current.wrote = current.wrote | {kind}
            else:
                self.changes.changed_here(kind)
        return response
