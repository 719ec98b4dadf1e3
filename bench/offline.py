"""Offline capture: `.venv/bin/python -m bench.offline` (part of `make bench`).

In real Chromium (Playwright, a 390x844 phone viewport) against the app
under granian with a fresh SQLite database:

1. Bytes per photo: the inspector picks a 4000x3000 phone-like JPEG of about
   4 MB (bench.photos' generator: colour fields, edges and sensor grain,
   stored sideways with EXIF orientation 6, as phones do) on the capture
   page; static/js/capture.js downscales it before it goes into the outbox.
   We read what the outbox holds, which is exactly what is uploaded.
2. Sync time: 20 defects, one such photo each, queued while the server is
   unreachable (/offline/session answers nothing), then sent over Chromium's
   "Slow 3G" profile (CDP Network.emulateNetworkConditions: 2 s latency,
   400 kbit/s each way), one upload at a time, until the outbox is empty.

The page's service worker is blocked here so the throttling set on the page
applies to every upload (the page sends the outbox itself, with the same
outbox.js the worker uses). Writes bench/results/offline.md.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

from bench.load import free_port
from bench.offline_webkit import run_webkit
from bench.photos import make_photo
from server.photos import imaging

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "offline.md"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-password-1"
DEFECTS = int(os.environ.get("BENCH_OFFLINE_DEFECTS", "20"))
SAMPLES = 5
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
"""DevTools' "Slow 3G": 400 kbit/s down and up (50,000 bytes/s), 2,000 ms round trip."""

SETUP = """
import asyncio, sys
from server import db
from server.accounts.services import user_create
from server.inspections.services import inspection_create, inspection_start
from server.org.services import building_create, party_create, project_create, units_bulk_create
from server.org.tables import Unit

async def main():
    await db.start_pool()
    await party_create(actor=None, name="Builder A", kind="construction_unit")
    inspector = await user_create(actor=None, username="ian", password=sys.argv[1], role="inspector")
    project = await project_create(actor=None, name="Bench")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().first().run()
    inspection, _ = await inspection_create(actor=None, unit_id=unit.id, inspector_id=inspector.id)
    await inspection_start(actor=inspector, inspection=inspection)
    print(inspection.id)

asyncio.run(main())
"""


def make_photos(work: Path) -> list[Path]:
    """SAMPLES phone-like photos of about 4 MB (grain chosen for that size)."""
    paths = []
    for i in range(SAMPLES):
        path = work / f"phone-{i}.jpg"
        exif = Image.Exif()
        exif[imaging.EXIF_ORIENTATION] = 6
        exif.get_ifd(imaging.EXIF_IFD)[imaging.EXIF_DATETIME_ORIGINAL] = "2025:03:14 09:26:53"
        make_photo(seed=100 + i, grain=0.25).save(path, "JPEG", quality=92, exif=exif.tobytes())
        paths.append(path)
    return paths


async def record(page, photo: Path) -> float:
    """Record one defect with this photo; seconds from save to the record in the outbox."""
    before = await page.evaluate("Outbox.all().then(r => r.length)")
    await page.set_input_files("input[data-gallery]", str(photo))
    await page.locator("input[name=room]").first.check(force=True)
    await page.locator("input[name=category][value=wall]").check(force=True)
    await page.locator("button.phrase").first.click()
    await page.keyboard.type("20")  # fills the phrase's blank ("墙面空鼓约 __ cm²"), selected by the tap
    await page.select_option("select[name=construction_unit_id]", label="Builder A")
    started = time.perf_counter()
    await page.click("button[data-save]")
    await page.wait_for_function(f"document.querySelector('[data-outbox-count]').textContent.startsWith('{before + 1} ')")
    elapsed = time.perf_counter() - started
    # The form is cleared for the next defect once the send attempt has failed.
    await page.wait_for_function("!document.querySelector('.shot') && !document.querySelector('[data-save]').disabled")
    return elapsed


