"""`?limit=&offset=` paging shared by every list (API and pages)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


async def paged(query: Any, count_query: Any, page: Page) -> dict:
    """Run a select with limit/offset and its count: {"items", "total", "limit", "offset"}."""
    items = await query.limit(page.limit).offset(page.offset).run()
    total = await count_query.run()
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
