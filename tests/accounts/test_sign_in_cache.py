"""The sign-in check remembers a credential it has seen (SQLite), never past a change.

Any change to a user, a session or a token, committed in any process, makes every
process look in the database again (server.db.credentials_generation).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server import db
from server.accounts.services import (
    session_create, sign_out_everywhere, token_create, user_for_session, user_for_token, user_update,
)
from server.db import TunedSQLiteEngine, engine

sqlite_only = pytest.mark.skipif(not isinstance(engine(), TunedSQLiteEngine), reason="SQLite-specific")

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
    original = TunedSQLiteEngine.fetch

    async def fetch(self, connection, query, args):
        queries.append(query)
        return await original(self, connection, query, args)

    monkeypatch.setattr(TunedSQLiteEngine, "fetch", fetch)
    return queries


@sqlite_only
async def test_a_known_token_is_checked_without_a_query(personas, monkeypatch):
    token = await token_create(personas.user("carol"))
    assert (await user_for_token(token)).username == "carol"
    queries = counting_queries(monkeypatch)
    for _ in range(3):
        async with db.read_transaction():
            assert (await user_for_token(token)).username == "carol"
    assert queries == []


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
