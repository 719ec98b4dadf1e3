"""The inquiry form's live suggestions over HTTP under 20 clients (part of
bench/knowledge.py, on the database it has just loaded with 50,000 entries).

granian serves the app (one worker, as each core would run it) on the loaded
database; CLIENTS concurrent clients, each a CS clerk typing, ask
GET /inquiries/suggestions?question=… (the URL the form calls, debounced, while
the question is typed; an htmx fragment of the best 5) signed in as CS staff.
Two loads per query: "typing", each client asking once every PAUSE_S seconds
(20 clerks all typing at once, each finishing a word every second: the target
p95 < 100 ms applies), and "no pause", each client asking again as soon as it
has its answer (saturation: how many per second one worker answers).
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.load import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
PAUSE_S = 1.0
SECONDS = float(os.environ.get("BENCH_SUGGESTION_SECONDS", "15"))
TARGET_P95_MS = 100
PASSWORD = "bench-password-1"
USER_SCRIPT = f"""
import asyncio
from server import db
from server.accounts.services import user_create
async def main():
    await db.start_pool()
    await user_create(actor=None, username="bench_cs", password="{PASSWORD}", role="cs_staff")
    await db.close_pool()
asyncio.run(main())
"""


async def _load(client: httpx.AsyncClient, question: str, pause: float) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + SECONDS

    async def clerk(n: int) -> None:
        nonlocal errors
        await asyncio.sleep(pause * n / CLIENTS)  # the clerks do not all press a key at the same instant
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get("/inquiries/suggestions", params={"question": question})
            took = time.perf_counter() - started
            latencies.append(took * 1000)
            errors += response.status_code != 200 or "data-suggestion" not in response.text
            if pause:
                await asyncio.sleep(max(0.0, pause - took))

    started = time.perf_counter()
    await asyncio.gather(*(clerk(n) for n in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, max(0, int(q * len(latencies)) - 1))]  # noqa: E731
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": pick(0.50), "p95": pick(0.95),
            "errors": errors}


async def _measure(base: str, queries: list[tuple[str, str]]) -> list[dict]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        for _ in range(300):
            try:
                await client.get("/login")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        token = (await client.post("/api/v1/auth/token", json={"username": "bench_cs", "password": PASSWORD})).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        rows = []
        for label, question in queries:
            for _ in range(5):  # warm-up: the server's first queries of a kind
                await client.get("/inquiries/suggestions", params={"question": question})
            for load, pause in (("typing", PAUSE_S), ("no pause", 0.0)):
                rows.append({"what": label, "q": question, "load": load, **await _load(client, question, pause)})
        return rows


def run(env: dict, queries: list[tuple[str, str]]) -> list[dict]:
    """On the database of `env` (already loaded): add a CS user, serve, measure."""
    subprocess.run([sys.executable, "-c", USER_SCRIPT], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    command = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
               "server.app:create_app", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--no-access-log"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return asyncio.run(_measure(f"http://127.0.0.1:{port}", queries))
    finally:
        process.terminate()
        process.wait(timeout=10)


def table(runs: list[dict]) -> list[str]:
    lines = ["", f"## The suggestion endpoint over HTTP, {CLIENTS} clients",
             "",
             f"`GET /inquiries/suggestions?question=…` (best 5, an htmx fragment), granian with one worker, signed in "
             f"as CS staff, {CLIENTS} concurrent clients from this process for {SECONDS:.0f} s per row. *typing*: each "
             f"client asks once every {PAUSE_S:.0f} s (all {CLIENTS} clerks typing at once; target p95 < "
             f"{TARGET_P95_MS} ms); *no pause*: each asks again as soon as answered (saturation, for information).",
             "",
             "| database | query | load | requests | req/s | p50 ms | p95 ms | errors | meets target |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in runs:
        for row in r.get("suggestions", []):
            ok = ("yes" if row["p95"] < TARGET_P95_MS and not row["errors"] else "NO") if row["load"] == "typing" \
                else "—"
            lines.append(f"| {r['database']} | {row['what']}: `{row['q']}` | {row['load']} | {row['requests']} | "
                         f"{row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | {row['errors']} | {ok} |")
    return lines
