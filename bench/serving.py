"""Which ASGI server, measured: granian against uvicorn on the same page.

Starts each server on a free local port with one worker over a fresh SQLite
database holding one building of 50 units, signs in as an admin, and sends
REQUESTS requests from CONCURRENCY concurrent connections to a 50-row HTML page
and to the 50-row JSON list. The load comes from this process on the same
2-core machine, so absolute numbers are pessimistic; the comparison is fair
because both servers get the same client. Writes bench/results/serving.md.

Run: .venv/bin/python -m bench.serving   (part of `make bench`)
"""
from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import free_port, have_wrk, wrk

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "serving.md"
CONCURRENCY = 64
REQUESTS = 2000
PASSWORD = "bench-password-1"


def server_command(name: str, port: int) -> list[str] | None:
    bin_dir = Path(sys.executable).parent
    if name == "granian":
        return [str(bin_dir / "granian"), "--interface", "asgi", "--factory", "server.app:create_app",
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log"]
    if name == "uvicorn" and (bin_dir / "uvicorn").exists():
        return [str(bin_dir / "uvicorn"), "--factory", "server.app:create_app", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]
    return None


async def prepare(env: dict) -> int:
    """Migrate and load one building of 50 units; returns the building id."""
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    script = f"""
import asyncio
from server import db
from server.accounts.services import user_create
from server.org.services import project_create, building_create, units_bulk_create
async def main():
    await db.start_pool()
    await user_create(actor=None, username="bench", password="{PASSWORD}", role="admin")
    p = await project_create(actor=None, name="Bench")
    b = await building_create(actor=None, project_id=p.id, name="B1")
    await units_bulk_create(actor=None, building_id=b.id, floor_from=1, floor_to=25, units_per_floor=2)
    print(b.id)
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True,
                         text=True)
    return int(out.stdout.strip().splitlines()[-1])


async def load(base: str, path: str, headers: dict) -> dict:
    if have_wrk():
        return await asyncio.to_thread(wrk, base + path, headers, CONCURRENCY, 10)
    latencies: list[float] = []
    errors = 0
    queue = iter(range(REQUESTS))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        async def worker() -> None:
            nonlocal errors
            for _ in queue:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"rps": REQUESTS / elapsed, "p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99),
            "mean": statistics.mean(latencies) * 1000, "errors": errors}


async def bench_server(name: str, env: dict, building_id: int) -> list[dict] | None:
    port = free_port()
    command = server_command(name, port)
    if command is None:
        return None
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as c:
            for _ in range(200):
                try:
                    await c.get("/login")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            token = (await c.post("/api/v1/auth/token", json={"username": "bench", "password": PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        rows = []
        for label, path in [("HTML page, 50 units", f"/admin/buildings/{building_id}?limit=50"),
                            ("JSON list, 50 units", f"/api/v1/buildings/{building_id}/units?limit=50")]:
            await load(base, path, headers)  # warm-up
            rows.append({"server": name, "page": label, **await load(base, path, headers)})
        return rows
    finally:
        process.terminate()
        process.wait(timeout=10)


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{work}/bench.db", MEDIA_ROOT=str(work / "media"),
               SECRET_KEY="bench-secret-key-0123456789", REDIS_URL="")
    try:
        building_id = await prepare(env)
        rows = []
        for name in ("granian", "uvicorn"):
            result = await bench_server(name, env, building_id)
            rows.extend(result or [{"server": name, "page": "not installed"}])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "# ASGI server: granian vs uvicorn",
        "",
        f"One worker each, SQLite, {CONCURRENCY} concurrent connections from "
        f"{'wrk (10 s per row)' if have_wrk() else f'httpx ({REQUESTS} requests per row)'}, "
        "on the same 2-core machine. `make bench` rewrites this file.",
        "",
        "| server | page | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "rps" in r:
            lines.append(f"| {r['server']} | {r['page']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                         f"{r['p99']:.1f} | {r['errors']} |")
        else:
            lines.append(f"| {r['server']} | {r['page']} | | | | | |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
