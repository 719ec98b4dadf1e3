"""The sign-in check remembers a credential it has seen, never past a change.

Any change to a user, a session or a token, committed in any process, makes every
process look in the database again (server.db.credentials_generation): on SQLite
through a mapped file, on PostgreSQL through LISTEN/NOTIFY.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from server import db
from server.accounts.services import (
    session_create, sign_out_everywhere, token_create, user_for_session, user_for_token, user_update,
)
from server.db import ResilientPostgresEngine, TunedSQLiteEngine, credentials_generation, engine

postgres_only = pytest.mark.skipif(not isinstance(engine(), ResilientPostgresEngine), reason="PostgreSQL-specific")

ELSEWHERE = """
import asyncio, sys
from server import db
async def main():
    await db.start_pool()
    async with db.write_transaction():
        await db.engine().run_ddl(sys.argv[1])
asyncio.run(main())
"""


def in_another_process(sql: str) -> None:
    subprocess.run([sys.executable, "-c", ELSEWHERE, sql], env=dict(os.environ), check=True, timeout=60)


def counting_queries(monkeypatch) -> list[str]:
    queries: list[str] = []
    if isinstance(engine(), TunedSQLiteEngine):
        original = TunedSQLiteEngine.fetch

        async def fetch(self, connection, query, args):
            queries.append(query)
            return await original(self, connection, query, args)

        monkeypatch.setattr(TunedSQLiteEngine, "fetch", fetch)
    else:
        original_run = ResilientPostgresEngine._run

        async def run(self, query, args, in_pool):
            queries.append(query)
            return await original_run(self, query, args, in_pool)

        monkeypatch.setattr(ResilientPostgresEngine, "_run", run)
    return queries


async def settled() -> None:
    """Until the notices of the changes just made have come back (PostgreSQL: they
    arrive after the commit, each a new generation; on SQLite at once)."""
    for _ in range(200):
        before = credentials_generation()
        await asyncio.sleep(0.01)
        if before is not None and credentials_generation() == before:
            return
    raise AssertionError("the credentials' generation never settled")


async def test_a_known_token_is_checked_without_a_query(personas, monkeypatch):
    token = await token_create(personas.user("carol"))
    await settled()
    assert (await user_for_token(token)).username == "carol"
    queries = counting_queries(monkeypatch)
    for _ in range(3):
        async with db.read_transaction():
            assert (await user_for_token(token)).username == "carol"
    assert [q for q in queries if "api_token" in q] == []


async def test_signing_out_is_seen_by_the_next_check(personas):
    carol = personas.user("carol")
    token, session = await token_create(carol), await session_create(carol)
    assert await user_for_token(token) is not None and await user_for_session(session) is not None
    await sign_out_everywhere(carol)
    assert await user_for_token(token) is None
    assert await user_for_session(session) is None


async def test_a_new_role_and_a_deactivation_are_seen_by_the_next_check(personas):
    carol = personas.user("carol")
    token = await token_create(carol)
    assert (await user_for_token(token)).role == "cs_staff"
    await user_update(actor=personas.user("alice"), user_id=carol.id, role="inspector")
    assert (await user_for_token(token)).role == "inspector"
    token = await token_create(carol)
    assert await user_for_token(token) is not None
    await user_update(actor=personas.user("alice"), user_id=carol.id, is_active=False)
    assert await user_for_token(token) is None


async def test_a_change_committed_by_another_process_is_seen_by_the_next_check(personas):
    carol = personas.user("carol")
    token, session = await token_create(carol), await session_create(carol)
    assert await user_for_token(token) is not None and await user_for_session(session) is not None

    in_another_process(f'UPDATE "app_user" SET "role" = \'inspector\' WHERE "id" = {carol.id}')
    assert (await user_for_token(token)).role == "inspector"
    in_another_process(f'DELETE FROM "user_session" WHERE "user" = {carol.id}')
    assert await user_for_session(session) is None
    in_another_process(f'DELETE FROM "api_token" WHERE "user" = {carol.id}')
    assert await user_for_token(token) is None


@postgres_only
async def test_without_its_listening_connection_a_process_trusts_no_remembered_sign_in(personas, monkeypatch):
    """PostgreSQL: while the connection that hears of changes is down, notices are lost,
    so every check looks in the database; back, it starts a new generation."""
    carol = personas.user("carol")
    token = await token_create(carol)
    await settled()
    assert await user_for_token(token) is not None
    listener = engine().changes
    pid = listener._connection.get_server_pid()  # noqa: SLF001
    in_another_process(f"SELECT pg_terminate_backend({pid})")
    for _ in range(100):  # until asyncpg has noticed
        if listener._connection is None:  # noqa: SLF001
            break
        await asyncio.sleep(0.01)
    assert credentials_generation() is None
    queries = counting_queries(monkeypatch)
    assert await user_for_token(token) is not None
    assert len([q for q in queries if "api_token" in q]) == 1

    # Changed while nobody listened: the next check still sees it.
    in_another_process(f'UPDATE "app_user" SET "role" = \'inspector\' WHERE "id" = {carol.id}')
    assert (await user_for_token(token)).role == "inspector"

    for _ in range(500):  # it reconnects by itself
        if credentials_generation() is not None:
            break
        await asyncio.sleep(0.01)
    assert credentials_generation() is not None
    await settled()
    assert (await user_for_token(token)).role == "inspector"
    queries.clear()
    assert (await user_for_token(token)).role == "inspector"
    assert [q for q in queries if "api_token" in q] == []
