"""`?limit=&offset=` paging shared by every list (API and pages)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @staticmethod
    def of(limit: Any = None, offset: Any = None) -> "Page":
        def _int(value: Any, default: int) -> int:
            try:
                return int(value)
            except (TypeError, ValueError):
                return default

        return Page(
            limit=min(max(_int(limit, DEFAULT_LIMIT), 1), MAX_LIMIT),
            offset=max(_int(offset, 0), 0),
        )


COUNT_BOUND = 10_000
"""Long lists count their matches exactly up to this many; beyond it `total` is this bound and
`total_is_lower_bound` is true. A COUNT(*) over the millions of defects of a large developer on every
request was the cost that grew with the data (bench/inspections.py); counting to the bound reads at most
this many index entries."""


async def bounded_total(count_query: Any, page: Page | None = None) -> tuple[int, bool]:
    """(total, total_is_lower_bound) for a Piccolo `Table.count().where(…)`: its matches counted up to
    COUNT_BOUND, or to the end of `page` when that lies further (a deep page still knows where it is)."""
    return await count_matches_up_to(count_query, max(COUNT_BOUND, page.offset + page.limit if page else 0))


async def count_matches_up_to(count_query: Any, bound: int) -> tuple[int, bool]:
    """(the matches of a Piccolo `Table.count().where(…)` counted up to `bound`, whether there are more)."""
    return await _count_of(matching_up_to(count_query, bound), bound)


def matching_up_to(count_query: Any, bound: int) -> Any:
    """The keys of the rows a Piccolo `Table.count().where(…)` counts, no more than `bound` + 1: counted,
    they say whether there are more than `bound`, and the database stops reading there."""
    table = count_query.table
    matching = table.select(table._meta.primary_key).limit(bound + 1)
    matching.where_delegate._where = count_query.where_delegate._where  # as Piccolo's own Count builds its select
    return matching


async def count_up_to(select_query: Any, bound: int) -> tuple[int, bool]:
    """(rows of a Piccolo select counted up to `bound`, whether there are more): the database stops reading
    at bound + 1 rows."""
    return await _count_of(select_query.limit(bound + 1), bound)


async def _count_of(limited: Any, bound: int) -> tuple[int, bool]:
    [row] = await limited.table.raw("SELECT COUNT(*) AS n FROM ({}) AS matching", limited.querystrings[0]).run()
    return min(row["n"], bound), row["n"] > bound


def total_shown_by(fetched: int, page: Page) -> int | None:
    """The exact total when a page read with one row beyond its limit shows it, else None.

    Read `limit + 1` rows: when no more than `limit` came back, nothing follows them, and
    unless the page lies past the end (no rows at an offset) the total is offset + rows. A
    list that fits on its page (a building's units, a day's appointments) then needs no count."""
    if fetched <= page.limit and (fetched or not page.offset):
        return page.offset + fetched
    return None


async def total_or_count(fetched: int, page: Page, count: Callable[[], Awaitable[int]]) -> int:
    """The total a page read with one row beyond its limit shows (`total_shown_by`), else `count()`'s."""
    total = total_shown_by(fetched, page)
    return total if total is not None else await count()


async def rows_and_total(query: Any, count_query: Any, page: Page) -> tuple[list, int, bool]:
    """(the page's rows, total, total_is_lower_bound) of a select and its `Table.count()`: the rows read
    with one beyond the limit, and counted (`bounded_total`) only when they do not show the total."""
    rows = await query.limit(page.limit + 1).offset(page.offset).run()
    total = total_shown_by(len(rows), page)
    if total is not None:
        return rows[:page.limit], total, False
    return (rows[:page.limit], *await bounded_total(count_query, page))


async def paged(query: Any, count_query: Any, page: Page) -> dict:
    """A select's page: {"items", "total", "total_is_lower_bound", "limit", "offset"} (`rows_and_total`)."""
    items, total, lower_bound = await rows_and_total(query, count_query, page)
    return {"items": items, "total": total, "total_is_lower_bound": lower_bound, "limit": page.limit,
            "offset": page.offset}
