"""PostgreSQL connections kept at hand in front of asyncpg's pool (server/postgres_kept.py): reused,
never one in doubt, a dead one never handed out, and a caller waiting on the pool always served."""
import asyncio
import os

import asyncpg
import pytest

from server.db import engine
from server.postgres_engine import DatabaseUnavailable, ResilientPostgresEngine
from server.postgres_kept import KeptConnections

pytestmark = pytest.mark.skipif(not isinstance(engine(), ResilientPostgresEngine), reason="PostgreSQL-specific")

PID = "SELECT pg_backend_pid() AS pid"


async def _pid() -> int:
    return (await engine()._run_in_pool(PID))[0]["pid"]


def _kept_pids() -> list[int]:
    """The backends of the kept connections, oldest first (earlier tests may have left several);
    one asyncpg has taken back already (its socket closed) has none."""
    return [c.get_server_pid() for c in engine().kept.idle if c._con is not None]


async def test_a_query_after_another_runs_on_the_same_connection(migrated_db):
    first = await _pid()
    assert await _pid() == first
    assert _kept_pids()[-1] == first and _kept_pids().count(first) == 1


async def test_a_transaction_takes_the_kept_connection_and_leaves_it_clean(migrated_db):
    db = engine()
    pid = await _pid()
    async with db.transaction():
        assert (await db.run_ddl(PID))[0]["pid"] == pid
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.run_ddl("CREATE TEMPORARY TABLE kept_probe (x int) ON COMMIT DROP")
            raise RuntimeError("a handler's error: rolled back")
    kept = db.kept.idle[-1]
    assert kept.get_server_pid() == pid and not kept.is_in_transaction()


async def test_a_failed_statement_gives_its_connection_back_to_asyncpg(migrated_db):
    db = engine()
    pid = await _pid()
    kept = len(db.kept.idle)
    with pytest.raises(asyncpg.PostgresError):
        await db._run_in_pool("SELECT * FROM no_such_table")  # runs on `pid`'s connection, the last kept
    assert len(db.kept.idle) == kept - 1 and pid not in _kept_pids()


async def test_a_connection_that_died_while_kept_is_not_handed_out(migrated_db):
    db = engine()
    dead = await _pid()
    other = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        assert await other.fetchval("SELECT pg_terminate_backend($1)", dead)
    finally:
        await other.close()
    proxy = db.kept.idle[-1]
    for _ in range(50):  # the event loop reads the server's goodbye
        if proxy._con is None or proxy.is_closed():
            break
        await asyncio.sleep(0.02)
    assert await _pid() != dead


async def test_a_connection_killed_mid_query_answers_503_and_is_not_kept(migrated_db):
    db = engine()
    pid = await _pid()
    other = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        sleeping = asyncio.ensure_future(db._run("SELECT pg_sleep(5)", (), True))
        await asyncio.sleep(0.3)
        assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(DatabaseUnavailable):
            await sleeping
    finally:
        await other.close()
    assert pid not in _kept_pids()
    assert await _pid() != pid


async def test_a_caller_waiting_on_a_full_pool_gets_the_connection_given_back():
    # One connection in all: the second caller waits in asyncpg's acquire, and the first one's
    # release must reach it there, not stay on the list.
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=1)
    kept = KeptConnections()
    try:
        first = await kept.acquire(pool)
        pid = first.get_server_pid()
        second = asyncio.ensure_future(kept.acquire(pool))
        await asyncio.sleep(0.1)
        assert not second.done() and kept.waiting == 1
        await kept.release(pool, first, clean=True)
        got = await asyncio.wait_for(second, 5)
        assert got.get_server_pid() == pid and kept.idle == []
        await kept.release(pool, got, clean=True)
        assert kept.idle == [got]
        await kept.close(pool)
        assert kept.idle == []
    finally:
        await asyncio.wait_for(pool.close(), 10)  # close() waits for every connection lent out