async def run(base: str, inspection_id: int, photos: list[Path]) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                   args=["--no-sandbox", "--disable-gpu"])
        context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                            locale="zh-CN", base_url=base, service_workers="block")
        page = await context.new_page()
        await page.goto("/login")
        await page.fill("input[name=username]", "ian")
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        # No signal: the outbox cannot even ask who is signed in, so everything waits.
        await page.route("**/offline/session", lambda route: route.abort("internetdisconnected"))
        await page.goto(f"/inspections/{inspection_id}/defects/new")
        save_seconds = [await record(page, photos[i % len(photos)]) for i in range(DEFECTS)]
        queued = await page.evaluate("""Outbox.all().then(rs => rs.map(r => r.photos.map(p => ({
            sent: p.blob.size, original: p.original_size, type: p.blob.type}))[0]))""")
        size = await page.evaluate("""Outbox.all().then(rs => createImageBitmap(rs[0].photos[0].blob))
            .then(b => [b.width, b.height])""")

        await page.unroute("**/offline/session")
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        started = time.perf_counter()
        while True:
            result = await page.evaluate("OfflineUi.sendNow()")
            left = await page.evaluate("Outbox.all().then(r => r.length)")
            if left == 0:
                break
            if result["state"] not in ("retry", "offline", "done"):
                raise RuntimeError(f"sync stopped: {result}")
        sync_seconds = time.perf_counter() - started
        await browser.close()
    return {"queued": queued, "size": size, "save_seconds": save_seconds, "sync_seconds": sync_seconds}


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-offline-"))
    env = dict(os.environ, MEDIA_ROOT=str(work / "media"), SECRET_KEY="bench-secret-key-0123456789", REDIS_URL="",
               DATABASE_URL=f"sqlite:///{work}/bench.db")
    server = None
    try:
        photos = make_photos(work)
        subprocess.run([sys.executable, "-m", "server", "migrate"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        out = subprocess.run([sys.executable, "-c", SETUP, PASSWORD], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True)
        inspection_id = int(out.stdout.split()[-1])
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        def start_server() -> None:
            nonlocal server
            server = subprocess.Popen([str(Path(sys.executable).parent / "granian"), "--interface", "asgi",
                                       "--factory", "server.app:create_app", "--port", str(port), "--workers", "1",
                                       "--no-access-log"],
                                      env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(300):
                try:
                    httpx.get(base + "/login")
                    return
                except httpx.TransportError:
                    time.sleep(0.1)

        def stop_server() -> None:
            nonlocal server
            server.terminate()
            server.wait(timeout=10)
            server = None

        start_server()
        result = await run(base, inspection_id, photos)
        webkit = await run_webkit(base, inspection_id, photos, DEFECTS, PASSWORD, stop_server, start_server)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    queued = result["queued"]
    original = statistics.mean(q["original"] for q in queued)
    sent = statistics.mean(q["sent"] for q in queued)
    total_sent = sum(q["sent"] for q in queued)
    naive_seconds = sum(q["original"] for q in queued) / SLOW_3G["uploadThroughput"]
    lines = [
        "# Offline capture",
        "",
        f"Real Chromium (Playwright, phone viewport), the app under granian, SQLite. {DEFECTS} defects, one "
        f"photo each, from {SAMPLES} generated 4000×3000 phone-like JPEGs (quality 92, EXIF orientation 6). "
        f"`make bench` rewrites this file ({dt.date.today().isoformat()}).",
        "",
        "## Bytes sent per photo (in-browser downscale: long side ≤ 2560 px, JPEG 0.85, upright)",
        "",
        "| | bytes per photo (mean) | pixels |",
        "| --- | ---: | --- |",
        f"| before (the camera's file) | {original:,.0f} | 3000×4000 (upright) |",
        f"| after (what the outbox uploads) | {sent:,.0f} | {result['size'][0]}×{result['size'][1]} |",
        "",
        f"{sent / original:.0%} of the bytes; largest after: {max(q['sent'] for q in queued):,} bytes. "
        f"Downscaling and storing one photo in the outbox took {statistics.median(result['save_seconds']) * 1000:.0f} ms "
        f"(median, save tap to record stored) in headless Chromium on this machine.",
        "",
        f"## Syncing {DEFECTS} queued defects over Slow 3G",
        "",
        "CDP `Network.emulateNetworkConditions`: 2,000 ms latency, 400 kbit/s (50,000 bytes/s) up and down; one "
        "upload at a time, as the outbox sends.",
        "",
        "| | bytes uploaded | time |",
        "| --- | ---: | ---: |",
        f"| measured, downscaled photos | {total_sent:,} | {result['sync_seconds']:.0f} s |",
        f"| originals, computed at the same rate (not sent) | {sum(q['original'] for q in queued):,} | "
        f"≥ {naive_seconds:.0f} s |",
        "",
        *webkit_lines(webkit),
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def webkit_lines(webkit: dict | None) -> list[str]:
    heading = [f"## WebKit (Safari's engine, no Background Sync): {DEFECTS} queued defects after reconnecting", ""]
    if webkit is None:
        return heading + ["Not measured: WPE WebKit is not installed (`apt-get install wpewebkit-driver cog`).", ""]
    sent = statistics.mean(webkit["queued"])
    return heading + [
        "WPE WebKit 2.38 (`WPEWebDriver`, `cog --platform=headless`, a 390 px wide page), the same photos. The "
        "server is stopped while the defects are recorded and started again; the page hears `online` and sends "
        "the outbox itself (bench/offline_webkit.py). WebKit cannot throttle its network: loopback speed. "
        "This build's canvas writes only PNG, so the page sends each photo as taken (a PNG would be bigger) and "
        "the server makes the display copy; Safari's canvas writes JPEG, and there the photo is downscaled "
        "as in Chromium.",
        "",
        "| browser | bytes per photo sent (mean) | pixels | save tap to stored (median) | time to sync all |",
        "| --- | ---: | --- | ---: | ---: |",
        f"| WebKit | {sent:,.0f} | {webkit['size'][0]}×{webkit['size'][1]} | "
        f"{statistics.median(webkit['save_seconds']) * 1000:.0f} ms | {webkit['sync_seconds']:.1f} s |",
        "",
    ]


if __name__ == "__main__":
    asyncio.run(main())
