"""The WebKit row of bench/offline.py: Safari's engine (WPE WebKit over WebDriver,
tests/e2e/phones.py), which has no Background Sync, so the page sends the outbox.

The inspector records DEFECTS defects with the same 4000×3000 phone photos while
the server is down (the process stopped: no route to it at all); the server comes
back on the same port, the phone hears `online` (as when the signal returns), and
the time runs until the outbox is empty. WebKit has no network throttling, so this
is loopback speed: it shows what the page does by itself, not a slow link."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from tests.e2e.offline_steps import fill_defect, outbox_empties, sign_in, waiting_count_is
from tests.e2e.phones import WebKitDriver


async def run_webkit(base: str, inspection_id: int, photos: list[Path], defects: int, password: str,
                     stop_server: Callable[[], None], start_server: Callable[[], None]) -> dict | None:
    if not WebKitDriver.available():
        return None
    driver = WebKitDriver()
    try:
        phone = await driver.phone(base)
        await sign_in(phone, "ian", password)
        await phone.goto(f"/inspections/{inspection_id}/defects/new")
        stop_server()
        try:
            save_seconds = []
            for n in range(1, defects + 1):
                await fill_defect(phone, [str(photos[(n - 1) % len(photos)])])
                started = time.perf_counter()
                await phone.click("button[data-save]")
                await waiting_count_is(phone, n)
                save_seconds.append(time.perf_counter() - started)
                await phone.wait_for("return !document.querySelector('.shot') && "
                                     "!document.querySelector('[data-save]').disabled", what="the form cleared")
            queued = await phone.run("""return (await Outbox.all()).map(r => r.photos[0].blob.size)""")
            size = await phone.run("""const blob = (await Outbox.all())[0].photos[0].blob;
                const img = new Image(); img.src = URL.createObjectURL(blob); await img.decode();
                return [img.naturalWidth, img.naturalHeight]""")
        finally:
            start_server()
        started = time.perf_counter()
        await phone.run("window.dispatchEvent(new Event('online'))")
        await outbox_empties(phone, timeout=600)
        sync_seconds = time.perf_counter() - started
        await phone.close()
    finally:
        await driver.stop()
    return {"queued": queued, "size": size, "save_seconds": save_seconds, "sync_seconds": sync_seconds}
