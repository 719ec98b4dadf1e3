"""Many processes (issue 14, "Many processes"): 2 granian web processes and 2 arq worker
processes on one PostgreSQL, one Redis and one bucket (a real SeaweedFS, tests/s3server.py).
Defects with photos are sent by concurrent clients, alternately through both web processes;
some are sent again with the same client_id, a part of them at the same moment through the
other process. Result: 0 lost, 0 duplicated, every photo `ready` and its three files in the
bucket once. PostgreSQL only: SQLite is one machine's file."""
from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid

import httpx
import pytest

from server.inspections.tables import Defect
from server.photos.tables import Photo
from tests.inspections.support import defect_form, photo_files, unit_under_inspection
from tests.launching import wait_until
from tests.ops.processes import Fleet

pytestmark = pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="several machines' processes share PostgreSQL, not a SQLite file")

# The suite's size; the benchmark's (bench/results/reliability.md) is set by the environment:
# MANY_DEFECTS=1000 MANY_CLIENTS=50.
DEFECTS = int(os.environ.get("MANY_DEFECTS", "60"))
CLIENTS = int(os.environ.get("MANY_CLIENTS", "10"))
PHOTOS_EACH = 2
RESENT_AT_ONCE = DEFECTS // 10  # sent twice at the same moment, once through each web process
RESENT_LATER = DEFECTS // 10  # sent again after their first answer, through the other web process
CUT_OFF = DEFECTS // 20  # the connection dropped half-way through the body: must store nothing


