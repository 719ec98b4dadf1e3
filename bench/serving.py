"""Per-request cost (issue 15, target 3) and the web process's memory (target 5, web half).

On each database (SQLite; PostgreSQL when one answers on 127.0.0.1:5432) this
loads one building of 50 units and starts, side by side, one granian worker of
the product and one of the bare handler (bench/bare_app.py: Litestar + Jinja
and one raw query over a kept connection, aiosqlite or asyncpg). wrk sends
CONNECTIONS concurrent connections to each in turn, interleaved over ROUNDS
rounds so a neighbour's load falls on both alike:

- the building's HTML page, as a browser asks for it after its first page
  (session and CSRF cookies, `Accept: text/html`, so the navigation's counts
  are part of it), against the bare page of the same 50 rows;
- the 50-row JSON list with a bearer token, against the bare JSON;
- `GET /api/v1/auth/me` (sign-in check and framework, nothing else).

Beside requests/s it records the worker's CPU time per request (from /proc),
which a busy machine disturbs less than requests/s. Also measured: the sign-in
check of a known session and token in process (p50 of 2,000), and the web
worker's peak RSS during the list-page load. With py-spy installed, the
product's worker is sampled under each load and the top 20 frames
are written to bench/results/serving_profile.txt. uvicorn runs the same two
pages once, for comparison with granian. Writes bench/results/serving.md.

Run: .venv/bin/python -m bench.serving   (part of `make bench`)
Environment: SERVING_SECONDS (per measurement, default 8), SERVING_ROUNDS (default 5).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import free_port, have_wrk, wrk
from bench.spy import OUTSIDE, PARTS, profile, worker_of

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "serving.md"
PROFILE = ROOT / "bench" / "results" / "serving_profile.txt"
CONNECTIONS = 16
SECONDS = int(os.environ.get("SERVING_SECONDS", "8"))
ROUNDS = int(os.environ.get("SERVING_ROUNDS", "5"))
SHARE_TARGET = 0.5
AUTH_TARGET_MS = 0.2
RSS_TARGET_MB = 150
PASSWORD = "bench-password-1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SEED = f"""
import asyncio, json
from server import db
from server.accounts.services import session_create, token_create, user_create
from server.org.services import building_create, project_create, units_bulk_create
async def main():
    await db.start_pool()
    user = await user_create(actor=None, username="bench", password="{PASSWORD}", role="admin")
    p = await project_create(actor=None, name="Bench")
    b = await building_create(actor=None, project_id=p.id, name="B1")
    await units_bulk_create(actor=None, building_id=b.id, floor_from=1, floor_to=25, units_per_floor=2)
    print(json.dumps({{"building": b.id, "session": await session_create(user), "token": await token_create(user)}}))
asyncio.run(main())
"""

AUTH_TIMING = """
import asyncio, json, sys, time
from server import db
from server.accounts.services import user_for_session, user_for_token
async def main():
    await db.start_pool()
    out = {}
    for name, check, raw in (("session", user_for_session, sys.argv[1]), ("token", user_for_token, sys.argv[2])):
        took = []
        for _ in range(2000):
            async with db.read_transaction():  # as AuthMiddleware runs it, inside the request's transaction
                started = time.perf_counter()
                assert await check(raw) is not None
                took.append(time.perf_counter() - started)
        took.sort()
        out[name] = {"p50": took[1000] * 1000, "p95": took[1900] * 1000}
    print(json.dumps(out))
asyncio.run(main())
"""


def postgres_available() -> bool:
    return shutil.which("pg_isready") is not None and subprocess.run(
        ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def prepare(env: dict) -> dict:
    """Migrate and load one building of 50 units; the building's id, a session and a token."""
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Server:
    """One ASGI server with one worker process, its CPU time and memory read from /proc."""

    def __init__(self, command: list[str], env: dict, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    async def ready(self, path: str) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as client:
            for _ in range(300):
                try:
                    await client.get(path)
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.base} did not start")

    @property
    def worker(self) -> int:
        """The process that serves: granian's one worker, or uvicorn's own process."""
        return worker_of(self.process.pid)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.worker}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime, all threads

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


async def csrf_cookie(server: Server, path: str, headers: dict) -> str:
    """The CSRF cookie the product sets with a browser's first page, which the browser sends back with
    every later one (without it, each page would make a new token and set it again)."""
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
        response = await client.get(path, headers=headers)
        response.raise_for_status()
        return response.cookies["csrftoken"]


