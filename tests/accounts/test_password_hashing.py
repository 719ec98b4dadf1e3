"""A sign-in's argon2 check (some 50 ms of CPU and 64 MiB) runs off the event loop,
so the one web process keeps answering everyone else meanwhile, and no more of them
run at once than there are cores."""
from __future__ import annotations

import asyncio
import os
import threading
import time

from server.accounts import passwords

PASSWORD = "correct horse battery"


async def test_the_event_loop_keeps_running_while_a_password_is_checked():
    stored = passwords.hash_password(PASSWORD)
    ticks = 0

    async def other_requests() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(other_requests())
    started = time.perf_counter()
    assert await passwords.checked(stored, PASSWORD) is True
    took = time.perf_counter() - started
    assert await passwords.checked(stored, "wrong password") is False
    ticker.cancel()
    # Done on the loop, the check would let the ticker run at most once or twice.
    assert ticks >= 10, f"{ticks} ticks in {took * 1000:.0f} ms: the loop waited for argon2"
    assert passwords.verify_password(await passwords.hashed(PASSWORD), PASSWORD)


async def test_no_more_checks_at_once_than_cores(monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()

    def slow_check(password_hash, password) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return True

    monkeypatch.setattr(passwords, "verify_password", slow_check)
    cores = os.cpu_count() or 1
    assert await asyncio.gather(*(passwords.checked("x", "y") for _ in range(cores * 3))) == [True] * (cores * 3)
    assert most == cores
