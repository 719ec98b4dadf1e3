"""Inspection lists at scale: `.venv/bin/python -m bench.inspections` (part of `make bench`).

Generates one project with 20 buildings, 2,000 units, 40,000 defects and
80,000 photo rows, in a fresh SQLite file and (when PostgreSQL answers on
127.0.0.1:5432) a fresh PostgreSQL database, serves the app with granian (one
worker per core) and measures the contractor task list, a unit page and the project
schedule page under CONCURRENCY concurrent clients (wrk when installed,
else an httpx client). Target: p95 < 150 ms.
Writes bench/results/inspections.md.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import free_port, have_wrk, wrk

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "inspections.md"
BUILDINGS, FLOORS, PER_FLOOR = 20, 25, 4          # 2,000 units
DEFECTS_PER_UNIT, PHOTOS_PER_DEFECT = 20, 2       # 40,000 defects, 80,000 photos
PARTIES = 10
CONCURRENCY, REQUESTS = 20, 600
WEB_WORKERS = str(os.cpu_count() or 1)
"""One web process per core, as deployed (README: Deploying)."""
TARGET_P95_MS = 150
PASSWORD = "bench-password-1"

GENERATE = """
import asyncio, datetime as dt, random, sys
from server import db
from server.accounts.services import user_create
from server.db import write_transaction
from server.inspections.tables import Defect, Inspection, InspectionPlan, RectificationNotice
from server.org.services import building_create, party_create, project_create, units_bulk_create
from server.org.tables import Unit
from server.photos.tables import Photo

BUILDINGS, FLOORS, PER_FLOOR, DPU, PPD, PARTIES = map(int, sys.argv[1:7])

