"""Idle PostgreSQL connections kept at hand, in front of asyncpg's pool.

Every query outside a transaction borrows a connection and gives it back. Through asyncpg's
pool that costs about 0.045 ms of CPU a query on the 2-core machine (its release shields a new
task, its acquire goes through a queue of holders): a 50-row SELECT took 0.15 ms through the
pool and 0.10 ms on a connection held, and a list's whole request takes 0.5 ms
(bench/serving.py, issue 15). Here a connection given back in a clean state goes onto a list,
and the next query or transaction takes it from there, in this process's event loop, with no
task and no wait.

asyncpg's pool still makes every connection, replaces one that died, resets one given back in
doubt, and closes them all; a connection is taken from it only when the list is empty, and
given back to it when

- the statement failed or was cancelled (asyncpg knows how to clean up after it),
- the connection is closed or still in a transaction (a COMMIT that did not finish),
- someone is waiting in the pool's acquire: a connection on the list would not wake them, and
  with all of the pool's connections lent out they would wait for ever.

So the list never holds more than the pool's `max_size`, and a PostgreSQL restart costs no more
than it did: a dead connection taken from the list is given to asyncpg to drop, the next one
tried (server/postgres_engine.py answers a query that finds its connection dead with 503).
"""
from __future__ import annotations

from typing import Any

import asyncpg


def _usable(connection: Any) -> bool:
    """Open and not inside a transaction. One whose socket closed may already be back in the pool:
    asyncpg gives it back by itself then, and the borrowed handle answers nothing but an error."""
    try:
        return not connection.is_closed() and not connection.is_in_transaction()
    except asyncpg.InterfaceError:
        return False


class KeptConnections:
    def __init__(self) -> None:
        self.idle: list[Any] = []
        self.waiting = 0  # acquirers inside asyncpg's pool.acquire() now

    async def acquire(self, pool: Any) -> Any:
        while self.idle:
            connection = self.idle.pop()
            if _usable(connection):
                return connection
            await pool.release(connection)  # asyncpg drops it (if it has not yet) and connects anew when asked
        self.waiting += 1
        try:
            return await pool.acquire()
        finally:
            self.waiting -= 1

    async def release(self, pool: Any, connection: Any, *, clean: bool) -> None:
        """Give `connection` back: `clean` when what ran on it finished (a statement's rows read,
        a transaction committed or rolled back) and nothing was cut short."""
        if clean and not self.waiting and _usable(connection):
            self.idle.append(connection)
        else:
            await pool.release(connection)

    async def close(self, pool: Any) -> None:
        """Hand every kept connection back to the pool, whose close() waits for all it lent out."""
        idle, self.idle = self.idle, []
        for connection in idle:
            await pool.release(connection)
