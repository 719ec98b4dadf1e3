"""Redis down for 10 minutes under `make run` (issue 14, figure 3):
`.venv/bin/python -m bench.redis_outage` (part of `make bench`).

The real launcher (tests/launching.py) on a fresh SQLite file, with a
redis-server of our own (tests/support.py), under a light, steady field load
(bench/field_load.py: an inspector uploading a defect with a photo every 3 s,
a browser signing in every 10 s, a page and an API read every 5 s). Redis is
up (a baseline), killed for REDIS_OUTAGE_SECONDS (600), started again hung
(SIGSTOP) for REDIS_HUNG_SECONDS (60; 0 skips it), then SIGCONT. Exit 1 when a
request took LIMIT (2 s) or answered other than expected, a photo was not
ready in time or was claimed twice, or the launcher restarted the web server
or not the worker. Rewrites its part of "Redis faults (figure 3)" in
bench/results/reliability.md.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.field_load import (CLIENT_TIMEOUT, KINDS, PHOTO_SIZE, READ_EVERY, SIGN_IN_EVERY,
                               UPLOAD_EVERY, Field, Sample)
from tests.launching import Launched, free_port, wait_until
from tests.support import RedisServer, redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "reliability.md"
BEGIN, END = "<!-- redis-outage-bench -->", "<!-- /redis-outage-bench -->"
COMMAND = "make bench  (or: .venv/bin/python -m bench.redis_outage)"

OUTAGE_SECONDS = int(os.environ.get("REDIS_OUTAGE_SECONDS", "600"))
HUNG_SECONDS = int(os.environ.get("REDIS_HUNG_SECONDS", "60"))
BASELINE_SECONDS = 30
LIMIT = 2.0
"""Seconds: uploads and sign-in answer within this whatever Redis does (the figure's limit)."""
RECOVERY_LIMIT = 300
"""Seconds after Redis is back within which every photo must be ready."""
PHASES = {"up": "Redis up", "down": "Redis down", "hung": "Redis hung (SIGSTOP)",
          "back": "Redis back, until every photo is ready"}


def rows(db_path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


def photo_states(db_path: Path, defect_ids: list[int]) -> list[tuple[str, int]]:
    """(status, attempts) of the defects' photos."""
    if not defect_ids:
        return []
    marks = ",".join("?" * len(defect_ids))
    return rows(db_path, f"SELECT status, attempts FROM photo WHERE subject_type = 'defect' "
                         f"AND subject_id IN ({marks})", *defect_ids)


def footprint(group: int) -> tuple[float, int]:
    """Resident MB and open files of every process in a process group (granian and its worker)."""
    pids = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
    rss, files = 0.0, 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
            files += len(os.listdir(f"/proc/{pid}/fd"))
        except (FileNotFoundError, AttributeError):
            pass
    return rss, files


def workers(run: Launched) -> list[int]:
    """The default-queue worker's pid (none while the launcher waits to start it again)."""
    return [pid for pid, cmd in run.children().items() if "workers.settings.WorkerSettings" in cmd]


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-redis-outage-"))
    redis = RedisServer(redis_server_binary(), free_port(), work / "redis-owned")
    redis.start()
    run = Launched(work, REDIS_URL=f"redis://127.0.0.1:{redis.port}/0")
    field: Field | None = None
    facts: dict = {"load at start": load(), "started": dt.datetime.now(dt.timezone.utc)}
    try:
        run.wait_until_serving()
        db = run.db_path
        unit_id = rows(db, "SELECT id FROM unit ORDER BY id DESC LIMIT 1")[0][0]
        party_id = rows(db, "SELECT id FROM party WHERE name = '中建三局第一工程公司'")[0][0]
        api = httpx.Client(base_url=run.base_url, timeout=CLIENT_TIMEOUT)
        token = api.post("/api/v1/auth/token", json={"username": "yanfang", "password": "demo12345"}).json()["token"]
        api.headers["Authorization"] = f"Bearer {token}"
        inspection = api.post("/api/v1/inspections", json={"unit_id": unit_id}).json()
        assert api.post(f"/api/v1/inspections/{inspection['id']}/start").status_code == 200
        web, worker = run.child("granian"), run.child("workers.settings.WorkerSettings")
        field = Field(run.base_url, token, inspection["id"], party_id)
        loads: dict[str, str] = {}
        footprints: list[tuple[str, float, int]] = [("serving, before the load", *footprint(web))]

        field.start()
        time.sleep(BASELINE_SECONDS)
        wait_until(lambda: photo_states(db, [i for _, i in field.uploads[:1]]) == [("ready", 1)], 60,
                   "a photo processed while Redis is up")
        loads["up"] = load()
        footprints.append(("Redis up, before the outage", *footprint(web)))

        seen = len(run.lines)
        field.phase = "down"
        redis.process.kill()
        redis.process.wait()
        down_at = time.monotonic()
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            time.sleep(min(60, OUTAGE_SECONDS - (time.monotonic() - down_at)))
            footprints.append(("Redis down, each minute", *footprint(web)))
        loads["down"] = load()

        redis.start()
        if HUNG_SECONDS:
            field.phase = "hung"
            os.kill(redis.process.pid, signal.SIGSTOP)
            time.sleep(HUNG_SECONDS)
            footprints.append((f"Redis hung {HUNG_SECONDS} s", *footprint(web)))
            loads["hung"] = load()
            os.kill(redis.process.pid, signal.SIGCONT)
        field.phase = "back"
        back_at = time.monotonic()

        def taken_while_gone() -> list[int]:  # an upload sent before SIGCONT may be answered after it
            return [i for phase, i in list(field.uploads) if phase in ("down", "hung")]

        facts["first ready after"] = facts["all ready after"] = None
        facts["ready by"] = progress = {}  # seconds after SIGCONT -> photos of the outage ready by then
        while time.monotonic() - back_at < RECOVERY_LIMIT:
            ready = [s == "ready" for s, _ in photo_states(db, taken_while_gone())]
            if any(ready) and facts["first ready after"] is None:
                facts["first ready after"] = time.monotonic() - back_at
            progress[30 * (int(time.monotonic() - back_at) // 30 + 1)] = sum(ready)
            if all(ready):
                facts["all ready after"] = time.monotonic() - back_at
                break
            time.sleep(0.25)
        field.stop()
        loads["back"] = load()
        outage = taken_while_gone()
        facts["taken"] = {phase: sum(p == phase for p, _ in field.uploads) for phase in ("down", "hung")}
        facts["answered pending"] = sum(p in ("down", "hung") for p in field.answered_pending)
        everything = [i for _, i in field.uploads]
        try:  # the photos of the last seconds too
            wait_until(lambda: {s for s, _ in photo_states(db, everything)} == {"ready"}, 120, "every photo ready")
        except AssertionError:
            pass
        footprints.append(("Redis back, every photo processed", *footprint(web)))
        states = photo_states(db, everything)
        facts.update(
            photos=len(states), ready=sum(s == "ready" for s, _ in states),
            outage_photos=len(photo_states(db, outage)),
            outage_ready=sum(s == "ready" for s, _ in photo_states(db, outage)),
            claimed_twice=sum(a > 1 for _, a in states),
            web_kept=run.child("granian") == web, launcher_alive=run.process.poll() is None,
            worker_restarts=sum("Restarted worker (pid" in line for line in run.lines[seen:]),
            worker_new=worker not in workers(run) and len(workers(run)) == 1,
            footprints=footprints, loads=loads)
        facts["launcher_exit"] = run.interrupt()
        # What the launcher did, and what the sweeps queued, timed; REDIS_OUTAGE_LOG keeps every line.
        print("".join(line for line in run.lines if line.startswith("[") or "Photo sweep" in line))
        if os.environ.get("REDIS_OUTAGE_LOG"):
            Path(os.environ["REDIS_OUTAGE_LOG"]).write_text(run.output())
    finally:
        if field is not None:
            field.stop()
        run.kill()
        if redis.process is not None:
            redis.process.kill()
            redis.process.wait()
        shutil.rmtree(work, ignore_errors=True)
    facts["load at end"] = load()
    failures = judge(field.samples, facts)
    write_results(field.samples, facts, failures)
    return 1 if failures else 0


def judge(samples: list[Sample], facts: dict) -> list[str]:
    slow = sum(s.seconds >= LIMIT for s in samples)
    wrong = sorted({(s.kind, s.status or s.error) for s in samples if s.status != KINDS[s.kind][1]})
    checks = [
        (slow, f"{slow} requests took {LIMIT:.0f} s or more"),
        (wrong, f"requests answered other than expected: {wrong}"),
        (facts["answered pending"] != sum(facts["taken"].values()), "an outage upload's photo was not `pending`"),
        (facts["all ready after"] is None or facts["ready"] != facts["photos"],
         f"photos ready: {facts['ready']} of {facts['photos']}"),
        (facts["claimed_twice"], f"{facts['claimed_twice']} photos claimed more than once"),
        (not (facts["web_kept"] and facts["launcher_alive"]), "the launcher stopped or restarted the web server"),
        (not (facts["worker_restarts"] and facts["worker_new"]), "the worker was not restarted"),
        (facts["launcher_exit"] != 0, f"the launcher exited {facts['launcher_exit']} on Ctrl-C"),
    ]
    return [message for failed, message in checks if failed]


def write_results(samples: list[Sample], facts: dict, failures: list[str]) -> None:
    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f}"

    outage = f"{OUTAGE_SECONDS // 60} min" if OUTAGE_SECONDS % 60 == 0 else f"{OUTAGE_SECONDS} s"
    hung = f", then hung (SIGSTOP) {HUNG_SECONDS} s" if HUNG_SECONDS else ""
    lines = [
        BEGIN,
        f"### The benchmark: Redis down {outage}{hung}",
        "",
        f"`{COMMAND}`; `REDIS_OUTAGE_SECONDS` and `REDIS_HUNG_SECONDS` shorten it. The launcher of `make run` "
        "(granian and the arq workers) on a fresh SQLite file with the demo data, against a redis-server the "
        "benchmark owns, killed (SIGKILL) and later started again hung. A steady light field load throughout: "
        f"an inspector records a defect with one {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} photo-like JPEG (~0.8 MB, what "
        f"the phone's outbox sends) every {UPLOAD_EVERY:.0f} s through the API, a browser signs in (the form, "
        f"then the POST with its CSRF token) every {SIGN_IN_EVERY:.0f} s, and every {READ_EVERY:.0f} s reads the "
        f"newest defect's page while the API reads it. `PHOTO_SWEEP_SECONDS` "
        f"{os.environ.get('PHOTO_SWEEP_SECONDS', '60 (the default)')}. Measured "
        f"{facts['started']:%Y-%m-%d %H:%M} UTC on the shared 2-core machine; load average (1, 5, 15 min) "
        f"{facts['load at start']} at the start, {facts['load at end']} at the end; `load` below is the "
        "1-minute figure at the end of the phase.",
        "",
        f"| phase | request | count | p50 ms | p95 ms | max ms | {LIMIT:.0f} s or more | other answer | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for phase, label in PHASES.items():
        if phase == "down":
            label = f"{label} {outage}"
        elif phase == "hung":
            label = f"{label} {HUNG_SECONDS} s"
        for kind, (what, expected) in KINDS.items():
            times = [s.seconds for s in samples if s.phase == phase and s.kind == kind]
            if not times:
                continue
            other = [s for s in samples if s.phase == phase and s.kind == kind and s.status != expected]
            lines.append(f"| {label} | {what} | {len(times)} | {ms(statistics.median(times))} | {ms(p95(times))} | "
                         f"{ms(max(times))} | {sum(t >= LIMIT for t in times)} | {len(other)} | "
                         f"{facts['loads'].get(phase, '').split(' / ')[0]} |")
    ready_after, first_after = facts["all ready after"], facts["first ready after"]
    sizes: dict[str, list[tuple[float, int]]] = {}
    for what, rss, files in facts["footprints"]:
        sizes.setdefault(what, []).append((rss, files))
    taken = facts["taken"]
    lines += [
        "",
        "| what | measured |",
        "| --- | --- |",
        f"| photos taken during the outage | {taken['down'] + taken['hung']} ({taken['down']} while down, "
        f"{taken['hung']} while hung), {facts['answered pending']} of them answered 201 with the photo `pending` |",
        f"| time from Redis answering again (SIGCONT) to every one of them `ready` | "
        f"{f'{ready_after:.1f} s' if ready_after is not None else f'not within {RECOVERY_LIMIT} s'} "
        f"({facts['outage_ready']} of {facts['outage_photos']}; the first after "
        f"{f'{first_after:.1f} s' if first_after is not None else '-'}; ready within "
        + ", ".join(f"{t} s: {n}" for t, n in sorted(facts["ready by"].items())) + "). The worker's start-up sweep queues "
        "the photos pending longer than `PENDING_GRACE` (30 s); the rest wait for the next sweep (`PHOTO_SWEEP_SECONDS`) |",
        f"| every photo of the run | {facts['ready']} of {facts['photos']} `ready`; claimed more than once "
        f"(`attempts` > 1): {facts['claimed_twice']} |",
        f"| web server (granian) | {'the same process throughout' if facts['web_kept'] else 'RESTARTED'}"
        f"{'' if facts['launcher_alive'] else '; the launcher stopped'} |",
        f"| worker (default queue) | restarted by the launcher {facts['worker_restarts']} times while Redis was "
        f"gone (it exits once its connection retries run out; the launcher's backoff grows to 30 s) |",
        "| web server's resident memory and open files (granian and its worker) | " + "; ".join(
            f"{what}: {min(r for r, _ in v):.0f}–{max(r for r, _ in v):.0f} MB, "
            f"{min(f for _, f in v)}–{max(f for _, f in v)} files" if len(v) > 1 else
            f"{what}: {v[0][0]:.0f} MB, {v[0][1]} files" for what, v in sizes.items()) + " |",
        "",
        f"Result: {'passed' if not failures else 'FAILED: ' + '; '.join(failures)}.",
        END,
    ]
    block = "\n".join(lines)
    text = RESULTS.read_text()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = re.sub(r"Not measured: the benchmark's 10-minute outage.*?\n\n", lambda _: block + "\n\n", text,
                      count=1, flags=re.S)
    RESULTS.write_text(text)
    print(block)


if __name__ == "__main__":
    sys.exit(main())