def cut_off_upload(url: str, path: str, token: str, form: dict, files: list) -> None:
    """Send the request line, the headers and half the body, then hang up (a phone losing its signal)."""
    request = httpx.Request("POST", f"{url}{path}", data=form, files=files, headers={"Authorization": token})
    body = request.read()
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body[: len(body) // 2])


async def test_two_web_and_two_worker_processes_lose_and_double_nothing(personas, tmp_path, s3_server):
    _, inspection = await unit_under_inspection(personas)
    token = (await personas.api("ian")).headers["Authorization"]
    party = personas.parties["builder_a"].id
    prefix = f"many-{uuid.uuid4().hex[:8]}"
    fleet = Fleet(tmp_path, web=2, workers=2, PHOTO_SWEEP_SECONDS="5", STORAGE_URL=s3_server.storage_url(prefix=prefix))
    try:
        fleet.wait_until_ready()
        started = time.monotonic()
        forms = [defect_form(party, description=f"多进程 {n}") for n in range(DEFECTS)]
        files = photo_files(PHOTOS_EACH)
        clients = [httpx.AsyncClient(base_url=url, headers={"Authorization": token}, timeout=60)
                   for url in fleet.urls]
        path = f"/api/v1/inspections/{inspection['id']}/defects"
        answers: dict[int, list[tuple[int, int, str]]] = {n: [] for n in range(DEFECTS)}
        limit = asyncio.Semaphore(CLIENTS)

        async def send(n: int, through: int) -> None:
            async with limit:
                request_id = f"many-{n}-{uuid.uuid4().hex[:6]}"
                r = await clients[through].post(path, data=forms[n], files=files,
                                                headers={"X-Request-ID": request_id})
            answers[n].append((r.status_code, r.json().get("id"), r.headers.get("x-request-id")))

        async def one(n: int) -> None:
            if n < RESENT_AT_ONCE:
                await asyncio.gather(send(n, 0), send(n, 1))
            else:
                await send(n, n % 2)
                if n < RESENT_AT_ONCE + RESENT_LATER:
                    await send(n, (n + 1) % 2)

        cut_forms = [defect_form(party, description=f"断线 {n}") for n in range(CUT_OFF)]

        async def cut(n: int) -> None:
            async with limit:
                await asyncio.to_thread(cut_off_upload, fleet.urls[n % 2], path, token, cut_forms[n], files)

        await asyncio.gather(*(one(n) for n in range(DEFECTS)), *(cut(n) for n in range(CUT_OFF)))
        sent = sum(len(a) for a in answers.values())
        for client in clients:
            await client.aclose()

        # Every defect answered once 201 and otherwise 200, all with the same record.
        for n, got in answers.items():
            assert sorted(status for status, _, _ in got) == [200] * (len(got) - 1) + [201], (n, got)
            assert len({defect_id for _, defect_id, _ in got}) == 1, (n, got)
        assert sent == DEFECTS + RESENT_AT_ONCE + RESENT_LATER

        # 0 lost, 0 duplicated: one row per client_id, each with its photos once.
        rows = await Defect.select(Defect.id, Defect.client_id).where(Defect.inspection == inspection["id"]).run()
        assert sorted(str(row["client_id"]) for row in rows) == sorted(form["client_id"] for form in forms)
        assert {row["id"] for row in rows} == {got[0][1] for got in answers.values()}
        assert not {form["client_id"] for form in cut_forms} & {str(row["client_id"]) for row in rows}
        photos = Photo.select(Photo.subject_id, Photo.status).where(Photo.subject_type == "defect")

        async def statuses() -> list[dict]:
            return await photos.run()

        per_defect: dict[int, int] = {}
        for photo in await statuses():
            per_defect[photo["subject_id"]] = per_defect.get(photo["subject_id"], 0) + 1
        assert per_defect == {row["id"]: PHOTOS_EACH for row in rows}

        # Every photo processed by one of the two workers.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40 + DEFECTS * PHOTOS_EACH * 0.1  # the benchmark's 2,000 photos take longer
        while {p["status"] for p in await statuses()} != {"ready"}:
            assert loop.time() < deadline, sorted({p["status"] for p in await statuses()})
            await asyncio.sleep(0.5)
        took = time.monotonic() - started
        # Claimed once each: no photo was processed twice by the two workers.
        attempts = await Photo.select(Photo.attempts).where(Photo.subject_type == "defect").run()
        assert {row["attempts"] for row in attempts} == {1}

        # Each photo's original, display image and thumbnail are in the bucket, once.
        listing = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket="cs-media", Prefix=prefix + "/")
        stored = [item["Key"] for page in listing for item in page.get("Contents", [])]
        assert len(stored) == len(set(stored)) == DEFECTS * PHOTOS_EACH * 3

        # Both web processes served, both workers worked, and each job's line carries
        # the id of the request that queued it.
        served = [{line["request_id"] for line in fleet.json_lines(name) if line.get("logger") == "server.access"
                   and line.get("path") == path} for name in ("web1", "web2")]
        assert all(len(ids) >= DEFECTS // 2 for ids in served), [len(ids) for ids in served]
        sent_ids = {request_id for got in answers.values() for _, _, request_id in got}
        assert sent_ids <= served[0] | served[1]
        answered = [line["status"] for name in ("web1", "web2") for line in fleet.json_lines(name)
                    if line.get("logger") == "server.access" and line.get("path") == path]
        assert sorted(set(answered)) == ([200, 201, 499] if CUT_OFF else [200, 201])  # 499: the caller hung up
        assert answered.count(499) == CUT_OFF
        done = [[line for line in fleet.json_lines(name) if line.get("job") == "process_photo"]
                for name in ("worker1", "worker2")]
        assert all(done), "a worker processed nothing"
        job_ids = {line["request_id"] for lines in done for line in lines}
        # A photo still pending after PHOTO_SWEEP_SECONDS (a long queue) is queued again by the
        # sweep, which has no request: its run finds the photo claimed or ready and does nothing.
        swept = {rid for rid in job_ids if rid.startswith("job:photo:")}
        assert job_ids - swept <= sent_ids
        print(f"\nFIGURE many-processes: {sent} uploads ({DEFECTS} defects, {DEFECTS * PHOTOS_EACH} photos, "
              f"{RESENT_AT_ONCE} re-sent at once, {RESENT_LATER} re-sent later, {CUT_OFF} cut off) from {CLIENTS} "
              f"clients through 2 web processes, photos by 2 workers: {len(rows)} defects stored, 0 lost, "
              f"0 doubled, {DEFECTS * PHOTOS_EACH} photos ready, each claimed once ({len(swept)} queued again by the sweep found it taken), "
              f"in {took:.1f} s")
    finally:
        fleet.stop()
