"""Browser tests: the real app served by granian, driven through real Chromium
(Debian's /usr/bin/chromium via Playwright) on a phone-sized viewport; the offline
scenarios in WebKit too (Debian's WPE WebKit over WebDriver: tests/e2e/phones.py).

The server runs in a subprocess against the same database and Redis as the
rest of the suite; photo processing and notice delivery run in a real arq
worker in burst mode (`tests.photos.support.run_worker`) when a test needs them.
Screenshots of each main step are kept under test-output/screens/.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-output" / "screens"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        # CI always has it (.ci/run installs it); a laptop without it skips, saying why.
        message = f"Chromium not found at {CHROMIUM}: `apt-get install chromium fonts-noto-cjk` or set CHROMIUM"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


class LiveServer:
    """granian serving the app on one port, against the suite's database and
    Redis. `stop()` makes the network really fail for the browser (and its
    service worker, which Playwright's offline switch does not reach);
    `start()` brings the same server back on the same port (same origin, so
    the same service worker, caches and IndexedDB)."""

    def __init__(self, log_name: str = "live_server.log") -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_name = log_name
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, PORT=str(self.port), BASE_URL=self.url)
        log = open(ROOT / "test-output" / self.log_name, "a") if (ROOT / "test-output").exists() else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory", "server.app:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the live server did not start; see test-output/{self.log_name}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def live_server(migrated_db):
    """The app under granian on a free port; yields its base URL."""
    _need_chromium()
    (ROOT / "test-output" / "live_server.log").unlink(missing_ok=True)
    server = LiveServer()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def stoppable_server(migrated_db):
    """A server of this module's own, which a test may stop and start again
    (tests must leave it running)."""
    _need_chromium()
    server = LiveServer("stoppable_server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


NARROW = {"width": 360, "height": 780}  # the narrowest common phone (issue 10.5 checks each page at it)


def _phone_context(chromium, live_server, viewport=PHONE, **options):
    """A new browser context (no cookies) with a phone viewport, Chinese first. `service_workers="block"`
    lets Playwright's offline switch and routing see the page's uploads."""
    return chromium.new_context(viewport=viewport, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="zh-CN", base_url=live_server, **options)


async def until(check, timeout: float = 30) -> None:
    """Wait until `await check()` is true, polling; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


@pytest.fixture
async def phone(chromium, live_server):
    context = await _phone_context(chromium, live_server, PHONE)
    yield context
    await context.close()


@pytest.fixture
async def phone360(chromium, live_server):
    context = await _phone_context(chromium, live_server, NARROW)
    yield context
    await context.close()


class Screens:
    def __init__(self, name: str) -> None:
        self.dir = SCREENS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def shot(self, page, label: str) -> None:
        self.count += 1
        await page.screenshot(path=str(self.dir / f"{self.count:02d}-{label}.png"), full_page=True)


@pytest.fixture
def screens(request):
    (ROOT / "test-output").mkdir(exist_ok=True)
    return Screens(request.node.name)


async def sign_in(context, username: str, password: str):
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, await page.inner_text("body")
    return page


async def draw_signature(page, canvas_selector: str) -> None:
    """Sign a signature pad with the mouse: a zigzag, as a finger would."""
    canvas = page.locator(canvas_selector)
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    await page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    await page.mouse.down()
    for step in range(1, 12):
        await page.mouse.move(box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (-1) ** step * 25)
    await page.mouse.up()


async def fill_key_handover(page, giver: str, receiver: str) -> None:
    """The key handover form, as people fill it: one more key, both signatures, both names."""
    await page.locator("[data-stepper] [data-step='1']").first.click()
    for side in ("giver", "receiver"):
        await draw_signature(page, f"canvas[data-signature='f-signature-{side}']")
    await page.fill("#f-giver_name", giver)
    await page.fill("#f-receiver_name", receiver)


AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # from npm (package-lock.json), scripts/vendor.sh


async def assert_accessible(page, label: str = "") -> None:
    """axe-core in the page: no serious or critical accessibility violations."""
    await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')")
    assert violations == [], f"{label or page.url}: {violations}"


async def whole_room_ok(page, room: dict) -> None:
    """Open the room's tab, tap 整间合格, and wait for its counter to show it done (no navigation)."""
    await page.click(f"[role=tab][data-room='{room['name']}']")
    await page.click(f"#room-body-{room['id']} .room-bar button[type=submit]")
    await page.wait_for_function(
        "([id, text]) => document.getElementById(id).textContent.trim() === text",
        arg=[f"room-count-{room['id']}", f"{room['total']}/{room['total']}"], timeout=15000)


@pytest.fixture(scope="session")
async def webkit_driver():
    """WPEWebDriver for the session (tests/e2e/phones.py): WebKit, Safari's engine, headless.
    None on a machine without it (a WebKit test then skips; CI installs it and fails without)."""
    from tests.e2e.phones import WebKitDriver

    if not WebKitDriver.available():
        if os.environ.get("CI"):
            pytest.fail("WPE WebKit not found: `apt-get install wpewebkit-driver cog`")
        yield None
        return
    driver = WebKitDriver()
    yield driver
    await driver.stop()


@pytest.fixture
async def open_phone(chromium, webkit_driver):
    """open_phone(browser, base_url, **chromium_context_options) -> a new phone with nothing
    stored (cookies, service worker, IndexedDB); closed after the test. browser: chromium or webkit."""
    from tests.e2e.phones import ChromiumPhone

    opened = []

    async def open_one(browser: str, base_url: str, **options):
        if browser == "webkit":
            if webkit_driver is None:
                pytest.skip("WPE WebKit not found: `apt-get install wpewebkit-driver cog`")
            phone = await webkit_driver.phone(base_url, width=PHONE["width"])
        else:
            context = await _phone_context(chromium, base_url, PHONE, **options)
            phone = ChromiumPhone(context, await context.new_page(), base_url)
        opened.append(phone)
        return phone

    yield open_one
    for phone in opened:
        await phone.close()
