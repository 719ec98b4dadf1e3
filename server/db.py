"""Database engine set-up and the transaction helpers every service uses.

SQLite (the embedded default) runs on `server.sqlite_engine.TunedSQLiteEngine`,
PostgreSQL on `server.postgres_engine.ResilientPostgresEngine`; this module picks
one and gives the services what they use on either: transactions, row locks,
the database's clock, and the helpers for hot reads (`Row`, `get_by_id`,
`built_once`, `ids_in`).
"""
from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import datetime, timezone
from functools import lru_cache
from string import Formatter
from typing import Any, Awaitable, Callable, Iterable

from piccolo.columns.combination import WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.postgres_engine import CONNECT_TIMEOUT_SECONDS, DatabaseUnavailable, ResilientPostgresEngine  # noqa: F401
from server.settings import Settings, get_settings
from server.sqlite_engine import SQLITE_BUSY_TIMEOUT_SECONDS, LazyReadTransaction, TunedSQLiteEngine  # noqa: F401
from server.watched_writes import CREDENTIALS


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
    """Around a request's reads (GET): on SQLite one connection for all of them (Piccolo's
    SQLite engine otherwise opens a new connection for every query).

    On PostgreSQL nothing: at READ COMMITTED each statement sees what was committed when
    it started, inside a transaction or not, so one would add only its BEGIN and COMMIT,
    two round trips per request (a third of a 50-row JSON list's time, bench/serving.py);
    each query borrows a pooled connection instead. A write in a GET still opens its own
    `write_transaction()`."""
    db = engine()
    if isinstance(db, TunedSQLiteEngine):
        return LazyReadTransaction(engine=db, transaction_type=TransactionType.deferred)
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.deferred)
    return contextlib.nullcontext()


def generation(kind: str) -> bytes | int | None:
    """The generation now of one kind of watched rows (server/watched_writes.py), or None when
    it cannot be known: rows remembered under the same generation are still what the database
    holds (SQLite: server.sqlite_engine._Generation; PostgreSQL: server.postgres_changes)."""
    db = engine()
    if isinstance(db, (TunedSQLiteEngine, ResilientPostgresEngine)):
        return db.generation(kind)
    return None


def credentials_generation() -> bytes | int | None:
    """The generation of users, sessions and tokens (what a remembered sign-in is checked against)."""
    return generation(CREDENTIALS)


def sees_reference(generation_now: bytes | int) -> bool:
    """Whether the reference rows this request reads now are those of `generation_now`
    (server.reference_cache may remember them): outside any transaction (PostgreSQL's reads
    take none: each statement sees what is committed), or in a GET's read transaction on
    SQLite whose snapshot is not older than the generation and which wrote nothing. Never
    inside a write transaction, whose own uncommitted changes only it can see."""
    db = engine()
    current = db.current_transaction.get()
    if current is None:
        return True
    return isinstance(current, LazyReadTransaction) and current.sees_reference(generation_now)


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
    if isinstance(db, ResilientPostgresEngine):
        await db.changes.start()


async def close_pool() -> None:
    db = engine()
    if isinstance(db, ResilientPostgresEngine):
        await db.changes.stop()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, TunedSQLiteEngine):
        await db.close_pool()


