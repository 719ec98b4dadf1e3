"""Issue 14, figure 1, concurrent uploads: the scenario both of its tests run, each on its own
processes (tests/ops/processes.Fleet) and storage. Defects with photos are sent by concurrent
clients, round-robin over the web processes given; some are sent again with the same client_id
(a part of them at the same moment), some are cut off half-way through the body. Checked:
0 lost, 0 duplicated, every accepted photo `ready`, claimed exactly once, its files stored once.

- tests/ops/test_many_processes.py: PostgreSQL, 2 web + 2 worker processes, files in a bucket;
- tests/ops/test_uploads_sqlite.py: SQLite, one machine's `make run` processes, the local disk.

The suite's size is small; the benchmark's (bench/results/reliability.md) is set by the
environment: MANY_DEFECTS=1000 MANY_CLIENTS=50.
"""
from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from dataclasses import dataclass, field

import httpx

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.inspections.support import defect_form, photo_files
from tests.ops.processes import Fleet

PHOTOS_EACH = 2


def cut_off_upload(url: str, path: str, token: str, form: dict, files: list) -> None:
    """Send the request line, the headers and half the body, then hang up (a phone losing its signal)."""
    request = httpx.Request("POST", f"{url}{path}", data=form, files=files, headers={"Authorization": token})
    body = request.read()
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body[: len(body) // 2])


@dataclass
class Uploads:
    """One run of the scenario: what was sent, what came back, and the checks."""

    defects: int = int(os.environ.get("MANY_DEFECTS", "60"))
    clients: int = int(os.environ.get("MANY_CLIENTS", "10"))
    forms: list[dict] = field(default_factory=list)
    cut_forms: list[dict] = field(default_factory=list)
    answers: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    """Per defect, each answer's (status, defect id, request id)."""
    stored_ids: set[int] = field(default_factory=set)
    swept: int = 0
    """Jobs queued again by the sweep (no request behind them) that found the photo taken."""
    started: float = 0.0
    answered_in: float = 0.0
    """Seconds from the first upload to the last answer (the photos are processed after)."""

    @property
    def resent_at_once(self) -> int:
        """Sent twice at the same moment (through two web processes when there are two)."""
        return self.defects // 10

    @property
    def resent_later(self) -> int:
        """Sent again after their first answer (through the other web process when there is one)."""
        return self.defects // 10

    @property
    def cut_off(self) -> int:
        """The connection dropped half-way through the body: must store nothing."""
        return self.defects // 20

    @property
    def photos(self) -> int:
        return self.defects * PHOTOS_EACH

    @property
    def sent(self) -> int:
        return sum(len(got) for got in self.answers.values())

    def path(self, inspection_id: int) -> str:
        return f"/api/v1/inspections/{inspection_id}/defects"

    async def send(self, urls: list[str], token: str, inspection_id: int, party_id: int) -> None:
        """Every upload, re-send and cut-off one, `clients` at a time; the answers are kept."""
        self.started = time.monotonic()
        path = self.path(inspection_id)
        self.forms = [defect_form(party_id, description=f"并发上传 {n}") for n in range(self.defects)]
        self.cut_forms = [defect_form(party_id, description=f"断线 {n}") for n in range(self.cut_off)]
        self.answers = {n: [] for n in range(self.defects)}
        files = photo_files(PHOTOS_EACH)
        clients = [httpx.AsyncClient(base_url=url, headers={"Authorization": token}, timeout=60) for url in urls]
        limit = asyncio.Semaphore(self.clients)

        async def send(n: int, through: int) -> None:
            async with limit:
                r = await clients[through % len(clients)].post(
                    path, data=self.forms[n], files=files,
                    headers={"X-Request-ID": f"up-{n}-{uuid.uuid4().hex[:6]}"})
            self.answers[n].append((r.status_code, r.json().get("id"), r.headers.get("x-request-id")))

        async def one(n: int) -> None:
            if n < self.resent_at_once:
                await asyncio.gather(send(n, 0), send(n, 1))
            else:
                await send(n, n)
                if n < self.resent_at_once + self.resent_later:
                    await send(n, n + 1)

        async def cut(n: int) -> None:
            async with limit:
                await asyncio.to_thread(cut_off_upload, urls[n % len(urls)], path, token, self.cut_forms[n], files)

        try:
            await asyncio.gather(*(one(n) for n in range(self.defects)), *(cut(n) for n in range(self.cut_off)))
        finally:
            for client in clients:
                await client.aclose()
        self.answered_in = time.monotonic() - self.started

    async def check_stored(self, inspection_id: int) -> None:
        """0 lost, 0 duplicated: one 201 per defect and otherwise 200 with the same record, one
        row per client_id, none for a cut-off one, each with its photos once."""
        for n, got in self.answers.items():
            assert sorted(status for status, _, _ in got) == [200] * (len(got) - 1) + [201], (n, got)
            assert len({defect_id for _, defect_id, _ in got}) == 1, (n, got)
        assert self.sent == self.defects + self.resent_at_once + self.resent_later
        rows = await Defect.select(Defect.id, Defect.client_id).where(Defect.inspection == inspection_id).run()
        assert sorted(str(row["client_id"]) for row in rows) == sorted(form["client_id"] for form in self.forms)
        self.stored_ids = {row["id"] for row in rows}
        assert self.stored_ids == {got[0][1] for got in self.answers.values()}
        assert not {form["client_id"] for form in self.cut_forms} & {str(row["client_id"]) for row in rows}
        per_defect: dict[int, int] = {}
        for photo in await self._photos(Photo.subject_id):
            per_defect[photo["subject_id"]] = per_defect.get(photo["subject_id"], 0) + 1
        assert per_defect == {defect_id: PHOTOS_EACH for defect_id in self.stored_ids}

    async def wait_until_ready(self, workers: int) -> float:
        """Every photo processed by `workers` default-queue workers, each photo claimed once (not
        processed twice by two workers or by a sweep's second job); the seconds from the first
        upload on."""
        # An arq worker starts at most max_jobs (4) jobs per poll of the queue (every 0.5 s), so
        # it does at most 8 of these small photos a second however idle the machine: allow half that.
        deadline = time.monotonic() + 40 + self.photos / (4 * workers)
        while {p["status"] for p in await self._photos(Photo.status)} != {"ready"}:
            assert time.monotonic() < deadline, sorted({p["status"] for p in await self._photos(Photo.status)})
            await asyncio.sleep(0.5)
        took = time.monotonic() - self.started
        assert {row["attempts"] for row in await self._photos(Photo.attempts)} == {1}
        return took

    async def check_files(self, stored: list[str]) -> None:
        """`stored` (every key the storage holds) is each photo's original, display image and
        thumbnail, once: nothing missing, nothing doubled, nothing left by a cut-off upload."""
        rows = await self._photos(Photo.original_key, Photo.display_key, Photo.thumb_key)
        expected = [row[key] for row in rows for key in ("original_key", "display_key", "thumb_key")]
        assert len(stored) == len(set(stored)) == self.photos * 3
        assert sorted(stored) == sorted(expected)

    def check_logs(self, fleet: Fleet, inspection_id: int, web: list[str], photo_workers: list[str]) -> None:
        """Every web process served its share, every default-queue worker worked, each job's line
        carries the id of the request that queued it, the cut-off requests were logged 499 and
        nothing answered 5xx."""
        path = self.path(inspection_id)
        access = {name: [line for line in fleet.json_lines(name)
                         if line.get("logger") == "server.access" and line.get("path") == path] for name in web}
        served = [{line["request_id"] for line in lines} for lines in access.values()]
        assert all(len(ids) >= self.defects // len(web) for ids in served), [len(ids) for ids in served]
        sent_ids = {request_id for got in self.answers.values() for _, _, request_id in got}
        assert sent_ids <= set().union(*served)
        answered = [line["status"] for lines in access.values() for line in lines]
        assert sorted(set(answered)) == ([200, 201, 499] if self.cut_off else [200, 201])  # 499: the caller hung up
        assert answered.count(499) == self.cut_off
        done = [[line for line in fleet.json_lines(name) if line.get("job") == "process_photo"]
                for name in photo_workers]
        assert all(done), "a worker processed nothing"
        job_ids = {line["request_id"] for lines in done for line in lines}
        # A photo still pending after PHOTO_SWEEP_SECONDS (a long queue) is queued again by the
        # sweep, which has no request: its run finds the photo claimed or ready and does nothing.
        swept = {rid for rid in job_ids if rid.startswith("job:photo:")}
        assert job_ids - swept <= sent_ids
        self.swept = len(swept)

    def summary(self) -> str:
        return (f"{self.sent} uploads ({self.defects} defects, {self.photos} photos, {self.resent_at_once} re-sent "
                f"at once, {self.resent_later} re-sent later, {self.cut_off} cut off) from {self.clients} clients: "
                f"{len(self.stored_ids)} defects stored, 0 lost, 0 doubled, {self.photos} photos ready, each "
                f"claimed once ({self.swept} queued again by the sweep found it taken); all answered in "
                f"{self.answered_in:.1f} s")

    async def _photos(self, *columns) -> list[dict]:
        """These defects' photos (the suite's other tests leave none: tables are emptied)."""
        return await Photo.select(*columns).where(Photo.subject_type == "defect").run()
