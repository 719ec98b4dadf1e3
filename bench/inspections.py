"""Lists at the scale of a large developer: `.venv/bin/python -m bench.inspections` (part of `make bench`).

Loads 100,000 homes, 2,000,000 defects and 4,000,000 photo rows into a fresh
PostgreSQL database (when one answers on 127.0.0.1:5432) and 20,000 homes into
a fresh SQLite file (bench/scale_data.py: in SQL, minutes not hours), serves
the app with granian (one worker per core) and measures every list of
`TARGETS`, first with one client alone, then under CONCURRENCY clients (wrk
when installed, else httpx). Target: p95 < 150 ms under CONCURRENCY clients.
Beside the times, the queries each list runs, with their plans (the index
used) and times (bench/scale_plans.py); for a list that misses the target, where its time goes
(py-spy under the same load, bench/spy.py). Writes bench/results/inspections.md and
bench/results/inspections_profile.txt.

`--sqlite-only` skips PostgreSQL; `--keep` keeps the loaded databases (their
names are printed) for looking into a plan by hand.
About 15 minutes, most of it loading PostgreSQL.
"""
from __future__ import annotations

import asyncio
import datetime as dt
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

from bench import scale_data
from bench.load import free_port, have_wrk, wait_until_up, wrk
from bench.scale_plans import request_headers
from bench.spy import OUTSIDE, PARTS, profile, worker_of

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "inspections.md"
PROFILE = ROOT / "bench" / "results" / "inspections_profile.txt"
COMMAND = "make bench  (or: .venv/bin/python -m bench.inspections)"
CONCURRENCY, REQUESTS = 20, 600
WEB_WORKERS = str(os.cpu_count() or 1)
"""One web process per core, as deployed (README: Deploying)."""
TARGET_P95_MS = 150
WRK_SECONDS = 10
ALONE_SECONDS = 3
PROFILE_SECONDS = 8
"""py-spy samples one of the web workers this long while a list that misses the target is under load."""
PASSWORD = "bench-password-1"

TARGETS: list[tuple[str, str, str]] = [
    ("contractor task list (API, 50 rows)", "/api/v1/defects?limit=50", "builder"),
    ("contractor task list (page)", "/tasks", "builder"),
    ("contractor task list, overdue (page)", "/tasks?overdue=1", "builder"),
    ("unit (API)", "/api/v1/units/{unit_id}", "cs"),
    ("unit's defects (API)", "/api/v1/defects?unit_id={unit_id}&limit=50", "cs"),
    ("unit page (inspection walk-through)", "/inspections/{inspection_id}", "cs"),
    ("project schedule (API)", "/api/v1/inspection-plans/{plan_id}/schedule", "cs"),
    ("project schedule (page)", "/inspection-plans/{plan_id}", "cs"),
    ("defects to rectify, all projects (API)", "/api/v1/defects?status=open&limit=50", "cs"),
    ("defects of one construction unit awaiting recheck (API)",
     "/api/v1/defects?construction_unit_id={builder_party}&status=rectified&limit=50", "cs"),
    ("overdue defects (API)", "/api/v1/defects?overdue=true&limit=50", "cs"),
    ("supervisor's checks (page)", "/checks", "supervisor"),
    ("CS rechecks (page)", "/rechecks", "cs"),
    ("CS repair list (page)", "/repairs", "cs"),
    ("CS repair list, one status (page)", "/repairs?status=assigned", "cs"),
    ("repair list (API, 50 rows)", "/api/v1/repairs?limit=50", "cs"),
    ("repair unit's job list (page)", "/repairs/jobs", "repairer"),
    ("inquiry list (page)", "/inquiries", "cs"),
    ("inquiry list, one status (page)", "/inquiries?status=open", "cs"),
    ("inquiry list (API, 50 rows)", "/api/v1/inquiries?limit=50", "cs"),
]
"""(label, path, who): a new list is one line. `who` is a user of scale_data.SETUP; the path may use
{unit_id}, {inspection_id}, {plan_id} (a home in the middle of the data) and {builder_party}."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(base: str, path: str, token: str, seconds: int = WRK_SECONDS,
                  clients: int = CONCURRENCY) -> dict:
    if have_wrk():
        result = await asyncio.to_thread(wrk, base + path, request_headers(path, token), clients, seconds)
        return {**result, "statuses": [200] if not result["errors"] else [0]}
    return await measure_with_httpx(base, path, token, clients)


async def measure_with_httpx(base: str, path: str, token: str, clients: int = CONCURRENCY) -> dict:
    latencies: list[float] = []
    statuses: set[int] = set()
    failed = 0
    counter = iter(range(REQUESTS))
    async with httpx.AsyncClient(base_url=base, headers=request_headers(path, token), timeout=60,
                                 limits=httpx.Limits(max_connections=clients)) as client:
        async def one_client() -> None:
            nonlocal failed
            for _ in counter:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                statuses.add(response.status_code)
                failed += response.status_code != 200
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95), "statuses": sorted(statuses),
            "errors": failed}


def postgres_available() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


def generate(kind: str, env: dict, scale: scale_data.Scale) -> dict:
    """Migrate, set up the users and parties through the app, load the bulk in SQL; the ids the targets need."""
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    out = subprocess.run(scale_data.setup_command(sys.executable, scale, PASSWORD), env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    ids = json.loads(out.strip().splitlines()[-1])
    url = env["DATABASE_URL"]
    database = url if kind == "postgresql" else url.removeprefix("sqlite:///")
    scale_data.load(kind, database, scale, ids, lambda line: print(f"  {kind}: {line}", flush=True))
    probe = """
