"""Repair lists at scale: `.venv/bin/python -m bench.repairs` (part of `make bench`).

Generates 4 projects × 5 buildings × 100 units (2,000 delivered homes) and
20,000 repair requests in every status (10 per home, one photo row and one
audit line each; those past dispatch assigned to repair units, one in three to
the bench unit whose job list is measured), in a fresh SQLite file and (when
PostgreSQL answers on 127.0.0.1:5432) a fresh PostgreSQL database; serves the
app with granian (one worker per core) and measures each page of `TARGETS`
with one client alone, then under CONCURRENCY clients (wrk when installed, else
httpx; harness of bench/inspections.py). Target: p95 < 150 ms under
CONCURRENCY clients. Writes bench/results/repairs.md, with the machine's load
average (a machine busy with other work says little about the target).
About four minutes for both databases.

`TARGETS` is data: a new list is one line (label, path, who), the path may use
{unit_id} (a home of the owner) and {project_id}.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.inspections import CONCURRENCY, REQUESTS, WEB_WORKERS, WRK_SECONDS, measure, postgres_available
from bench.load import free_port, have_wrk, wait_until_up, wrk

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "repairs.md"
PROJECTS, BUILDINGS, FLOORS, PER_FLOOR = 4, 5, 25, 4     # 2,000 homes
REPAIRS_PER_UNIT = 10                                    # 20,000 repair requests
TARGET_P95_MS = 150
ALONE_SECONDS = 4
WARM_UP = 20
PASSWORD = "bench-password-1"
COMMAND = "make bench  (or: .venv/bin/python -m bench.repairs)"

TARGETS: list[tuple[str, str, str]] = [
    ("CS repair list (page)", "/repairs", "cs"),
    ("CS repair list, one status (page)", "/repairs?status=assigned", "cs"),
    ("repair list (API, 50 rows)", "/api/v1/repairs?limit=50", "cs"),
    ("owner's repairs (page)", "/owner/repairs", "owner"),
    ("owner's home page", "/owner", "owner"),
    ("unit record: timeline (page)", "/units/{unit_id}", "cs"),
    ("repair unit's job list (page)", "/repairs/jobs", "repairer"),
]
"""(label, path, who): who is one of the users GENERATE makes (cs, owner, repairer)."""

GENERATE = """
import asyncio, datetime as dt, random, sys, uuid
from server import db
from server.accounts.services import user_create
from server.accounts.tables import UnitOwner
from server.audit.tables import AuditEntry
from server.db import write_transaction
from server.org.services import building_create, party_create, project_create, units_bulk_create
from server.org.tables import Unit
from server.photos.tables import Photo
from server.repairs import states, warranty
from server.repairs.job_tables import RepairAssignment
from server.repairs.tables import RecordedDelivery, RepairRequest

PROJECTS, BUILDINGS, FLOORS, PER_FLOOR, RPU = map(int, sys.argv[1:6])
JOB_STATUSES = ("assigned", "in_repair", "completed", "signed_off", "visited", "closed", "reopened")

