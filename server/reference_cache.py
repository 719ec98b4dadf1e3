"""Reference rows remembered between requests: projects, buildings, unit types, parties, trade
assignments (server/watched_writes.py REFERENCE). Most pages read some of them and an admin
changes them a few times a day; a building's page read four of them in four queries on
every visit (bench/serving.py, issue 15).

A reader decorated with `remembered` keeps its answer, per arguments, with the reference
generation read before its query (server.db.generation), and gives it again only while
that generation is unchanged. Any process that commits a change to one of those tables
moves the generation on (SQLite: a mapped file; PostgreSQL: a trigger's NOTIFY), so the
next call, in every process, reads the database again. Where the generation cannot be
known, or inside a write transaction (whose own uncommitted changes no other request sees),
nothing is remembered or given from memory.

What a remembered reader returns is shared by every later caller: it must return values
nobody changes (tuples, strings, numbers; a dict only if no caller writes to it).
"""
from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any, Awaitable, Callable, TypeVar

from server import db
from server.watched_writes import REFERENCE, REFERENCE_TABLE_NAMES

T = TypeVar("T")

REMEMBERED_PER_READER = 1_000
"""Answers one reader keeps (one per project, building or kind asked for); past that it starts
afresh, so memory stays bounded whatever the number of buildings."""


def remembered(reader: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """`reader` (an async function of hashable arguments that reads only reference tables),
    answering from memory while the reference rows are unchanged."""
    # {arguments: (generation, answer)} of one engine: tests and tools that switch databases
    # must not see another one's rows.
    memory: dict[str, Any] = {"engine": None, "answers": {}}

    @functools.wraps(reader)
    async def read(*args: Any, **kwargs: Any) -> T:
        generation = db.generation(REFERENCE)
        if generation is None or not db.sees_reference(generation):
            return await reader(*args, **kwargs)
        if memory["engine"] is not db.engine():
            memory["engine"], memory["answers"] = db.engine(), {}
        answers = memory["answers"]
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        known = answers.get(key)
        if known is not None and known[0] == generation:
            return known[1]
        # Remembered under the generation read before the query: a change committed since is in
        # the answer or not, but has moved the generation on, so this answer is never given again.
        answer = await reader(*args, **kwargs)
        if len(answers) >= REMEMBERED_PER_READER:
            answers.clear()
        answers[key] = (generation, answer)
        return answer

    read.uncached = reader  # type: ignore[attr-defined]
    return read


@remembered
async def _row_by_id(table: Any, object_id: Any) -> MappingProxyType | None:
    found = await db.raw_rows(table, db.by_id_sql(table), object_id)
    return MappingProxyType(found[0]) if found else None


async def reference_by_id(table: Any, object_id: Any) -> Any | None:
    """`db.get_by_id` for a reference table (a project, a building...), from memory while unchanged:
    a new object each call, so a caller may change it without touching what is remembered."""
    if table._meta.tablename not in REFERENCE_TABLE_NAMES:
        raise ValueError(f"{table._meta.tablename} is not a reference table (server/watched_writes.py)")
    row = await _row_by_id(table, object_id)
    return db.loaded(table, row) if row is not None else None
