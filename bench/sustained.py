"""Sustained load on one machine with the default set-up (issue 14, figure 12):
`.venv/bin/python -m bench.sustained` (part of `make bench`).

`python -m server run` as a user starts it (SQLite under a fresh folder, the local
Redis, one web process, the workers), on data from bench/sustained_data.py, and a
mix of field users from this process, each on its own schedule:

- inspectors: each saves a defect with a 1 MB phone photo every 30 s (POST
  /api/v1/inspections/{id}/defects, a new client_id each), and in between looks at a
  list every 10 s: its walk-through page, its unit's defects, its last photo's status;
- owners: each signs in, opens its home page, reads its batch's delivery times and
  books one, a few seconds apart; the base mix's 200 owners arrive over 5 minutes;
- contractors: each polls its task list every 20 s (the page, then the API).

The base mix (50 inspectors, 200 owners, 20 contractors) runs for SUSTAINED_SECONDS
(600); then the mix is multiplied by each of SCALES for STEP_SECONDS (120) each, until
one does not hold. A mix holds when the p95 of all its requests is under 300 ms, no
request fails (a status other than the one expected, a timeout, a dropped connection),
and every photo accepted is `ready` within a minute of the step's end. Schedules are
fixed in advance (open loop): a slow answer does not slow the arrivals down.

Writes bench/results/sustained.md and its summary into bench/results/reliability.md.
The load generator runs on the same 2 cores as the app (its share is in the table).
"""
from __future__ import annotations

import asyncio
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image

from bench.photos import make_photo
from bench.sustained_report import write_results
from tests.launching import Launched

ROOT = Path(__file__).resolve().parent.parent
SUSTAINED_SECONDS = int(os.environ.get("SUSTAINED_SECONDS", "600"))
STEP_SECONDS = int(os.environ.get("STEP_SECONDS", "120"))
SCALES = [float(s) for s in os.environ.get("SCALES", "1.25,1.5,2,3,4").split(",") if s]
BASE = {"inspectors": 50, "owners": 200, "contractors": 20}
OWNER_WINDOW = 300          # the base mix's owners all book within these 5 minutes
SAVE_EVERY, BROWSE_EVERY, POLL_EVERY = 30.0, 10.0, 20.0
TARGET_P95_MS = 300
READY_WITHIN = 60.0         # seconds after a step for every accepted photo to be ready
TIMEOUT = 30.0
PHOTO_VARIANTS = 6


@dataclass
class Step:
    label: str
    scale: float
    seconds: int
    samples: list[tuple[str, float, int]] = field(default_factory=list)
    """(kind, seconds, status or 0 for a transport failure)"""
    failures: list[str] = field(default_factory=list)
    photos: list[int] = field(default_factory=list)
    client_cpu: float = 0.0
    photo_lag: list[float] = field(default_factory=list)
    not_ready: int = 0

    def mix(self) -> dict[str, int]:
        owners = round(BASE["owners"] * self.scale * min(self.seconds, OWNER_WINDOW) / OWNER_WINDOW)
        return {"inspectors": round(BASE["inspectors"] * self.scale), "owners": owners,
                "contractors": round(BASE["contractors"] * self.scale)}


def phone_photos() -> list[bytes]:
    """About 1 MB each, 2592×1944 with sensor grain; half stored sideways with an EXIF turn."""
    photos = []
    for seed in range(PHOTO_VARIANTS):
        exif = Image.Exif()
        exif[0x0112] = 6 if seed % 2 else 1
        buffer = io.BytesIO()
        make_photo(seed, 0.16).resize((2592, 1944)).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
        photos.append(buffer.getvalue())
    return photos


