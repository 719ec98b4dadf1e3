"""Load generation shared by the benchmarks: wrk when installed (C, one thread,
so the cores stay with the server being measured), else the caller's httpx client."""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.requests, summary.duration, summary.errors.status, errors))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(url: str, headers: dict[str, str], connections: int, seconds: int) -> dict:
    """p50/p95/p99 in ms, requests per second, and the count of failed requests."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    p50, p95, p99, requests, micros, bad_status, errors = map(int, out.split("RESULT")[1].split())
    return {"p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000, "rps": requests / (micros / 1e6),
            "requests": requests, "errors": bad_status + errors}


STARTUP_SECONDS = 120
"""How long a benchmark waits for the server it started: a busy machine starts the workers slowly."""


async def wait_until_up(base: str, label: str) -> None:
    """Until the server at `base` answers (its sign-in page), at most STARTUP_SECONDS."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for _ in range(STARTUP_SECONDS * 10):
            try:
                await client.get("/login")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{label}: the server did not answer within {STARTUP_SECONDS} s")
