"""One way to drive a phone's browser, for scenarios that run in Chromium and in WebKit.

- `ChromiumPhone`: a Playwright page in Debian's Chromium (a phone viewport, touch).
- `WebKitPhone`: WPE WebKit, Safari's engine (Debian's `wpewebkit-driver` and `cog`),
  over plain WebDriver HTTP: `WPEWebDriver --port=N`, a session whose browser is
  `cog --automation --platform=headless`. This build has no Background Sync
  (`'SyncManager' in window` is false) and no `navigator.storage`, as on an iPhone
  where the outbox must sync from the page.

Both answer the same small set of calls, each waiting the way a person would
(`wait_for` polls a script until it is true). Scripts are function bodies that may
`await` and `return`; `arguments` are passed as `args`.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

WPE_DRIVER = os.environ.get("WPE_WEBDRIVER", "/usr/bin/WPEWebDriver")
COG = os.environ.get("COG", "/usr/bin/cog")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


class Phone:
    """What the scenarios call; see the two implementations below."""

    base_url: str

    async def run(self, body: str, *args):  # pragma: no cover - interface
        raise NotImplementedError

    async def wait_for(self, body: str, *args, timeout: float = 30, what: str = "") -> object:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = await self.run(body, *args)
            except Exception as exc:  # the page is between two documents: ask again
                value, last = None, exc
            else:
                last = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout} s: {what or body}" + (f" ({last})" if last else ""))
            await asyncio.sleep(0.2)

    async def text(self, selector: str) -> str:
        return await self.run("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null",
                              selector)

    async def wait_text(self, selector: str, contains: str, timeout: float = 30) -> None:
        await self.wait_for("const e = document.querySelector(arguments[0]);"
                            "return !!e && e.offsetParent !== null && e.textContent.includes(arguments[1])",
                            selector, contains, timeout=timeout, what=f"{selector} showing {contains!r}")

    async def visible(self, selector: str) -> bool:
        return await self.run("const e = document.querySelector(arguments[0]); return !!e && e.offsetParent !== null",
                              selector)

    async def wait_hidden(self, selector: str, timeout: float = 30) -> None:
        await self.wait_for("const e = document.querySelector(arguments[0]); return !e || e.offsetParent === null",
                            selector, timeout=timeout, what=f"{selector} hidden")

    async def choose(self, selector: str) -> None:
        """Tick a radio or checkbox (ours are styled labels around hidden inputs), as a tap does."""
        await self.run("document.querySelector(arguments[0]).click()", selector)

    async def select(self, selector: str, label: str) -> None:
        await self.run("""const s = document.querySelector(arguments[0]);
            const o = [...s.options].find(o => o.textContent.trim() === arguments[1]);
            s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));""", selector, label)

    async def outbox_size(self) -> int:
        return await self.run("return (await Outbox.all()).length")

    async def controlled(self, path: str) -> None:
        """Open path in a page the service worker controls (the first load installs it). On a busy machine
        WebKit once left the first load's `ready` pending past its one-minute script limit while the same
        test alone passed: each load gets 20 s, then the page loads again (which registers again), three
        loads at most; a worker that never installs still fails here."""
        await self.goto(path)
        for _load in range(3):
            if await self.run("return await Promise.race([navigator.serviceWorker.ready.then(() => true), "
                              "new Promise(resolve => setTimeout(() => resolve(false), 20000))])"):
                break
            await self.reload()
        else:
            raise AssertionError(f"the service worker never became ready on {path}")
        if not await self.run("return navigator.serviceWorker.controller !== null"):
            await self.reload()
        await self.wait_for("return navigator.serviceWorker.controller !== null", what="service worker in control")


class ChromiumPhone(Phone):
    def __init__(self, context, page, base_url: str) -> None:
        self.context, self.page, self.base_url = context, page, base_url

    async def run(self, body: str, *args):
        return await self.page.evaluate(f"async (arguments) => {{ {body} }}", list(args))

    async def goto(self, path: str) -> None:
        await self.page.goto(path)

    async def reload(self) -> None:
        await self.page.reload()

    async def url(self) -> str:
        return self.page.url

    async def click(self, selector: str) -> None:
        await self.page.click(selector)

    async def fill(self, selector: str, text: str) -> None:
        await self.page.fill(selector, text)

    async def files(self, selector: str, paths: list[str]) -> None:
        await self.page.set_input_files(selector, paths)

    async def submit_and_wait(self, selector: str) -> None:
        async with self.page.expect_navigation():
            await self.page.click(selector)

    async def screenshot(self, path: Path) -> None:
        await self.page.screenshot(path=str(path), full_page=True)

    async def clear_cookies(self) -> None:
        await self.context.clear_cookies()

    async def close(self) -> None:
        await self.context.close()


class WebKitDriver:
    """WPEWebDriver on a free port, for the whole test session."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # Its own process group: the cog and WPE processes it starts are in it too, and
        # some outlive their WebDriver session; stop() ends the whole group.
        self.process = subprocess.Popen([WPE_DRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=120)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("WPEWebDriver did not start")
                time.sleep(0.1)

    @staticmethod
    def available() -> bool:
        return bool(shutil.which(WPE_DRIVER)) and bool(shutil.which(COG))

    async def phone(self, base_url: str, width: int = 390, height: int = 844) -> "WebKitPhone":
        options = {"binary": COG, "args": ["--automation", "--platform=headless", f"--scale={800 / width:.3f}"]}
        answer = await self.http.post("/session", json={"capabilities": {"alwaysMatch": {
            "wpe:browserOptions": options, "pageLoadStrategy": "normal"}}})
        answer.raise_for_status()
        phone = WebKitPhone(self.http, answer.json()["value"]["sessionId"], base_url)
        await phone.command("POST", "/timeouts", {"script": 60000, "pageLoad": 60000})
        await phone.speak_chinese()
        return phone

    async def stop(self) -> None:
        await self.http.aclose()
        self.process.terminate()
        self.process.wait(timeout=10)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class WebKitPhone(Phone):
    def __init__(self, http: httpx.AsyncClient, session_id: str, base_url: str) -> None:
        self.http, self.session, self.base_url = http, session_id, base_url

    async def command(self, method: str, path: str, body: dict | None = None):
        answer = await self.http.request(method, f"/session/{self.session}{path}",
                                         json=body if body is not None else ({} if method == "POST" else None))
        value = answer.json().get("value") if answer.content else None
        if answer.status_code >= 400:
            raise AssertionError(f"WebDriver {method} {path}: {answer.status_code} {json.dumps(value)[:500]}")
        return value

    async def run(self, body: str, *args):
        script = ("const done = arguments[arguments.length - 1];"
                  "(async (arguments) => { " + body + " })([...arguments].slice(0, -1))"
                  ".then(v => done({ok: v === undefined ? null : v}), e => done({error: String(e && e.stack || e)}));")
        value = await self.command("POST", "/execute/async", {"script": script, "args": list(args)})
        if "error" in value:
            raise AssertionError(f"script failed in WebKit: {value['error']}")
        return value["ok"]

    async def goto(self, path: str) -> None:
        await self.command("POST", "/url", {"url": self.base_url + path})

    async def reload(self) -> None:
        await self.command("POST", "/refresh")

    async def url(self) -> str:
        return await self.command("GET", "/url")

    async def _element(self, selector: str) -> str:
        found = await self.command("POST", "/element", {"using": "css selector", "value": selector})
        return found[ELEMENT]

    async def click(self, selector: str) -> None:
        # By script: with cog's page zoom (our phone width), WebDriver's own click and
        # typing find elements "not interactable" at their unzoomed place.
        await self.run("document.querySelector(arguments[0]).click()", selector)

    async def fill(self, selector: str, text: str) -> None:
        await self.run("""const e = document.querySelector(arguments[0]); e.focus(); e.value = arguments[1];
            e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));""",
                       selector, text)

    async def files(self, selector: str, paths: list[str]) -> None:
        await self.command("POST", f"/element/{await self._element(selector)}/value", {"text": "\n".join(paths)})

    async def submit_and_wait(self, selector: str) -> None:
        before = await self.run("return performance.timeOrigin")
        await self.click(selector)
        await self.wait_for("return performance.timeOrigin !== arguments[0] && document.readyState === 'complete'",
                            before, what="the next page")

    async def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(await self.command("GET", "/screenshot")))

    async def speak_chinese(self, *, open_site: bool = True) -> None:
        """A Chinese phone, as the Chromium ones (locale zh-CN): this WebKit always asks for en-US and
        reads no locale from its environment, so the app's own language choice (its cookie) says it."""
        from server.web.middleware import LANGUAGE_COOKIE

        if open_site:  # a cookie is set for the page's site
            await self.goto("/offline/session")
        await self.command("POST", "/cookie", {"cookie": {"name": LANGUAGE_COOKIE, "value": "zh_CN", "path": "/"}})

    async def clear_cookies(self) -> None:
        """The session is gone; the phone's language stays (it is a setting, not a sign-in)."""
        await self.command("DELETE", "/cookie")
        await self.speak_chinese(open_site=False)

    async def close(self) -> None:
        await self.command("DELETE", "")
