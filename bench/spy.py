"""Where a served request's time goes: py-spy on a worker process under wrk's load (bench/serving.py,
bench/inspections.py). py-spy comes with `pip install -e '.[bench]'`; without it the profile says so."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.load import wrk


def worker_of(pid: int) -> int:
    """The process that serves: a granian master's first worker, else `pid` itself (uvicorn)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return int(children[0]) if children else pid


def py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


# Where a sample of the event loop's thread is spent: the first of these found anywhere in its stack.
PARTS = [
    ("sign-in check", ("_user_by_credential",)),
    ("templates (Jinja)", ("Template.render", "render_block")),
    ("database and ORM (queries, Piccolo)", ("Query.run", "Query._run", "built_once.<locals>.run", "get_by_id",
                                            "TunedSQLiteEngine.fetch", "run_querystring", "Transaction.__a")),
    ("handler's own code", ("HTTPRoute._call_handler_function",)),
    ("framework and middleware (Litestar, ours)", ("Litestar.__call__",)),
]
OUTSIDE = "granian and the event loop (outside the app)"


def part_of(frames: list[str]) -> str:
    for name, marks in PARTS:
        if any(frame.startswith(mark) for frame in frames for mark in marks):
            return name
    return OUTSIDE


async def profile(base: str, worker: int, path: str, headers: dict, connections: int,
                  seconds: int) -> tuple[list[str], dict[str, float]]:
    """py-spy on one worker process's event-loop thread while wrk loads `base + path` with `connections`: the
    top 20 frames by time inside the app, by the frame running (self), and the share of the samples in each
    of PARTS."""
    spy = py_spy()
    if spy is None:
        return ["(py-spy is not installed: `.venv/bin/pip install py-spy`)"], {}
    raw = Path(tempfile.mkstemp(suffix=".txt")[1])
    load = asyncio.ensure_future(asyncio.to_thread(wrk, base + path, headers, connections, seconds + 2))
    await asyncio.sleep(1)
    await asyncio.to_thread(subprocess.run, [spy, "record", "-p", str(worker), "-d", str(seconds), "-r", "250",
                                             "-f", "raw", "-o", str(raw), "--nonblocking"], capture_output=True)
    await load
    inclusive: Counter = Counter()
    own: Counter = Counter()
    parts: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "asgi" not in stack:  # the event loop's thread only (not aiosqlite's, not the idle pool)
            continue
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] + ")"
                  for frame in stack.split(";") if " (" in frame]
        app = next((i for i, frame in enumerate(frames) if frame.startswith("Litestar.__call__")), None)
        inside = frames[app + 1:] if app is not None else []  # below granian's own frames
        total += int(count)
        for frame in set(inside):
            inclusive[frame] += int(count)
        if frames:
            own[frames[-1]] += int(count)
        parts[part_of(frames)] += int(count)
    raw.unlink()
    if not total:
        return ["(no samples)"], {}
    shares = {name: parts[name] / total for name, _ in PARTS + [(OUTSIDE, ())]}
    lines = [f"{total} samples of the event loop's thread; share of them inside each frame below Litestar.__call__ "
             "(inclusive; the rest is granian and the event loop):"]
    lines += [f"  {n / total * 100:5.1f} %  {frame}" for frame, n in inclusive.most_common(20)]
    lines += ["", "the same samples by the frame running at the time (self):"]
    lines += [f"  {n / total * 100:5.1f} %  {frame}" for frame, n in own.most_common(20)]
    lines += ["", "the same samples by part of the request (bench/spy.py PARTS):"]
    lines += [f"  {share * 100:5.1f} %  {name}" for name, share in shares.items()]
    return lines, shares