def granian(app: str, port: int) -> list[str]:
    return [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory", app,
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log"]


async def measure(server: Server, path: str, headers: dict, seconds: int = SECONDS) -> dict:
    """wrk's figures, plus the worker's CPU ms per request and its peak RSS during the load."""
    peak = server.rss_mb()
    cpu_before = server.cpu_seconds()
    run = asyncio.ensure_future(asyncio.to_thread(wrk, server.base + path, headers, CONNECTIONS, seconds))
    while not run.done():
        peak = max(peak, server.rss_mb())
        await asyncio.wait([run], timeout=0.25)
    result = run.result()
    result["cpu_ms"] = (server.cpu_seconds() - cpu_before) * 1000 / max(result["requests"], 1)
    result["rss_peak"] = max(peak, server.rss_mb())
    return result


def mean(results: list[dict]) -> dict:
    keys = ("rps", "p50", "p95", "p99", "cpu_ms")
    out = {key: sum(r[key] for r in results) / len(results) for key in keys}
    out["errors"] = sum(r["errors"] for r in results)
    out["rss_peak"] = max(r["rss_peak"] for r in results)
    return out


async def run_on(label: str, env: dict) -> dict:
    ids = await asyncio.to_thread(prepare, env)
    building = ids["building"]
    browser = {"Cookie": f"sid={ids['session']}", "Accept": "text/html,application/xhtml+xml"}
    api = {"Authorization": f"Bearer {ids['token']}"}
    cases = [
        ("HTML page, 50 units", f"/admin/buildings/{building}?limit=50", browser, f"/bare/buildings/{building}"),
        ("JSON list, 50 units", f"/api/v1/buildings/{building}/units?limit=50", api,
         f"/bare/buildings/{building}/units"),
    ]
    out: dict = {"label": label, "rows": [], "profiles": [], "uvicorn": []}
    product = Server(granian("server.app:create_app", port := free_port()), env, port)
    bare = Server(granian("bench.bare_app:create_app", port := free_port()), env, port)
    try:
        await product.ready("/login")
        await bare.ready(cases[0][3])
        browser["Cookie"] += f"; csrftoken={await csrf_cookie(product, cases[0][1], browser)}"
        for _, path, headers, bare_path in cases:  # warm-up: templates compiled, connections open
            await measure(product, path, headers, 2)
            await measure(bare, bare_path, headers, 2)
        runs: dict = {case[0]: {"product": [], "bare": []} for case in cases}
        for _ in range(ROUNDS):
            for name, path, headers, bare_path in cases:
                runs[name]["product"].append(await measure(product, path, headers))
                runs[name]["bare"].append(await measure(bare, bare_path, headers))
        for name, *_ in cases:
            out["rows"].append({"request": name, "product": mean(runs[name]["product"]),
                                "bare": mean(runs[name]["bare"]),
                                "by_round": [p["rps"] / b["rps"] if b["rps"] else 0
                                             for p, b in zip(runs[name]["product"], runs[name]["bare"])]})
        out["me"] = await measure(product, "/api/v1/auth/me", api)
        out["rss_idle"] = product.rss_mb()
        for name, path, headers, _ in cases:
            out["profiles"].append((name, await profile(product.base, product.worker, path, headers, CONNECTIONS,
                                                              SECONDS)))
    finally:
        product.stop()
        bare.stop()
    timing = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", AUTH_TIMING, ids["session"], ids["token"]],
                                     env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    out["auth"] = json.loads(timing.stdout.strip().splitlines()[-1])
    uvicorn = Path(sys.executable).parent / "uvicorn"
    if label == "SQLite" and uvicorn.exists():
        port = free_port()
        server = Server([str(uvicorn), "--factory", "server.app:create_app", "--host", "127.0.0.1", "--port", str(port),
                         "--workers", "1", "--no-access-log", "--log-level", "warning"], env, port)
        try:
            await server.ready("/login")
            for name, path, headers, _ in cases:
                await measure(server, path, headers, 2)
                out["uvicorn"].append((name, await measure(server, path, headers)))
        finally:
            server.stop()
    return out


def write_results(results: list[dict], load_before: str, started: float) -> None:
    load_after = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    ok = lambda met: "yes" if met else "**no**"  # noqa: E731
    lines = [
        "# Per-request cost and web memory (issue 15, targets 3 and 5)",
        "",
        f"`make bench` rewrites this file (`python -m bench.serving`). One granian worker each, {CONNECTIONS} "
        f"connections from wrk, {SECONDS} s per measurement, product and bare handler interleaved over {ROUNDS} "
        "rounds (the figures are their means). The bare handler (bench/bare_app.py) is Litestar + Jinja with one "
        "raw SELECT of the same 50 rows over a kept connection (aiosqlite; on PostgreSQL ten asyncpg connections in "
        "a queue, not asyncpg's pool, whose reset on release is a second statement), no middleware, no sign-in. "
        "The product's HTML page is asked for as a browser does after its first page (session and "
        "CSRF cookies, `Accept: text/html`: navigation counts included); its JSON with a bearer token. CPU ms/req is "
        "the serving process's CPU time "
        "(all its threads) per request, which other load on the machine disturbs less than req/s.",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {os.cpu_count()} cores, load average "
        f"{load_before} before and {load_after} after (1 / 5 / 15 min; other work shared the machine when it is "
        "above ~1).",
        "",
        f"## Target 3: the product reaches at least {SHARE_TARGET:.0%} of the bare handler's req/s",
        "",
        "| database | request | product req/s | bare req/s | share | met | share by round | product CPU ms/req "
        "| bare CPU ms/req | CPU share | product p50 ms | bare p50 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for row in result["rows"]:
            p, b = row["product"], row["bare"]
            share = p["rps"] / b["rps"] if b["rps"] else 0
            lines.append(f"| {result['label']} | {row['request']} | {p['rps']:.0f} | {b['rps']:.0f} | {share:.0%} | "
                         f"{ok(share >= SHARE_TARGET)} | {' · '.join(f'{x:.0%}' for x in row['by_round'])} | "
                         f"{p['cpu_ms']:.2f} | {b['cpu_ms']:.2f} | "
                         f"{b['cpu_ms'] / p['cpu_ms']:.0%} | {p['p50']:.1f} | {b['p50']:.1f} | "
                         f"{p['errors'] + b['errors']} |")
    lines += ["", "CPU share = bare CPU ms / product CPU ms: the share the product would reach on an otherwise idle "
              "machine, if each request cost only CPU. Share by round: each round's product req/s over the bare "
              "handler's right after it; how far they spread is how much this shared 2-core machine moves one "
              "measurement (it has moved a share by ten points between runs of the same code).", "",
              "Sign-in check alone, `GET /api/v1/auth/me` (bearer token):", "",
              "| database | req/s | CPU ms/req | p50 ms |", "| --- | ---: | ---: | ---: |"]
    for result in results:
        me = result["me"]
        lines.append(f"| {result['label']} | {me['rps']:.0f} | {me['cpu_ms']:.2f} | {me['p50']:.1f} |")
    lines += ["", f"## Target 3: the sign-in check of a known session or token under {AUTH_TARGET_MS} ms at p50", "",
              "In process, 2,000 checks each, each inside a read transaction as in a request "
              "(`user_for_session` / `user_for_token`).", "",
              "| database | credential | p50 ms | p95 ms | met |", "| --- | --- | ---: | ---: | --- |"]
    for result in results:
        for name, t in result["auth"].items():
            lines.append(f"| {result['label']} | {name} | {t['p50']:.3f} | {t['p95']:.3f} | "
                         f"{ok(t['p50'] < AUTH_TARGET_MS)} |")
    lines += ["", f"## Target 5 (web half): a web process under the list-page load stays under {RSS_TARGET_MB} MB RSS",
              "", "The granian worker's resident memory, sampled every 0.25 s during every product load above.", "",
              "| database | peak RSS MB | after the loads MB | met |", "| --- | ---: | ---: | --- |"]
    for result in results:
        peak = max(row["product"]["rss_peak"] for row in result["rows"])
        lines.append(f"| {result['label']} | {peak:.0f} | {result['rss_idle']:.0f} | {ok(peak < RSS_TARGET_MB)} |")
    uvicorn_rows = [(r["label"], name, m) for r in results for name, m in r["uvicorn"]]
    if uvicorn_rows:
        lines += ["", "## granian or uvicorn", "",
                  "The product under uvicorn (one worker, one run), to set beside granian's rows above.", "",
                  "| database | request | uvicorn req/s | p50 ms | CPU ms/req |", "| --- | --- | ---: | ---: | ---: |"]
        for label, name, m in uvicorn_rows:
            lines.append(f"| {label} | {name} | {m['rps']:.0f} | {m['p50']:.1f} | {m['cpu_ms']:.2f} |")
    profiled = [(r["label"], name, shares) for r in results for name, (_, shares) in r["profiles"] if shares]
    if profiled:
        names = [name for name, _ in PARTS] + [OUTSIDE]
        lines += ["", "## Where the product's time goes", "",
                  "py-spy on the product's worker (event loop's thread) under the same load, share of the samples; "
                  "the top 20 frames of each are in bench/results/serving_profile.txt.", "",
                  "| database | request | " + " | ".join(names) + " |",
                  "| --- | --- | " + " | ".join("---:" for _ in names) + " |"]
        for label, name, shares in profiled:
            lines.append(f"| {label} | {name} | " + " | ".join(f"{shares[n]:.0%}" for n in names) + " |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    profiles = [(r["label"], name, text) for r in results for name, (text, _) in r["profiles"]]
    if profiles:
        body = [f"# py-spy on the product's granian worker, {CONNECTIONS} connections ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))})",
                "# written by bench/serving.py", ""]
        for label, name, text in profiles:
            body += [f"## {label}: {name}", *text, ""]
        PROFILE.write_text("\n".join(body))


async def main() -> None:
    if not have_wrk():
        sys.exit("bench.serving needs wrk (apt-get install wrk)")
    started = time.time()
    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="", LOG_FORMAT="plain")
    database = f"cs_bench_serving_{os.getpid()}"
    created = False
    results = []
    try:
        results.append(await run_on("SQLite", dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db")))
        if postgres_available() and "--sqlite-only" not in sys.argv:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {database}"],
                           check=True)
            created = True
            results.append(await run_on("PostgreSQL", dict(
                base_env, DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}")))
        write_results(results, load_before, started)  # before the clean-up: a DROP DATABASE may wait
    finally:
        if created:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
