"""The generations of what a web process remembers, on PostgreSQL: what lets it remember a
sign-in, or a building's reference rows, without missing a change made by any process, on
any machine (server/watched_writes.py names the two kinds and their tables).

Triggers on the tables of each kind send `NOTIFY <kind>_changed` with every statement that
changes them (credentials: accounts migration of 2026-12-06; reference rows: inspections
migration of 2026-12-07), delivered when its transaction commits; the sender may be this
app, another web process, a worker or an operator's psql. Each process keeps one
connection LISTENing to both channels (outside the pool) and counts each channel's
notifications: the count is the generation that accounts.services and
server.reference_cache compare with the one they remembered a value under (as the mapped
files do on SQLite, server.sqlite_engine._Generation).

Where PostgreSQL cannot vouch, there is no generation and every value is looked up:
- while the listening connection is down (and until it is back, which also starts a new
  generation: notifications sent meanwhile are lost);
- while a notification (of either kind) has reached the connection's socket but not yet
  been counted: a `poll` of the socket (one system call, no wait) sees it there. So a
  credential revoked and committed anywhere is not trusted from memory once its
  notification has arrived, which PostgreSQL sends at the commit, before the revoking
  request has answered.
A change committed by this process counts at once, without waiting for its own notice.
"""
from __future__ import annotations

import asyncio
import logging
import select
from typing import Any

import asyncpg

from server.watched_writes import CREDENTIALS, REFERENCE, REFERENCE_TABLE_NAMES

log = logging.getLogger("server.db")

CHANNELS = {CREDENTIALS: "credentials_changed", REFERENCE: "reference_changed"}
RECONNECT_SECONDS = 1.0


def _notify_triggers(channel: str, tables: tuple[str, ...]) -> list[str]:
    """A function sending NOTIFY `channel`, and a statement trigger calling it on each table (PostgreSQL
    folds repeated notices of one transaction into one)."""
    return [
        f"""CREATE OR REPLACE FUNCTION {channel}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{channel}', '');
        RETURN NULL;
    END $$""",
        *(statement for table in tables for statement in (
            f'DROP TRIGGER IF EXISTS {table}_{channel} ON "{table}"',
            f'CREATE TRIGGER {table}_{channel} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"'
            f" FOR EACH STATEMENT EXECUTE FUNCTION {channel}_notify()",
        )),
    ]


TRIGGER_STATEMENTS = _notify_triggers(CHANNELS[CREDENTIALS], ("app_user", "user_session", "api_token"))
"""Run by the accounts migration of 2026-12-06 on PostgreSQL."""

REFERENCE_TRIGGER_STATEMENTS = _notify_triggers(CHANNELS[REFERENCE], REFERENCE_TABLE_NAMES)
"""Run by the inspections migration of 2026-12-07 on PostgreSQL (after trade_assignment exists)."""


class ChangeListener:
    """One LISTENing connection and the count of the notices it has had on each channel."""

    def __init__(self, connect_config: dict[str, Any]) -> None:
        self._config = connect_config
        self._connection: asyncpg.Connection | None = None
        self._poller: select.poll | None = None
        self._counts = dict.fromkeys(CHANNELS, 0)
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

    def generation(self, kind: str) -> int | None:
        """The count of changes of this kind seen, or None when it cannot be trusted now."""
        connection, poller = self._connection, self._poller
        if connection is None or poller is None or connection.is_closed():
            return None
        if poller.poll(0):  # a notice (or the connection's end) is waiting to be read
            return None
        return self._counts[kind]

    def changed_here(self, kind: str) -> None:
        """This process committed a change to a table of this kind."""
        self._counts[kind] += 1

    async def _connect(self) -> None:
        connection = await asyncpg.connect(**self._config)
        for kind, channel in CHANNELS.items():
            await connection.add_listener(channel, self._notified)
        connection.add_termination_listener(self._lost)
        poller = select.poll()
        poller.register(connection._transport.get_extra_info("socket").fileno(), select.POLLIN)  # noqa: SLF001
        for kind in self._counts:  # changes made while nobody listened are unknown: a new generation
            self._counts[kind] += 1
        self._connection, self._poller = connection, poller

    def _notified(self, _connection: Any, _pid: int, channel: str, _payload: str) -> None:
        for kind, name in CHANNELS.items():
            if name == channel:
                self._counts[kind] += 1

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
