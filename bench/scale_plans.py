"""The queries behind each list, with their plans and times (bench/inspections.py runs this per database).

`python -m bench.scale_plans TARGETS_JSON PASSWORD` with DATABASE_URL set: serves
the app in this process, signs in, requests each target once while recording
every query Piccolo runs, then runs each recorded query again on its own
connection to the same database: on PostgreSQL `EXPLAIN (ANALYZE, FORMAT JSON)`
(the plan and the time the server measured), on SQLite `EXPLAIN QUERY PLAN`
and the best of 5 timed runs. Prints one JSON list: per target, its queries
with `sql`, `ms` and `plan` (the scans used, in plan order).

Sign-in queries (sessions, tokens, users) are left out: they are the same for
every list and cached (bench/results/serving.md measures them).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
import time
from typing import Any

SIGN_IN_TABLES = ("user_session", "api_token", "app_user", "login_attempt")
TABLE = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)


def _scans_pg(node: dict, found: list[str]) -> list[str]:
    kind = node.get("Node Type", "")
    if "Scan" in kind and kind not in ("Subquery Scan", "CTE Scan", "Function Scan", "Result"):
        target = node.get("Index Name") or node.get("Relation Name") or ""
        joiner = " using " if node.get("Index Name") else " on "
        found.append(f"{kind}{joiner}{target}")
    for child in node.get("Plans", []):
        _scans_pg(child, found)
    return found


def _unique(items: list[str]) -> str:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return "; ".join(seen)



def request_headers(path: str, token: str) -> dict[str, str]:
    """A page is asked for as a browser asks (`Accept: text/html`, so its tab bar's counts are read too,
    server/web/nav.py); the API with the token alone."""
    headers = {"Authorization": f"Bearer {token}"}
    if not path.startswith("/api/"):
        headers["Accept"] = "text/html,application/xhtml+xml"
    return headers

async def _explain_pg(url: str, queries: list[tuple[str, list]]) -> list[dict]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        out = []
        for sql, args in queries:
            [row] = await connection.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
            [plan] = json.loads(row[0])
            out.append({"ms": plan["Execution Time"] + plan.get("Planning Time", 0),
                        "plan": _unique(_scans_pg(plan["Plan"], []))})
        return out
    finally:
        await connection.close()


def _explain_sqlite(path: str, queries: list[tuple[str, list]]) -> list[dict]:
    import piccolo.engine.sqlite  # noqa: F401  registers the adapters Piccolo's arguments need

    connection = sqlite3.connect(path)
    try:
        out = []
        for sql, args in queries:
            plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, args)]
            best = float("inf")
            for _ in range(5):
                started = time.perf_counter()
                connection.execute(sql, args).fetchall()
                best = min(best, time.perf_counter() - started)
            out.append({"ms": best * 1000, "plan": _unique(plan)})
        return out
    finally:
        connection.close()


def _short(sql: str) -> str:
    """The query as a reader scans it: no quotes, one line, the column list elided."""
    text = " ".join(sql.replace('"', "").split())
    text = re.sub(r"^SELECT (?!COUNT).*? FROM ", "SELECT … FROM ", text)
    return text if len(text) <= 160 else text[:157] + "…"


async def main() -> None:
    from litestar.testing import AsyncTestClient

    from server import db
    from server.app import create_app

    targets, password = json.loads(sys.argv[1]), sys.argv[2]
    engine = db.engine()
    recorded: list[tuple[str, list]] = []
    original = engine.run_querystring

    async def recording(querystring: Any, in_pool: bool = True) -> Any:
        sql, args = querystring.compile_string(engine_type=engine.engine_type)
        recorded.append((sql, list(args)))
        return await original(querystring, in_pool=in_pool)

    results = []
    async with AsyncTestClient(app=create_app(), base_url="http://bench.local") as client:
        tokens: dict[str, str] = {}
        for _label, path, who in targets:
            if who not in tokens:
                answer = await client.post("/api/v1/auth/token", json={"username": who, "password": password})
                tokens[who] = answer.json()["token"]
            headers = request_headers(path, tokens[who])
            await client.get(path, headers=headers)  # caches filled: what a warm process runs
            recorded.clear()
            engine.run_querystring = recording
            try:
                status = (await client.get(path, headers=headers)).status_code
            finally:
                engine.run_querystring = original
            queries = [(sql, args) for sql, args in recorded
                       if sql.lstrip().upper().startswith(("SELECT", "WITH"))
                       and not set(TABLE.findall(sql)) <= set(SIGN_IN_TABLES)]
            if engine.engine_type == "postgres":
                explained = await _explain_pg(os.environ["DATABASE_URL"], queries)
            else:
                explained = _explain_sqlite(str(engine.path), queries)
            results.append({"path": path, "status": status,
                            "queries": [{"sql": _short(sql), **e} for (sql, _a), e in zip(queries, explained)]})
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