async def refresh_statistics() -> None:
    """Give SQLite's query planner table statistics (ANALYZE, sampled: a few ms).

    Without them SQLite guesses, and on a grown database it guessed wrong
    (bench/inspections.py: a 15 ms scan instead of a 0.1 ms index lookup).
    Run at start and hourly by the worker; PostgreSQL's autovacuum does this itself.
    The sample is 20,000 index entries: with 1,000 SQLite took a defect status (3 values
    among 400,000 defects) for as selective as a construction unit and read every open
    defect for one contractor's list; 20,000 gets the order right at 0.1 s on 400,000
    defects (bench/inspections.py), where a full ANALYZE takes 0.7 s.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA analysis_limit = 20000")
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
def by_id_sql(table: Any) -> str:
    columns = ", ".join(f'"{c._meta.db_column_name}" AS "{c._meta.name}"' for c in table._meta.columns)
    return f'SELECT {columns} FROM "{table._meta.tablename}" WHERE "id" = {{}} LIMIT 1'


async def raw_rows(table: Any, template: str, *args: Any, read_only: bool = False) -> list[Any]:
    """`table.raw(template, *args).run()`: the rows as dicts. On PostgreSQL the statement goes
    straight to the engine, numbered once per template: Piccolo's Raw query, its template
    parsed and its results processed on every call, cost a fifth of a short query's CPU
    (bench/serving.py's 50-row list). The engine's `_run` still picks the transaction's
    connection or a pooled one, answers a lost connection with 503 and counts watched writes.

    `read_only`: on PostgreSQL the rows are asyncpg's Records as they come, not dicts. A Record
    reads like a dict (`row["name"]`, `.get`, `.keys()`, `.items()`) but cannot be changed or read
    as `row.name`: for hot lists whose rows are only read to build something else, where turning
    50 rows into dicts cost a tenth of the JSON list's request."""
    db = engine()
    if isinstance(db, ResilientPostgresEngine):
        records = await db._run(_numbered(template), args, True)  # noqa: SLF001
        return records if read_only else [dict(row) for row in records]
    return await table.raw(template, *args).run()


@lru_cache(maxsize=1024)
def _numbered(template: str) -> str:
    """A `Table.raw` template with PostgreSQL's placeholders ($1, $2, …) for its `{}`s, as Piccolo's
    QueryString.compile_string numbers them (its text read by the same string.Formatter)."""
    parts, number = [], 0
    for literal, field, _, _ in Formatter().parse(template):
        parts.append(literal)
        if field is not None:
            number += 1
            parts.append(f"${number}")
    return "".join(parts)


async def get_by_id(table: Any, object_id: Any) -> Any | None:
    """`table.objects().get(table.id == object_id)`, with the SQL written once per table:
    building Piccolo's query cost more than running it (~0.1 ms; every page fetches its
    object through an access helper)."""
    found = await raw_rows(table, by_id_sql(table), object_id)
    return loaded(table, found[0]) if found else None


def loaded(table: Any, row: Any) -> Any:
    """`table(**row, _exists_in_db=True)` for a row of every column by name (by_id_sql's), without
    Piccolo's __init__, which looks up each column's default and sets it through its descriptor
    (~13 µs an object; a page makes a few). Each column's descriptor keeps its value in the
    object's __dict__ under the column's name, which is what this fills in."""
    obj = table.__new__(table)
    obj.__dict__.update(row)
    obj._exists_in_db = True
    obj._was_created = None
    return obj


class Value:
    """Stands for a call's n-th value while a query is built and compiled (`built_once`, `template_of`)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


_PLACEHOLDER = re.compile(r"\?|\$\d+")


def template_of(query: Any, engine_type: str) -> tuple[str, list[Any]]:
    """A Piccolo query compiled for `engine_type`, as a `Table.raw` template ("{}" where each parameter
    goes) and its parameters, among them the `Value`s it was built with, for the caller to fill in."""
    sql, args = query.querystrings[0].compile_string(engine_type=engine_type)
    if len(_PLACEHOLDER.findall(sql)) != len(args) or "{" in sql or "}" in sql:
        raise ValueError(f"template_of: cannot tell the parameters of {sql!r}")
    return _PLACEHOLDER.sub("{}", sql), list(args)


def built_once(build: Callable[..., Any] | None = None, *, read_only: bool = False) -> Any:
    """A Piccolo query for a hot path, built and compiled once, then run with each call's values.

    `build(*values, **fixed)` returns the query; `values` may only be compared with
    (`Unit.building == building`), while `fixed` may change its shape (a limit, an
    order) and each distinct `fixed` is compiled once. Building a select anew cost
    ~0.2 ms and a count ~0.15 ms, more than running them (a 50-row list: a quarter of
    its time). The rows are dicts, as from `select()`; with `@built_once(read_only=True)`,
    mappings to read and not change (raw_rows' `read_only`).
    """
    if build is None:
        return lambda build: built_once(build, read_only=read_only)
    compiled: dict[tuple, tuple[Any, str, list[int]]] = {}

    async def run(*values: Any, **fixed: Any) -> list[Any]:
        key = (engine().engine_type, *sorted(fixed.items()))
        entry = compiled.get(key)
        if entry is None:
            query = build(*[Value(i) for i in range(len(values))], **fixed)
            template, args = template_of(query, key[0])
            if not all(isinstance(arg, Value) for arg in args):
                raise ValueError(f"built_once: every value of {build.__name__} must be a compared value")
            entry = compiled[key] = (query.table, template, [arg.index for arg in args])
        table, template, order = entry
        return await raw_rows(table, template, *[values[i] for i in order], read_only=read_only)

    run.__name__ = build.__name__
    return run


def ids_in(column: Any, ids: Iterable[Any]) -> Any:
    """`column.is_in(ids)` for a page's ids (a defect list's 100), cheaper to build: Piccolo makes each
    id a parameter, ~0.4 ms a query on either database, more than running it. PostgreSQL gets the ids
    as one array parameter (`= ANY`); SQLite, which has no arrays, gets them written into the statement,
    each through int() so nothing but a number goes in. No ids: nothing matches."""
    values = [int(value) for value in ids]
    if not values:
        return WhereRaw("FALSE")
    name = column._meta.get_full_name(with_alias=False)
    if engine().engine_type == "postgres":
        return WhereRaw(f"{name} = ANY({{}})", values)
    return WhereRaw(f"{name} IN ({', '.join(map(str, values))})")


def rows(selected: list[dict]) -> list[Row]:
    return [Row(row) for row in selected]


def newest_by(rows: Any, key: str = "unit") -> dict:
    """The last row for each value of `key`, from rows ordered oldest first (by id): the
    record in force when corrections are new rows. Rows may be dicts or table objects."""
    newest: dict = {}
    for row in rows:
        newest[row[key] if isinstance(row, dict) else getattr(row, key)] = row
    return newest
