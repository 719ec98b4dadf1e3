"""A light, steady field load for the reliability benchmarks (bench/redis_outage.py): three
callers, each on its own thread and fixed-rate schedule; every request's time and answer is kept.

- an inspector records a defect with one photo-like JPEG of the size the phone's outbox sends
  (1920×2560) every UPLOAD_EVERY s, through the API;
- a browser signs in as a person does (the form, then the POST with its CSRF token) every
  SIGN_IN_EVERY s, as tests/test_redis_outage.py does;
- every READ_EVERY s, that browser reads the newest defect's page and the API reads it.
"""
from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass

import httpx
from PIL import Image, ImageDraw, ImageFilter

from tests.inspections.support import defect_form

UPLOAD_EVERY, SIGN_IN_EVERY, READ_EVERY = 3.0, 10.0, 5.0
PHOTO_SIZE = (1920, 2560)
CLIENT_TIMEOUT = 30.0
"""A request stuck this long is recorded as such (an error), not waited for forever."""

KINDS = {  # kind: (what the table says, the answer expected)
    "upload": ("upload: a defect with one photo (`POST /api/v1/inspections/{id}/defects`)", 201),
    "sign-in form": ("sign-in form (`GET /login`)", 200),
    "sign-in": ("sign-in (`POST /login`, form + CSRF)", 303),
    "page": ("defect page (`GET /inspections/defects/{id}`)", 200),
    "API": ("API read (`GET /api/v1/defects/{id}`)", 200),
}


def photo(seed: int) -> bytes:
    """A photo-like JPEG: noise over gradients, so it weighs what a real one does (~0.7–1 MB)."""
    w, h = PHOTO_SIZE
    base = Image.linear_gradient("L").resize((w, h))
    noise = [Image.effect_noise((w, h), 30 + 5 * (seed + i)).filter(ImageFilter.GaussianBlur(1)) for i in range(3)]
    im = Image.merge("RGB", [Image.blend(base, noise[0], 0.6), Image.blend(base.rotate(90), noise[1], 0.5), noise[2]])
    ImageDraw.Draw(im).rectangle((200 + 40 * seed, 300, 900, 1100), outline=(250, 250, 250), width=12)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Sample:
    phase: str
    kind: str
    seconds: float
    status: int | None
    error: str = ""


class Field:
    """The three clients, each on its own thread and its own fixed-rate schedule."""

    def __init__(self, base_url: str, token: str, inspection_id: int, party_id: int) -> None:
        self.base_url, self.inspection_id, self.party_id = base_url, inspection_id, party_id
        # One client per thread: the inspector's phone and the API reader are different callers.
        self.api, self.reader = (httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT,
                                              headers={"Authorization": f"Bearer {token}"}) for _ in range(2))
        self.photos = [photo(seed) for seed in range(4)]
        self.phase = "up"
        self.samples: list[Sample] = []
        self.uploads: list[tuple[str, int]] = []
        """(phase, defect id) of every defect recorded."""
        self.answered_pending: list[str] = []
        """The phase of each upload answered with its photo `pending`."""
        self.browser: httpx.Client | None = None
        self.browsers: list[httpx.Client] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._every, args=(every, job), daemon=True)
                         for every, job in ((UPLOAD_EVERY, self.upload), (SIGN_IN_EVERY, self.sign_in),
                                            (READ_EVERY, self.read))]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(CLIENT_TIMEOUT * 3)
        for client in (self.api, self.reader, *self.browsers):
            client.close()

    def _every(self, seconds: float, job) -> None:
        started, n = time.monotonic(), 0
        while not self._stop.is_set():
            job(n)
            n += 1
            self._stop.wait(max(0.0, started + n * seconds - time.monotonic()))

    def _timed(self, kind: str, call) -> httpx.Response | None:
        phase, began = self.phase, time.monotonic()
        try:
            response = call()
        except httpx.HTTPError as exc:
            self.samples.append(Sample(phase, kind, time.monotonic() - began, None, type(exc).__name__))
            return None
        self.samples.append(Sample(phase, kind, time.monotonic() - began, response.status_code))
        return response

    def upload(self, n: int) -> None:
        phase = self.phase
        r = self._timed("upload", lambda: self.api.post(
            f"/api/v1/inspections/{self.inspection_id}/defects",
            data=defect_form(self.party_id, description=f"Redis 故障期间记录 {n}"),
            files=[("photos", (f"IMG_{n:04}.jpg", self.photos[n % len(self.photos)], "image/jpeg"))]))
        if r is not None and r.status_code == 201:
            self.uploads.append((phase, r.json()["id"]))
            if [p["status"] for p in r.json()["photos"]] == ["pending"]:
                self.answered_pending.append(phase)

    def sign_in(self, n: int) -> None:
        """The browser way, as tests/test_redis_outage.py signs in: the session lives in the database."""
        browser = httpx.Client(base_url=self.base_url, timeout=CLIENT_TIMEOUT)
        self.browsers.append(browser)  # closed at the end: the reader may be using the previous one
        r = self._timed("sign-in form", lambda: browser.get("/login"))
        token = browser.cookies.get("csrftoken")
        if r is None or token is None:
            return
        r = self._timed("sign-in", lambda: browser.post(
            "/login", data={"username": "kefu", "password": "demo12345", "next": "/"},
            headers={"X-CSRFToken": token}, follow_redirects=False))
        if r is not None and r.status_code == 303:
            browser.headers["X-CSRFToken"] = token
            self.browser = browser

    def read(self, n: int) -> None:
        if not self.uploads or self.browser is None:
            return
        defect_id = self.uploads[-1][1]
        browser = self.browser
        self._timed("page", lambda: browser.get(f"/inspections/defects/{defect_id}"))
        self._timed("API", lambda: self.reader.get(f"/api/v1/defects/{defect_id}"))
