"""The bare handler that bench/serving.py measures the product against (issue 15, target 3).

Litestar + Jinja and nothing else: no middleware, no sign-in, no transaction, no
ORM. At start it opens a connection (aiosqlite on SQLite; on PostgreSQL ten
asyncpg connections, since one runs one query at a time, kept in a LIFO queue)
and keeps it; each request runs one raw SELECT of the building's 50 units and
renders them (HTML) or encodes them (JSON, the product's item shape). Nothing
else reaches the database: not asyncpg's pool, whose release runs a reset
statement (a second round trip) and shields a task each time, and cost the
bare handler a fifth more CPU a request (measured 2026-12-07).

Run by bench/serving.py with granian: `--factory bench.bare_app:create_app`,
DATABASE_URL as for the product.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any

from jinja2 import Environment, select_autoescape
from litestar import Litestar, Response, get
from litestar.enums import MediaType

SQL = ('SELECT "id", "building", "number", "floor", "unit_type", "status" FROM "unit"'
       ' WHERE "building" = {} ORDER BY "floor", "number" LIMIT 50')

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ name }}</title></head>
<body><h1>{{ name }}</h1>
<section id="units">
{% for unit in units %}
  <a class="unit-tile" href="/admin/units/{{ unit.id }}/edit"><span class="num">{{ unit.number }}</span>
  <span class="chip">{{ unit.floor }}F {{ unit.status }}</span></a>
{% endfor %}
</section></body></html>
"""

_template = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE)


class _Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:")
        self.connection: Any = None

    async def open(self) -> None:
        if self.sqlite:
            import aiosqlite

            self.connection = await aiosqlite.connect(self.url[len("sqlite:///"):])
            self.connection.row_factory = aiosqlite.Row
        else:
            import asyncpg

            self.connection = asyncio.LifoQueue()
            for _ in range(10):
                self.connection.put_nowait(await asyncpg.connect(self.url))

    async def close(self) -> None:
        if self.sqlite:
            await self.connection.close()
        else:
            while not self.connection.empty():
                await self.connection.get_nowait().close()

    async def units(self, building_id: int) -> list[dict]:
        if self.sqlite:
            rows = await self.connection.execute_fetchall(SQL.format("?"), (building_id,))
        else:
            connection = await self.connection.get()
            try:
                rows = await connection.fetch(SQL.format("$1"), building_id)
            finally:
                self.connection.put_nowait(connection)
        return [dict(row) for row in rows]


def create_app() -> Litestar:
    database = _Database(os.environ["DATABASE_URL"])

    @get("/bare/buildings/{building_id:int}", media_type=MediaType.HTML)
    async def page(building_id: int) -> Response:
        units = await database.units(building_id)
        return Response(_template.render(name=f"B{building_id}", units=units), media_type=MediaType.HTML)

    @get("/bare/buildings/{building_id:int}/units")
    async def units(building_id: int) -> dict:
        rows = await database.units(building_id)
        items = [{"id": r["id"], "building_id": r["building"], "number": r["number"], "floor": r["floor"],
                  "unit_type_id": r["unit_type"], "status": r["status"], "handovers": []} for r in rows]
        return {"items": items, "total": len(items)}

    return Litestar(route_handlers=[page, units], on_startup=[database.open], on_shutdown=[database.close],
                    openapi_config=None)