async def main():
    await db.start_pool()
    rng = random.Random(7)
    project = await project_create(actor=None, name="Bench")
    parties = [await party_create(actor=None, name=f"Builder {i}", kind="construction_unit") for i in range(PARTIES)]
    await user_create(actor=None, username="cs", password="%(pw)s", role="cs_staff")
    await user_create(actor=None, username="builder", password="%(pw)s", role="contractor", party_id=parties[0].id)
    for b in range(BUILDINGS):
        building = await building_create(actor=None, project_id=project.id, name=f"{b + 1}号楼")
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=FLOORS,
                                units_per_floor=PER_FLOOR)
    today = dt.date(2026, 12, 1)
    plan = InspectionPlan(project=project.id, name="Bench plan", starts_on=today, ends_on=today + dt.timedelta(days=30))
    await plan.save().run()
    units = await Unit.select(Unit.id).order_by(Unit.id).run()
    now = dt.datetime.now(dt.timezone.utc)
    async with write_transaction():
        inspections = [Inspection(unit=u["id"], plan=plan.id, status="rectifying" if i %% 3 else "planned",
                                  scheduled_for=today + dt.timedelta(days=i %% 30)) for i, u in enumerate(units)]
        for start in range(0, len(inspections), 500):
            await Inspection.insert(*inspections[start:start + 500]).run()
        rows = await Inspection.select(Inspection.id, Inspection.unit).order_by(Inspection.id).run()
        notices = []
        for row in rows:
            for p in parties[:2]:
                notices.append(RectificationNotice(inspection=row["id"], party=p.id, number=f"N{row['id']}-{p.id}",
                                                   deadline=now + dt.timedelta(days=7)))
        for start in range(0, len(notices), 500):
            await RectificationNotice.insert(*notices[start:start + 500]).run()
        notice_ids = [r["id"] for r in await RectificationNotice.select(RectificationNotice.id).order_by(
            RectificationNotice.id).run()]
        batch = []
        for index, row in enumerate(rows):
            for d in range(DPU):
                party = parties[(index + d) %% PARTIES].id
                batch.append(Defect(inspection=row["id"], unit=row["unit"], room="客厅", category="wall",
                                    severity=rng.choice(["minor", "major", "urgent"]), description="墙面空鼓",
                                    construction_unit=party, status=rng.choice(["open", "rectified", "closed"]),
                                    notice=notice_ids[index * 2], deadline=now + dt.timedelta(days=rng.randint(-5, 9))))
            if len(batch) >= 1000:
                await Defect.insert(*batch).run()
                batch = []
        if batch:
            await Defect.insert(*batch).run()
        defect_ids = [r["id"] for r in await Defect.select(Defect.id).run()]
        photos = []
        for defect_id in defect_ids:
            for p in range(PPD):
                photos.append(Photo(subject_type="defect", subject_id=defect_id, stage="found", status="ready",
                                    image_format="JPEG", byte_size=1, original_key=f"x/{defect_id}-{p}.jpg",
                                    display_key=f"d/{defect_id}-{p}.jpg", thumb_key=f"t/{defect_id}-{p}.jpg",
                                    width=1600, height=1200))
            if len(photos) >= 1000:
                await Photo.insert(*photos).run()
                photos = []
        if photos:
            await Photo.insert(*photos).run()
    middle = units[len(units) // 2 + 1]["id"]
    inspection = await Inspection.select(Inspection.id).where(Inspection.unit == middle).first().run()
    print(plan.id, middle, inspection["id"])

asyncio.run(main())
""" % {"pw": PASSWORD}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


WRK_SECONDS = 10


async def measure(base: str, path: str, token: str) -> dict:
    if have_wrk():
        result = await asyncio.to_thread(wrk, base + path, {"Authorization": f"Bearer {token}"}, CONCURRENCY,
                                         WRK_SECONDS)
        return {**result, "statuses": [200] if not result["errors"] else [0]}
    return await measure_with_httpx(base, path, token)


async def measure_with_httpx(base: str, path: str, token: str) -> dict:
    latencies: list[float] = []
    statuses: set[int] = set()
    counter = iter(range(REQUESTS))
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60,
                                 limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        async def one_client() -> None:
            for _ in counter:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                statuses.add(response.status_code)
        await asyncio.gather(*(one_client() for _ in range(CONCURRENCY)))
    return {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95), "statuses": sorted(statuses)}


async def run_on(label: str, env: dict) -> list[dict]:
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", GENERATE, str(BUILDINGS), str(FLOORS), str(PER_FLOOR),
                          str(DEFECTS_PER_UNIT), str(PHOTOS_PER_DEFECT), str(PARTIES)],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    plan_id, unit_id, inspection_id = map(int, out.stdout.split()[-3:])
    if env["DATABASE_URL"].startswith("postgresql"):
        # What autovacuum does to a live database after a bulk load: fresh
        # statistics and a visibility map, so index-only scans can be used.
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)
    print(f"{label}: generated in {time.perf_counter() - started:.0f} s", flush=True)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                               "server.app:create_app", "--port", str(port), "--workers", WEB_WORKERS, "--loop", "uvloop",
                               "--no-access-log"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            for _ in range(300):
                try:
                    await c.get("/login")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            tokens = {name: (await c.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})).json()[
                "token"] for name in ("cs", "builder")}
        targets = [
            ("contractor task list (API, 50 rows)", "/api/v1/defects?limit=50", "builder"),
            ("unit (API)", f"/api/v1/units/{unit_id}", "cs"),
            ("unit's defects (API)", f"/api/v1/defects?unit_id={unit_id}&limit=50", "cs"),
            ("project schedule (API)", f"/api/v1/inspection-plans/{plan_id}/schedule", "cs"),
            *page_targets(inspection_id, plan_id),
        ]
        for name, path, who in targets:
            await measure(base, path, tokens[who])  # warm-up
            result = await measure(base, path, tokens[who])
            rows.append({"database": label, "what": name, **result})
            print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows


def page_targets(inspection_id: int, plan_id: int) -> list[tuple[str, str, str]]:
    """The HTML pages people use (bearer tokens work on pages too)."""
    return [
        ("contractor task list (page)", "/tasks", "builder"),
        ("unit page (inspection walk-through)", f"/inspections/{inspection_id}", "cs"),
        ("project schedule (page)", f"/inspection-plans/{plan_id}", "cs"),
    ]


def postgres_available() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-inspections-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="")
    rows = []
    try:
        rows += await run_on("SQLite", dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db"))
        if postgres_available():
            name = f"cs_bench_{os.getpid()}"
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            try:
                rows += await run_on("PostgreSQL", dict(base_env,
                                                        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}"))
            finally:
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "# Inspection lists at scale",
        "",
        f"{BUILDINGS} buildings, {BUILDINGS * FLOORS * PER_FLOOR:,} units, "
        f"{BUILDINGS * FLOORS * PER_FLOOR * DEFECTS_PER_UNIT:,} defects, "
        f"{BUILDINGS * FLOORS * PER_FLOOR * DEFECTS_PER_UNIT * PHOTOS_PER_DEFECT:,} photo rows. "
        f"granian, {WEB_WORKERS} workers (one per core); {CONCURRENCY} concurrent clients from "
        f"{'wrk (one thread, ' + str(WRK_SECONDS) + ' s per row)' if have_wrk() else f'httpx ({REQUESTS} requests per row)'}"
        f" on the same 2-core machine. Target p95 < {TARGET_P95_MS} ms. `make bench` rewrites this file "
        f"({dt.date.today().isoformat()}).",
        "",
        "| database | what | p50 ms | p95 ms | meets target | HTTP statuses |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        ok = "yes" if r["p95"] < TARGET_P95_MS and r["statuses"] == [200] else "NO"
        lines.append(f"| {r['database']} | {r['what']} | {r['p50']:.1f} | {r['p95']:.1f} | {ok} | "
                     f"{', '.join(map(str, r['statuses']))} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
