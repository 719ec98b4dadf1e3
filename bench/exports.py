"""A 100,000-row defect export: `.venv/bin/python -m bench.exports` (part of `make bench`).

Generates 2,000 units (20 buildings) with a finished inspection and a
rectification notice each, and 100,000 defects with a notice over 10
contractors, every description different (the worst case for the workbook's
shared strings), in a fresh SQLite file and (when PostgreSQL answers on
127.0.0.1:5432) a fresh PostgreSQL database. 1,000 defects are inserted
through Piccolo, the other 99,000 by one INSERT ... SELECT over a recursive
counter (seconds instead of minutes). The app is served by granian with one
worker; a CS manager downloads `/exports/defects.xlsx?status=all` (every
defect), and the worker process's peak resident memory (VmHWM) and its
resident memory before the download (VmRSS) are read from /proc. The file is
then opened with openpyxl to check it holds every row. Target: peak < 512 MB.
Writes bench/results/exports.md.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from openpyxl import load_workbook

from bench.dashboards import postgres_available, sign_in
from bench.load import free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "exports.md"
BUILDINGS, FLOORS, PER_FLOOR, PARTIES = 20, 25, 4, 10
BASE_DEFECTS, COPIES = 1000, 100  # 1,000 × 100 = 100,000
TARGET_MB = 512

GENERATE = """
import asyncio, datetime as dt, random, sys
from server import db
from server.accounts.services import user_create
from server.db import write_transaction
from server.inspections.tables import Defect, Inspection, RectificationNotice
from server.org.services import building_create, party_create, project_create, units_bulk_create
from server.org.tables import Unit
from bench.dashboards import PASSWORD

BUILDINGS, FLOORS, PER_FLOOR, PARTIES, BASE, COPIES = map(int, sys.argv[1:7])
CATEGORIES = ["wall", "floor", "plumbing", "electrical", "door_window"]

async def main():
    await db.start_pool()
    rng = random.Random(7)
    project = await project_create(actor=None, name="导出测试")
    parties = [(await party_create(actor=None, name=f"施工单位{i}", kind="construction_unit")).id
               for i in range(PARTIES)]
    await user_create(actor=None, username="manager", password=PASSWORD, role="cs_staff")
    for b in range(BUILDINGS):
        building = await building_create(actor=None, project_id=project.id, name=f"{b + 1}号楼")
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=FLOORS,
                                units_per_floor=PER_FLOOR)
    units = [r["id"] for r in await Unit.select(Unit.id).order_by(Unit.id).run()]
    now = dt.datetime.now(dt.timezone.utc)
    async with write_transaction():
        rows = [Inspection(unit=unit, status="rectifying", is_first=True, scheduled_for=now.date(),
                           started_at=now - dt.timedelta(days=30), completed_at=now - dt.timedelta(days=30))
                for unit in units]
        for start in range(0, len(rows), 500):
            await Inspection.insert(*rows[start:start + 500]).run()
        inspections = await Inspection.select(Inspection.id, Inspection.unit).order_by(Inspection.id).run()
        notices = [RectificationNotice(inspection=r["id"], party=parties[i % PARTIES], number=f"N{r['id']}",
                                       deadline=now + dt.timedelta(days=7), created_at=now - dt.timedelta(days=30))
                   for i, r in enumerate(inspections)]
        for start in range(0, len(notices), 500):
            await RectificationNotice.insert(*notices[start:start + 500]).run()
        notice_of = {r["inspection"]: r for r in await RectificationNotice.select(
            RectificationNotice.id, RectificationNotice.inspection, RectificationNotice.party).run()}
        batch = []
        for i in range(BASE):
            r = inspections[i % len(inspections)]
            notice = notice_of[r["id"]]
            status = rng.choice(["open", "open", "rectified", "closed"])
            made = now - dt.timedelta(days=rng.randint(1, 40))
            batch.append(Defect(inspection=r["id"], unit=r["unit"], room="客厅", category=rng.choice(CATEGORIES),
                                severity="minor", description=f"墙面空鼓，面积约{i}平方厘米", status=status,
                                construction_unit=notice["party"], notice=notice["id"],
                                reopen_count=rng.choice([0, 0, 0, 1]),
                                deadline=now + dt.timedelta(days=rng.randint(-5, 9)), created_at=made,
                                rectified_at=made + dt.timedelta(days=2) if status != "open" else None,
                                closed_at=made + dt.timedelta(days=3) if status == "closed" else None))
        await Defect.insert(*batch).run()
        # The rest as copies of those, each with its own description and spread over the units.
        await Defect.raw(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + str(COPIES - 1) + ") "
            "INSERT INTO defect (inspection, unit, room, category, severity, description, construction_unit, "
            "status, reopen_count, notice, deadline, created_at, rectified_at, closed_at) "
            "SELECT inspection, unit, room, category, severity, description || '，第' || CAST(n.i AS TEXT) || '处', "
            "construction_unit, status, reopen_count, notice, deadline, created_at, rectified_at, closed_at "
            "FROM defect CROSS JOIN n").run()
    print(await Defect.count().run())

