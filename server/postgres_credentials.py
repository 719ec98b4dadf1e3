"""The credentials' generation on PostgreSQL: what lets a web process remember a sign-in
without missing a change made by any process, on any machine.

Triggers on the user, session and token tables (accounts migration of 2026-12-06) send
`NOTIFY credentials_changed` with every statement that changes them, delivered when its
transaction commits; the sender may be this app, another web process, a worker or an
operator's psql. Each process keeps one connection LISTENing (outside the pool) and
counts the notifications: the count is the generation that accounts.services compares
with the one it remembered a credential under (as the mapped file does on SQLite,
server.sqlite_engine._Generation).

Where PostgreSQL cannot vouch, there is no generation and every sign-in is looked up:
- while the listening connection is down (and until it is back, which also starts a new
  generation: notifications sent meanwhile are lost);
- while a notification has reached the connection's socket but not yet been counted:
  a `poll` of the socket (one system call, no wait) sees it there. So a credential
  revoked and committed anywhere is not trusted from memory once its notification has
  arrived, which PostgreSQL sends at the commit, before the revoking request has answered.
A change committed by this process counts at once, without waiting for its own notice.
"""
from __future__ import annotations

import asyncio
import logging
import select
from typing import Any

import asyncpg

log = logging.getLogger("server.db")

CHANNEL = "credentials_changed"
RECONNECT_SECONDS = 1.0

TRIGGER_STATEMENTS = [
    f"""CREATE OR REPLACE FUNCTION credentials_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{CHANNEL}', '');
        RETURN NULL;
    END $$""",
    *(statement for table in ("app_user", "user_session", "api_token") for statement in (
        f'DROP TRIGGER IF EXISTS {table}_credentials_changed ON "{table}"',
        f'CREATE TRIGGER {table}_credentials_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"'
        f" FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed_notify()",
    )),
]
"""Run by the accounts migration on PostgreSQL (PostgreSQL folds repeated notices of one
transaction into one)."""


class CredentialsListener:
    """One LISTENing connection and the count of the notices it has had."""

    def __init__(self, connect_config: dict[str, Any]) -> None:
        self._config = connect_config
        self._connection: asyncpg.Connection | None = None
        self._poller: select.poll | None = None
        self._count = 0
        self._reconnecting: asyncio.Task | None = None
        self._stopped = False

    async def start(self) -> None:
        self._stopped = False
        try:
            await self._connect()
        except Exception as exc:  # noqa: BLE001 - no generation until it connects: every sign-in is looked up
            log.warning("Cannot listen for credential changes (%r); retrying", exc)
            self._reconnect_later()

    async def stop(self) -> None:
        self._stopped = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            self._reconnecting = None
        connection, self._connection, self._poller = self._connection, None, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=2)
            except Exception:  # noqa: BLE001 - closing a connection that is going anyway
                connection.terminate()

    def generation(self) -> int | None:
        """The count of changes seen, or None when it cannot be trusted now."""
        connection, poller = self._connection, self._poller
        if connection is None or poller is None or connection.is_closed():
            return None
        if poller.poll(0):  # a notice (or the connection's end) is waiting to be read
            return None
        return self._count

    def changed_here(self) -> None:
        """This process committed a change to a credential table."""
        self._count += 1

    async def _connect(self) -> None:
        connection = await asyncpg.connect(**self._config)
        await connection.add_listener(CHANNEL, self._notified)
        connection.add_termination_listener(self._lost)
        poller = select.poll()
        poller.register(connection._transport.get_extra_info("socket").fileno(), select.POLLIN)  # noqa: SLF001
        self._count += 1  # changes made while nobody listened are unknown: a new generation
        self._connection, self._poller = connection, poller

    def _notified(self, *_: Any) -> None:
        self._count += 1

    def _lost(self, *_: Any) -> None:
        self._connection, self._poller = None, None
        if not self._stopped:
            log.warning("Lost the connection listening for credential changes; reconnecting")
            self._reconnect_later()

    def _reconnect_later(self) -> None:
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self._stopped and self._connection is None:
            await asyncio.sleep(RECONNECT_SECONDS)
            try:
                await self._connect()
            except Exception:  # noqa: BLE001 - PostgreSQL still away: try again
                continue