class Load:
    """Who is signed in with which token, and one step's requests."""

    def __init__(self, client: httpx.AsyncClient, data: dict, tokens: dict[str, str], photos: list[bytes]):
        self.client, self.data, self.tokens, self.photos = client, data, tokens, photos
        self.owners_used = 0
        self.step: Step | None = None

    async def call(self, kind: str, expected: int, method: str, path: str, token: str | None, **kwargs) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, headers=headers, timeout=TIMEOUT, **kwargs)
        except httpx.HTTPError as exc:
            self.step.samples.append((kind, time.perf_counter() - started, 0))
            self.step.failures.append(f"{kind}: {type(exc).__name__}")
            return None
        self.step.samples.append((kind, time.perf_counter() - started, response.status_code))
        if response.status_code != expected:
            self.step.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")
            return None
        return response

    async def inspector(self, index: int, until: float, rng: random.Random) -> None:
        work = self.data["inspectors"][index]
        token = self.tokens[f"inspector{index}"]
        browse = [("inspector: walk-through page", f"/inspections/{work['inspection']}"),
                  ("inspector: unit's defects (API)", f"/api/v1/defects?unit_id={work['unit']}&limit=50")]
        last_photo = None
        start = time.monotonic() + rng.uniform(0, SAVE_EVERY)
        for tick in range(int((until - start) // BROWSE_EVERY) + 1):
            await _sleep_until(start + tick * BROWSE_EVERY, until)
            if time.monotonic() >= until:
                return
            if tick % round(SAVE_EVERY / BROWSE_EVERY) == 0:
                form = {"client_id": str(uuid.uuid4()), "room": "客厅", "category": "wall", "severity": "minor",
                        "description": "墙面空鼓约 20 cm²", "construction_unit_id": str(rng.choice(self.data["parties"]))}
                files = [("photos", ("IMG.jpg", rng.choice(self.photos), "image/jpeg"))]
                answer = await self.call("inspector: save a defect with a 1 MB photo", 201, "POST",
                                         f"/api/v1/inspections/{work['inspection']}/defects", token,
                                         data=form, files=files)
                if answer is not None:
                    last_photo = answer.json()["photos"][0]["id"]
                    self.step.photos.append(last_photo)
            elif last_photo is not None and tick % 3 == 1:
                await self.call("inspector: photo status (API)", 200, "GET", f"/api/v1/photos/{last_photo}", token)
            else:
                await self.call(*_named(browse[tick % 2]), token)

    async def owner(self, index: int, arrive: float, rng: random.Random) -> None:
        home = self.data["homes"][index]
        await _sleep_until(arrive, arrive)
        answer = await self.call("owner: sign in (API token)", 200, "POST", "/api/v1/auth/token", None,
                                 json={"username": f"owner{index}", "password": self.data["password"]})
        if answer is None:
            return
        token = answer.json()["token"]
        await asyncio.sleep(rng.uniform(1, 4))
        await self.call("owner: home page", 200, "GET", "/owner", token)
        await asyncio.sleep(rng.uniform(2, 6))
        slots = await self.call("owner: delivery times (API)", 200, "GET",
                                f"/api/v1/delivery-batches/{home['batch']}/slots", token)
        if slots is None:
            return
        free = [s["id"] for s in slots.json()["items"] if s["left"] > 0]
        await asyncio.sleep(rng.uniform(2, 6))
        await self.call("owner: book a delivery time (API)", 201, "POST", f"/api/v1/units/{home['unit']}/appointment",
                        token, json={"slot_id": rng.choice(free), "client_id": str(uuid.uuid4())})
        await asyncio.sleep(rng.uniform(1, 3))
        await self.call("owner: home page", 200, "GET", "/owner", token)

    async def contractor(self, index: int, until: float, rng: random.Random) -> None:
        token = self.tokens[f"contractor{index}"]
        start = time.monotonic() + rng.uniform(0, POLL_EVERY)
        for tick in range(int((until - start) // POLL_EVERY) + 1):
            await _sleep_until(start + tick * POLL_EVERY, until)
            if time.monotonic() >= until:
                return
            if tick % 2:
                await self.call("contractor: task list (API)", 200, "GET", "/api/v1/defects?status=open&limit=50", token)
            else:
                await self.call("contractor: task list page", 200, "GET", "/tasks", token)

    async def run(self, step: Step) -> None:
        self.step = step
        rng = random.Random(step.label)
        mix = step.mix()
        began = time.monotonic()
        until = began + step.seconds
        window = min(step.seconds, OWNER_WINDOW)
        owners = range(self.owners_used, self.owners_used + mix["owners"])
        self.owners_used += mix["owners"]
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.gather(
            *(self.inspector(i, until, rng) for i in range(mix["inspectors"])),
            *(self.owner(i, began + rng.uniform(0, window), rng) for i in owners),
            *(self.contractor(i, until, rng) for i in range(mix["contractors"])))
        after = resource.getrusage(resource.RUSAGE_SELF)
        step.client_cpu = (after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime) / step.seconds


def _named(target: tuple[str, str]) -> tuple[str, int, str, str]:
    return target[0], 200, "GET", target[1]


async def _sleep_until(moment: float, limit: float) -> None:
    await asyncio.sleep(max(0.0, min(moment, limit) - time.monotonic()))


def photo_outcome(db_path: Path, step: Step) -> None:
    """Wait for the step's photos; their upload→ready times from the database's own stamps."""
    marks = ",".join("?" * len(step.photos)) or "NULL"

    def rows() -> list[tuple]:
        with sqlite3.connect(db_path) as conn:
            return conn.execute(f"SELECT status, (julianday(processed_at) - julianday(created_at)) * 86400 "
                                f"FROM photo WHERE id IN ({marks})", step.photos).fetchall()
    deadline = time.monotonic() + READY_WITHIN
    while any(status != "ready" for status, _ in rows()) and time.monotonic() < deadline:
        time.sleep(1)
    found = rows()
    step.not_ready = sum(1 for status, _ in found if status != "ready") + len(step.photos) - len(found)
    step.photo_lag = sorted(lag for status, lag in found if status == "ready")


def server_memory(run: Launched) -> dict[str, float]:
    """Peak resident memory (VmHWM) of the web server and the workers, in MB."""
    peaks: dict[str, float] = {}
    for pid, command in run.children().items():
        name = "web" if "granian" in command else "workers" if "workers.settings" in command else None
        if name is None:
            continue
        pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                        text=True).stdout.split()]
        for each in pids:
            try:
                status = Path(f"/proc/{each}/status").read_text()
            except FileNotFoundError:
                continue
            kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
            peaks[name] = max(peaks.get(name, 0.0), kb / 1024)
    return peaks


async def sign_in_all(client: httpx.AsyncClient, data: dict, largest: dict[str, int]) -> dict[str, str]:
    """The inspectors and contractors signed in before the clock starts (they keep their tokens all day)."""
    names = [f"inspector{i}" for i in range(largest["inspectors"])] + [
        f"contractor{i}" for i in range(largest["contractors"])]
    tokens: dict[str, str] = {}
    for name in names:
        r = await client.post("/api/v1/auth/token", json={"username": name, "password": data["password"]})
        r.raise_for_status()
        tokens[name] = r.json()["token"]
    return tokens


def holds(step: Step) -> bool:
    latencies = sorted(s for _, s, _ in step.samples)
    p95 = latencies[int(0.95 * len(latencies))] * 1000 if latencies else float("inf")
    return p95 < TARGET_P95_MS and not step.failures and step.not_ready == 0


async def main() -> int:
    steps = [Step("base mix, 10 minutes" if SUSTAINED_SECONDS == 600 else f"base mix, {SUSTAINED_SECONDS} s",
                  1.0, SUSTAINED_SECONDS)]
    steps += [Step(f"{scale:g}× the base mix, {STEP_SECONDS} s", scale, STEP_SECONDS) for scale in SCALES]
    largest = {k: max(s.mix()[k] for s in steps) for k in BASE}
    owners_needed = sum(s.mix()["owners"] for s in steps)
    work = Path(tempfile.mkdtemp(prefix="bench-sustained-"))
    env = {"DATABASE_URL": f"sqlite:///{work / 'run.db'}", "MEDIA_ROOT": str(work / "media"), "REDIS_URL": ""}
    subprocess.run([sys.executable, "-m", "server", "migrate"], env=dict(os.environ, **env), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    made = subprocess.run([sys.executable, "-m", "bench.sustained_data", str(largest["inspectors"]),
                           str(owners_needed), str(largest["contractors"])], env=dict(os.environ, **env), cwd=ROOT,
                          check=True, capture_output=True, text=True)
    data = json.loads(made.stdout.splitlines()[-1])
    photos = phone_photos()
    run = Launched(work, HOST="127.0.0.1")
    ran: list[Step] = []
    memory: dict[str, float] = {}
    try:
        run.wait_until_serving()
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        async with httpx.AsyncClient(base_url=run.base_url, limits=limits) as client:
            load = Load(client, data, await sign_in_all(client, data, largest), photos)
            for step in steps:
                print(f"{step.label}: {step.mix()}", flush=True)
                await load.run(step)
                await asyncio.to_thread(photo_outcome, run.db_path, step)
                ran.append(step)
                print(f"  requests {len(step.samples)}, failures {len(step.failures)}, not ready {step.not_ready}, "
                      f"holds {holds(step)}", flush=True)
                if not holds(step) and step.scale > 1:
                    break
        memory = server_memory(run)
    finally:
        run.kill()
    write_results(ran, memory, holds, os.getloadavg())
    return 0 if ran and holds(ran[0]) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