import asyncio, json
from server import db
from server.inspections.tables import Inspection
async def main():
    await db.start_pool()
    row = await Inspection.select(Inspection.id, Inspection.unit, Inspection.plan).where(
        Inspection.status == "rectifying").order_by(Inspection.id).offset(%d).first().run()
    print(json.dumps(row))
asyncio.run(main())
""" % (scale.units // 2)
    middle = json.loads(subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, check=True,
                                       capture_output=True, text=True).stdout.strip().splitlines()[-1])
    return {"unit_id": middle["unit"], "inspection_id": middle["id"], "plan_id": middle["plan"],
            "builder_party": ids["first_builder"]}


async def run_on(label: str, kind: str, env: dict) -> tuple[list[dict], list[dict], float]:
    scale = scale_data.SCALES[kind]
    started = time.perf_counter()
    ids = generate(kind, env, scale)
    load_seconds = time.perf_counter() - started
    print(f"{label}: loaded in {load_seconds:.0f} s", flush=True)
    targets = [(name, path.format(**ids), who) for name, path, who in TARGETS]
    plans = json.loads(subprocess.run([sys.executable, "-m", "bench.scale_plans", json.dumps(targets), PASSWORD],
                                      env=env, cwd=ROOT, check=True, capture_output=True,
                                      text=True).stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                               "server.app:create_app", "--port", str(port), "--workers", WEB_WORKERS, "--loop",
                               "uvloop", "--no-access-log"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # its own process group: its workers end with it
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        await wait_until_up(base, label)
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            tokens = {who: (await c.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})).json()[
                "token"] for who in {t[2] for t in targets}}
        for (name, path, who), plan in zip(targets, plans):
            await measure(base, path, tokens[who], seconds=2)  # warm-up: both workers, their caches
            alone = await measure(base, path, tokens[who], seconds=ALONE_SECONDS, clients=1) if have_wrk() else {}
            result = await measure(base, path, tokens[who])
            rows.append({"database": label, "what": name, "path": path, "alone": alone, "plan": plan,
                         "load": os.getloadavg()[0], **result})
            print(label, name, {k: rows[-1][k] for k in ("p50", "p95", "errors")}, flush=True)
            if not _meets(rows[-1]) and have_wrk():  # where its time goes, under the same load
                rows[-1]["profile"] = await profile(base, worker_of(server.pid), path,
                                                    request_headers(path, tokens[who]), CONCURRENCY, PROFILE_SECONDS)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return rows, plans, load_seconds


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="")
    keep = "--keep" in sys.argv
    database = f"cs_bench_scale_{os.getpid()}"
    created = False
    runs: dict[str, tuple[list[dict], float]] = {}
    load_at_start = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        sqlite_env = dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db")
        rows, _plans, seconds = await run_on("SQLite", "sqlite", sqlite_env)
        runs["SQLite"] = (rows, seconds)
        if postgres_available() and "--sqlite-only" not in sys.argv:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {database}"],
                           check=True)
            created = True
            rows, _plans, seconds = await run_on("PostgreSQL", "postgresql", dict(
                base_env, DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}"))
            runs["PostgreSQL"] = (rows, seconds)
        write_results(runs, load_at_start)  # before the clean-up: a DROP DATABASE may wait for a checkpoint
    finally:
        if keep:
            print(f"kept: {work}/bench.db and PostgreSQL database {database}")
        else:
            if created:
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                                f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
            shutil.rmtree(work, ignore_errors=True)


def _meets(r: dict) -> bool:
    answered = r.get("requests", 1) > 0  # wrk reports 0 ms percentiles when nothing came back
    return answered and r["p95"] < TARGET_P95_MS and not r["errors"] and r["plan"]["status"] == 200


def write_results(runs: dict[str, tuple[list[dict], float]], load_at_start: str) -> None:
    load_at_end = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    kinds = {"SQLite": "sqlite", "PostgreSQL": "postgresql"}
    lines = [
        "# Lists at the scale of a large developer",
        "",
        "30 projects of about 3,300 homes make 100,000 homes and 2 million defects a year. Data "
        "(bench/scale_data.py, loaded in SQL):",
        "",
        *[f"- {label}: {scale_data.SCALES[kinds[label]].describe()}; loaded in {seconds:.0f} s."
          for label, (_rows, seconds) in runs.items()],
        "",
        f"granian, {WEB_WORKERS} workers (one per core); load from "
        f"{'wrk (one thread)' if have_wrk() else f'httpx ({REQUESTS} requests per row)'} on the same 2-core "
        f"machine. Target: p95 < {TARGET_P95_MS} ms with {CONCURRENCY} concurrent clients. Pages are asked for as a "
        "browser asks (`Accept: text/html`, so the tab bar's counts are read too); the API with a bearer token.",
        "",
        f"Produced by `{COMMAND}` ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC); the machine's load "
        f"average (1, 5, 15 min) was {load_at_start} at the start and {load_at_end} at the end.",
        "",
        f"`1 client`: one client alone for {ALONE_SECONDS} s (what a request costs, without queueing); "
        f"`{CONCURRENCY} clients`: {WRK_SECONDS} s of {CONCURRENCY} concurrent clients. `failed`: answered other "
        "than 200 or not within wrk's 2 s. `load`: the 1-minute load average when the row was measured (above "
        f"{os.cpu_count()}, other processes were taking the server's CPU).",
        "",
        f"| database | list | 1 client p50 ms | {CONCURRENCY} clients p50 ms | {CONCURRENCY} clients p95 ms | "
        "meets target | failed | load |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for label, (rows, _s) in runs.items():
        for r in rows:
            alone = r["alone"].get("p50", float("nan"))
            lines.append(f"| {label} | {r['what']} `{r['path']}` | {alone:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                         f"{'yes' if _meets(r) else 'NO'} | {r['errors']} | {r['load']:.1f} |")
    lines += [
        "",
        "## The queries behind each list",
        "",
        "Every query a list runs (sign-in's left out), recorded from one request, then run alone on the loaded "
        "database: on PostgreSQL the time is `EXPLAIN ANALYZE`'s (planning and execution), on SQLite the best of "
        "5 runs. `plan`: the scans in plan order; a `Seq Scan`/`SCAN` over a big table is what to look for. "
        "Counts of long lists are bounded (README: Architecture): exact up to 10,000 matches (500 homes for "
        "the grouped task, check and recheck lists), then `total_is_lower_bound`.",
        "",
        "| database | list | ms | query | plan |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for label, (rows, _s) in runs.items():
        for r in rows:
            for q in r["plan"]["queries"]:
                sql, plan = q["sql"].replace("|", "\\|"), q["plan"].replace("|", "\\|")
                lines.append(f"| {label} | {r['what']} | {q['ms']:.2f} | `{sql}` | {plan} |")
    lines += _where_the_time_goes(runs)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _where_the_time_goes(runs: dict[str, tuple[list[dict], float]]) -> list[str]:
    """The lists that miss the target: py-spy's shares by part of the request (the table) and the top 20
    frames of each (bench/results/inspections_profile.txt)."""
    missed = [(label, r) for label, (rows, _s) in runs.items() for r in rows if r.get("profile", (0, {}))[1]]
    if not missed:
        return []
    names = [name for name, _ in PARTS] + [OUTSIDE]
    lines = ["", "## Where the time goes in the lists that miss the target", "",
             f"py-spy on one of the {WEB_WORKERS} web workers for {PROFILE_SECONDS} s under the same "
             f"{CONCURRENCY}-client load, share of its event loop's samples by part of the request "
             "(bench/spy.py PARTS); the top 20 frames of each are in bench/results/inspections_profile.txt.", "",
             "| database | list | " + " | ".join(names) + " |", "| --- | --- |" + " ---: |" * len(names)]
    text = [f"# py-spy on a granian web worker, {CONCURRENCY} clients, lists that miss p95 < {TARGET_P95_MS} ms",
            "# written by bench/inspections.py", ""]
    for label, r in missed:
        top, shares = r["profile"]
        lines.append(f"| {label} | {r['what']} | " + " | ".join(f"{shares[n] * 100:.0f} %" for n in names) + " |")
        text += [f"## {label}: {r['what']} `{r['path']}`", *top, ""]
    PROFILE.write_text("\n".join(text))
    return lines


if __name__ == "__main__":
    asyncio.run(main())