async def main():
    await db.start_pool()
    rng = random.Random(11)
    await user_create(actor=None, username="cs", password="%(pw)s", role="cs_staff")
    owner = await user_create(actor=None, username="owner", password="%(pw)s", role="owner")
    party = await party_create(actor=None, name="Bench repairs", kind="repair_unit")
    other = await party_create(actor=None, name="Other repairs", kind="repair_unit")
    await user_create(actor=None, username="repairer", password="%(pw)s", role="contractor", party_id=party.id)
    first_project = None
    for p in range(PROJECTS):
        project = await project_create(actor=None, name=f"Bench {p + 1}")
        first_project = first_project or project.id
        for b in range(BUILDINGS):
            building = await building_create(actor=None, project_id=project.id, name=f"{b + 1}号楼")
            await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=FLOORS,
                                    units_per_floor=PER_FLOOR)
    units = [u["id"] for u in await Unit.select(Unit.id).order_by(Unit.id).run()]
    mine = units[len(units) // 2: len(units) // 2 + 3]
    now = dt.datetime.now(dt.timezone.utc)
    components = list(warranty.COMPONENT_LABELS)
    async with write_transaction():
        await UnitOwner.insert(*[UnitOwner(unit=u, user=owner.id) for u in mine]).run()
        for start in range(0, len(units), 500):
            await RecordedDelivery.insert(*[RecordedDelivery(unit=u, delivered_on=dt.date(2024, 1 + u %% 12, 1 + u %% 28))
                                            for u in units[start:start + 500]]).run()
        batch = []
        for index in range(len(units) * RPU):
            unit = units[index %% len(units)]
            created = now - dt.timedelta(minutes=len(units) * RPU - index)
            batch.append(RepairRequest(client_id=uuid.uuid4(), unit=unit, component=rng.choice(components),
                                       location="卫生间", description="卫生间顶棚漏水", reported_on=created.date(),
                                       channel=rng.choice(["owner_app", "phone"]), status=rng.choice(states.STATUSES),
                                       urgency=rng.choice(["", "normal", "emergency"]), created_at=created,
                                       updated_at=created))
            if len(batch) >= 1000:
                await RepairRequest.insert(*batch).run()
                batch = []
        if batch:
            await RepairRequest.insert(*batch).run()
        rows = await RepairRequest.select(RepairRequest.id, RepairRequest.status, RepairRequest.created_at).run()
        for start in range(0, len(rows), 1000):
            chunk = rows[start:start + 1000]
            await Photo.insert(*[Photo(subject_type="repair", subject_id=r["id"], stage="reported", status="ready",
                                       image_format="JPEG", byte_size=1, original_key=f"x/r{r['id']}.jpg",
                                       display_key=f"d/r{r['id']}.jpg", thumb_key=f"t/r{r['id']}.jpg",
                                       width=1600, height=1200) for r in chunk]).run()
            await AuditEntry.insert(*[AuditEntry(object_type="repair", object_id=str(r["id"]), action="report",
                                                 to_state="reported", at=r["created_at"], actor_name="cs")
                                      for r in chunk]).run()
        # Every request past dispatch has a standing assignment: one in three with the bench unit (its job
        # list), the rest with another unit; one in five went to the other unit first (superseded).
        dispatched = [r for r in rows if r["status"] in JOB_STATUSES]
        assignments = []
        for n, r in enumerate(dispatched):
            if n %% 5 == 0:
                assignments.append(RepairAssignment(repair=r["id"], party=other.id, superseded=True,
                                                    created_at=r["created_at"]))
            assignments.append(RepairAssignment(repair=r["id"], party=party.id if n %% 3 == 0 else other.id,
                                                visit_at=r["created_at"] + dt.timedelta(days=1),
                                                created_at=r["created_at"]))
        for start in range(0, len(assignments), 1000):
            await RepairAssignment.insert(*assignments[start:start + 1000]).run()
    print(first_project, mine[0])

asyncio.run(main())
""" % {"pw": PASSWORD}


async def run_on(label: str, env: dict) -> list[dict]:
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", GENERATE, str(PROJECTS), str(BUILDINGS), str(FLOORS), str(PER_FLOOR),
                          str(REPAIRS_PER_UNIT)], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    project_id, unit_id = map(int, out.stdout.split()[-2:])
    if env["DATABASE_URL"].startswith("postgresql"):
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)
    print(f"{label}: generated in {time.perf_counter() - started:.0f} s", flush=True)
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
            tokens = {name: (await c.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})).json()[
                "token"] for name in ("cs", "owner", "repairer")}
        for name, path, who in TARGETS:
            path = path.format(unit_id=unit_id, project_id=project_id)
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:  # warm-up, both workers
                statuses = [r.status_code for r in await asyncio.gather(*(c.get(path) for _ in range(WARM_UP)))]
            alone = {}
            if have_wrk():  # one client alone: the cost of a request, without waiting for the others
                alone = await asyncio.to_thread(wrk, base + path, headers, 1, ALONE_SECONDS)
            result = await measure(base, path, tokens[who])
            rows.append({"database": label, "what": f"{name} `{path}`", "load": os.getloadavg()[0], **result,
                         "warm_up": statuses, "alone": alone})
            print(label, name, path, {k: v for k, v in rows[-1].items() if k not in ("database", "what", "warm_up")},
                  flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return rows


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-repairs-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="")
    rows = []
    load_at_start = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    database = f"cs_bench_repairs_{os.getpid()}"
    created = False
    try:
        rows += await run_on("SQLite", dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db"))
        if postgres_available() and "--sqlite-only" not in sys.argv:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {database}"],
                           check=True)
            created = True
            rows += await run_on("PostgreSQL", dict(
                base_env, DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}"))
        write_results(rows, load_at_start)  # before the clean-up: a DROP DATABASE may wait for a checkpoint
    finally:
        if created:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)


def write_results(rows: list[dict], load_at_start: str) -> None:
    units = PROJECTS * BUILDINGS * FLOORS * PER_FLOOR
    load_at_end = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Repair lists at scale",
        "",
        f"{PROJECTS} projects, {units:,} delivered homes, {units * REPAIRS_PER_UNIT:,} repair requests in every "
        f"status ({units * REPAIRS_PER_UNIT:,} photo rows, {units * REPAIRS_PER_UNIT:,} audit lines), those past "
        f"dispatch assigned to repair units (one in three to the bench unit, whose job list is measured; some "
        f"reassigned); the owner has 3 homes. granian, {WEB_WORKERS} workers (one per core); load from "
        f"{'wrk (one thread)' if have_wrk() else f'httpx ({REQUESTS} requests per row)'} on the same machine. "
        f"Target: p95 < {TARGET_P95_MS} ms with {CONCURRENCY} concurrent clients.",
        "",
        f"Produced by `{COMMAND}` ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC); the machine's load "
        f"average (1, 5, 15 min) was {load_at_start} at the start and {load_at_end} at the end.",
        "",
        f"`1 client`: one client alone for {ALONE_SECONDS} s (what a request costs, without queueing); "
        f"`{CONCURRENCY} clients`: {WRK_SECONDS} s of {CONCURRENCY} concurrent clients. `load`: the 1-minute load",
        f"average when the row was measured: above {os.cpu_count()} (the cores) other processes were taking CPU "
        "from the server, and the row says little about the target. `failed`: requests answered other than 200",
        "or not within wrk's 2 s (counted as failed, not in the percentiles).",
        "",
        f"| database | what | 1 client p50 ms | 1 client p95 ms | {CONCURRENCY} clients p50 ms | "
        f"{CONCURRENCY} clients p95 ms | meets target | failed | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for r in rows:
        alone = r["alone"] or {}
        failed = r.get("errors", 0) + alone.get("errors", 0) + sum(s != 200 for s in r["warm_up"])
        answered = r.get("requests", 1) > 0  # wrk reports 0 ms percentiles when nothing came back
        ok = "yes" if answered and r["p95"] < TARGET_P95_MS and not failed and r["statuses"] == [200] else "NO"
        lines.append(f"| {r['database']} | {r['what']} | {alone.get('p50', float('nan')):.1f} | "
                     f"{alone.get('p95', float('nan')):.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {ok} | {failed} | "
                     f"{r['load']:.1f} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