asyncio.run(main())
"""


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (the machine is shared: wall time alone misleads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (granian's worker runs as a child of its main process)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _worker(server_pid: int) -> int:
    """The process that serves requests: the descendant with the most resident memory (the app is imported there)."""
    return max(_descendants(server_pid) or [server_pid], key=lambda p: _memory_kb(p, "VmRSS"))


async def run_on(label: str, env: dict) -> dict:
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", GENERATE, str(BUILDINGS), str(FLOORS), str(PER_FLOOR), str(PARTIES),
                          str(BASE_DEFECTS), str(COPIES)], env=env, cwd=ROOT, check=True, capture_output=True,
                         text=True)
    defects = int(out.stdout.split()[-1])
    if env["DATABASE_URL"].startswith("postgresql"):
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)
    generated = time.perf_counter() - started
    print(f"{label}: {defects:,} defects generated in {generated:.0f} s", flush=True)
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                               "server.app:create_app", "--port", str(port), "--workers", "1", "--loop", "uvloop",
                               "--no-access-log"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        cookies = await sign_in(base)
        worker = _worker(server.pid)
        before_kb, cpu_before = _memory_kb(worker, "VmRSS"), _cpu_seconds(worker)
        body = io.BytesIO()
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=600) as client:
            started = time.perf_counter()
            async with client.stream("GET", "/exports/defects.xlsx", params={"status": "all"}) as response:
                first_byte = None
                async for chunk in response.aiter_bytes():
                    first_byte = first_byte or time.perf_counter() - started
                    body.write(chunk)
            seconds = time.perf_counter() - started
        peak_kb, cpu = _memory_kb(worker, "VmHWM"), _cpu_seconds(worker) - cpu_before
        status = response.status_code
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = sum(1 for _ in load_workbook(body, read_only=True).active.iter_rows(values_only=True)) - 1
    result = {"database": label, "defects": defects, "rows": rows, "status": status, "seconds": seconds, "cpu": cpu,
              "first_byte": first_byte or seconds, "bytes": body.tell(), "before_mb": before_kb / 1024,
              "peak_mb": peak_kb / 1024, "generated": generated}
    print(result, flush=True)
    return result


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    base_env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789",
                    REDIS_URL="")
    load = os.getloadavg()[0]
    results = []
    try:
        results.append(await run_on("SQLite", dict(base_env, DATABASE_URL=f"sqlite:///{work}/bench.db")))
        if postgres_available():
            name = f"cs_bench_exports_{os.getpid()}"
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            try:
                results.append(await run_on("PostgreSQL", dict(
                    base_env, DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{name}")))
            finally:
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "# A 100,000-row defect export",
        "",
        f"{BASE_DEFECTS * COPIES:,} defects with a rectification notice over {BUILDINGS * FLOORS * PER_FLOOR:,} units "
        f"and {PARTIES} contractors, every description different. A CS manager downloads `/exports/defects.xlsx"
        "?status=all` from granian (one worker); the worker's resident memory before the download (VmRSS) and its "
        "peak over its whole life (VmHWM, which includes starting the app) are read from /proc; the file is opened "
        f"back with openpyxl to count its rows. Target: peak < {TARGET_MB} MB. Same 2-core machine as the other "
        f"benchmarks (load average {load:.1f} when the run began, {os.getloadavg()[0]:.1f} at its end). "
        f"`make bench` rewrites this file ({dt.date.today().isoformat()}).",
        "",
        "| database | rows in the file | seconds to the last byte | to the first byte | worker CPU seconds | file MB "
        "| worker RSS before, MB | worker peak RSS, MB | meets target | HTTP status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        ok = "yes" if r["peak_mb"] < TARGET_MB and r["status"] == 200 and r["rows"] == r["defects"] else "NO"
        lines.append(f"| {r['database']} | {r['rows']:,} | {r['seconds']:.1f} | {r['first_byte']:.1f} | "
                     f"{r['cpu']:.1f} | {r['bytes'] / 1048576:.1f} | {r['before_mb']:.0f} | {r['peak_mb']:.0f} | "
                     f"{ok} | {r['status']} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
