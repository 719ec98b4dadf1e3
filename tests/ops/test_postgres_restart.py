"""Issue 14, figure 4, a PostgreSQL restart: "The app answers 503 with a Chinese message,
recovers within 10 s of PostgreSQL's return, and leaves no partial records."

A real granian web process (tests/ops/processes.Fleet) serves the demo data from a
PostgreSQL cluster of this test's own (tests/ops/private_postgres.py: the machine's shared
one is never touched). While an inspector's phones record defects with photos (one
transaction: the defect, its photos and their audit rows) and her browser reads a page and
the API list, PostgreSQL is crashed (`pg_ctl stop -m immediate`, with writes and a read held
half-way through their transactions by a table lock) and, in a second round, shut down
(`-m fast`, requests cut wherever they are). While it is down every request answers 503
with the Chinese message and `Retry-After` within DOWN_LIMIT, `/healthz` 200 and `/readyz`
503; once it accepts connections again the app's first database-backed 200 comes within
RECOVERY_LIMIT. Then SQL on the cluster: every write is whole or absent, none answered 201
is missing, and sending each again with its client_id leaves exactly one record.
Run with -s for the figures (bench/results/reliability.md).
"""
from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.inspections.support import defect_form, photo_files
from tests.ops.private_postgres import PrivatePostgres, missing_reason
from tests.ops.processes import ROOT, Fleet

pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                       reason="a PostgreSQL restart: run with DATABASE_URL=postgresql://… (the SQLite run skips it)"),
    pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or ""),
]

MESSAGE = "服务暂不可用：无法连接数据库，请稍后再试。"
DOWN_LIMIT = 3.0  # seconds: any answer while the database is down, counted from the stop at the latest
RECOVERY_LIMIT = 10.0  # seconds from PostgreSQL accepting connections to the app's first 200
WRITERS = 3  # phones recording defects one after another
PHOTOS_EACH = 2  # so a write is 6 rows in one transaction: the defect, 2 photos, 3 audit rows
RETRY_PAUSE = 0.2  # seconds a phone waits after a failed write (its outbox waits longer)
DOWN_FOR = 1.5  # seconds PostgreSQL stays down, with the traffic going on


@dataclass
class Answer:
    kind: str  # write, page, list, sign-in, or a probe's path
    started: float
    finished: float
    status: int  # 0: no HTTP answer at all
    text: str = ""
    retry_after: str | None = None
    client_id: str | None = None

    def shows_message(self) -> bool:
        return MESSAGE in self.text

    def in_flight_at(self, moment: float) -> bool:
        return self.started < moment < self.finished


class Site:
    """The app as the demo inspector (yanfang) uses it: her phone through the API with a
    token, her browser with a session, and an inspection of hers in progress."""

    def __init__(self, base_url: str) -> None:
        self.phone = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.browser = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.answers: list[Answer] = []
        self.forms: dict[str, dict] = {}  # client_id -> the form sent, to send it again
        self.writing: set[str] = set()  # client_ids of the writes waiting for their answer
        self.inspection_id = 0
        self.party_id = 0

    async def set_up(self, unit_id: int, party_id: int) -> None:
        self.party_id = party_id
        token = await self.phone.post("/api/v1/auth/token", json={"username": "yanfang", "password": "demo12345"})
        assert token.status_code == 200, token.text
        self.phone.headers["Authorization"] = f"Bearer {token.json()['token']}"
        await self.browser.get("/login")
        self.browser.headers["X-CSRFToken"] = self.browser.cookies["csrftoken"]
        signed_in = await self.browser.post("/login", data={"username": "yanfang", "password": "demo12345"})
        assert signed_in.status_code == 303, signed_in.text
        inspection = await self.phone.post("/api/v1/inspections", json={"unit_id": unit_id})
        assert inspection.status_code == 201, inspection.text
        self.inspection_id = inspection.json()["id"]
        assert (await self.phone.post(f"/api/v1/inspections/{self.inspection_id}/start")).status_code == 200

    async def _call(self, kind: str, client: httpx.AsyncClient, method: str, path: str, client_id: str | None = None,
                    **kwargs) -> Answer:
        started = time.monotonic()
        try:
            r = await client.request(method, path, **kwargs)
            answer = Answer(kind, started, time.monotonic(), r.status_code, r.text, r.headers.get("retry-after"),
                            client_id)
        except httpx.HTTPError as exc:
            answer = Answer(kind, started, time.monotonic(), 0, repr(exc), None, client_id)
        self.answers.append(answer)
        return answer

    async def write(self, form: dict | None = None) -> Answer:
        """A defect with its photos as the phone sends it; `form` again to retry one."""
        form = form or defect_form(self.party_id, description=f"重启测试 {len(self.forms) + 1}")
        self.forms[form["client_id"]] = form
        self.writing.add(form["client_id"])
        try:
            return await self._call("write", self.phone, "POST", f"/api/v1/inspections/{self.inspection_id}/defects",
                                    client_id=form["client_id"], data=form, files=photo_files(PHOTOS_EACH))
        finally:
            self.writing.discard(form["client_id"])

    async def page(self) -> Answer:
        return await self._call("page", self.browser, "GET", f"/inspections/{self.inspection_id}")

    async def list(self) -> Answer:
        return await self._call("list", self.phone, "GET", f"/api/v1/defects?inspection_id={self.inspection_id}")

    async def sign_in(self) -> Answer:
        return await self._call("sign-in", self.browser, "POST", "/login",
                                data={"username": "yanfang", "password": "demo12345"})

    async def probe(self, path: str) -> Answer:
        return await self._call(path, self.browser, "GET", path)

    def written(self) -> int:
        """Writes answered 201 so far."""
        return sum(1 for a in self.answers if a.kind == "write" and a.status == 201)

    def acknowledged(self) -> set[str]:
        return {a.client_id for a in self.answers if a.kind == "write" and a.status in (200, 201)}

    async def close(self) -> None:
        await self.phone.aclose()
        await self.browser.aclose()


class Traffic:
    """WRITERS phones recording defects back to back (a pause after a failure), and the
    browser reading the page and the API list in turn, until stopped."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.running = True
        self.tasks = [asyncio.create_task(self._writer()) for _ in range(WRITERS)]
        self.tasks.append(asyncio.create_task(self._reader()))

    async def _writer(self) -> None:
        while self.running:
            if (await self.site.write()).status != 201:
                await asyncio.sleep(RETRY_PAUSE)

    async def _reader(self) -> None:
        while self.running:
            await self.site.page()
            await self.site.list()
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.running = False
        await asyncio.gather(*self.tasks)

    def cancel(self) -> None:
        """A failed test's way out: nothing waits for requests that may never end."""
        for task in self.tasks:
            task.cancel()


@dataclass
class Round:
    """One stop and start of PostgreSQL, and what was measured."""

    mode: str
    stopping: float = 0.0  # pg_ctl stop called
    stopped: float = 0.0  # pg_ctl stop returned: PostgreSQL gone
    starting: float = 0.0  # pg_ctl start called
    accepting: float = 0.0  # PostgreSQL accepted a connection again
    recovered: float = 0.0  # the app's first 200 for a database-backed request after that
    held_writes: list[str] = field(default_factory=list)  # client_ids held mid-transaction at the crash
    held_reads: int = 0
    probes: dict[str, Answer] = field(default_factory=dict)

    @property
    def recovery(self) -> float:
        return max(0.0, self.recovered - self.accepting)


def prepare_database(url: str, media: Path) -> None:
    """As an install does: the migrations, then the demo data (for its logins)."""
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(media)}
    for command in ("migrate", "seed"):
        done = subprocess.run([sys.executable, "-m", "server", command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"python -m server {command}:\n{done.stdout}{done.stderr}"


async def wait_for(condition, timeout: float, what: str, every: float = 0.05) -> None:
    """Poll `condition` (returning a bool, or an awaitable of one) until it is true."""
    deadline = time.monotonic() + timeout
    while not await _value(condition()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(every)


async def _value(result):
    return await result if inspect.isawaitable(result) else result


async def hold_mid_transaction(url: str) -> tuple[asyncpg.Connection, int, int]:
    """Hold requests half-way with table locks: each write stops inside its transaction with
    its defect row inserted and its audit row waiting (audit_entry takes no inserts), and the
    inspection page inside its read transaction (building cannot be read; no write reads it).
    The lock's connection, and the writes and reads held."""
    lock = await asyncpg.connect(url)
    await lock.execute("BEGIN; LOCK TABLE audit_entry IN SHARE MODE; LOCK TABLE building IN ACCESS EXCLUSIVE MODE")
    watcher = await asyncpg.connect(url)
    held = {"writes": 0, "reads": 0}

    async def all_held() -> bool:
        # A write has a transaction id (it has inserted its defect and audit rows); a read has none.
        waiting = await watcher.fetch("SELECT backend_xid IS NOT NULL AS wrote FROM pg_stat_activity "
                                      "WHERE wait_event_type = 'Lock'")
        held["writes"] = sum(1 for row in waiting if row["wrote"])
        held["reads"] = len(waiting) - held["writes"]
        return held["writes"] >= WRITERS and held["reads"] >= 1

    try:
        await wait_for(all_held, 20, f"{WRITERS} writes and a read waiting on the locks")
    finally:
        await watcher.close()
    return lock, held["writes"], held["reads"]


async def accepts_connections(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=1)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return False
    await connection.close()
    return True


async def stop_postgres(pg: PrivatePostgres, site: Site, round_: Round) -> None:
    """With the traffic going: a crash with requests surely half-way (immediate), or a
    fast shutdown that cuts them wherever they are."""
    lock = None
    if round_.mode == "immediate":
        lock, _, round_.held_reads = await hold_mid_transaction(pg.url)
        # Every phone's write is held (one each), so these are they; none can commit before the crash.
        round_.held_writes = sorted(site.writing)
    round_.stopping = time.monotonic()
    await asyncio.to_thread(pg.stop, round_.mode)
    round_.stopped = time.monotonic()
    if lock is not None:
        lock.terminate()


async def start_postgres(pg: PrivatePostgres, site: Site, round_: Round) -> None:
    """Start PostgreSQL; note when it accepts connections and when the app answers 200 again."""

    async def app_answers() -> bool:
        return (await site.list()).status == 200

    async def watch_postgres() -> None:
        await wait_for(lambda: accepts_connections(pg.url), 60, "PostgreSQL accepting", every=0.02)
        round_.accepting = time.monotonic()

    async def watch_app() -> None:
        await wait_for(app_answers, 60, "the app answering 200", every=0.02)
        round_.recovered = time.monotonic()

    watching = asyncio.gather(watch_postgres(), watch_app())
    round_.starting = time.monotonic()
    await asyncio.to_thread(pg.start, False)
    await watching


async def restart_round(pg: PrivatePostgres, site: Site, mode: str) -> Round:
    round_ = Round(mode)
    traffic = Traffic(site)
    try:
        before = site.written()
        await wait_for(lambda: site.written() >= before + WRITERS, 30, "writes answered before the stop")
        await stop_postgres(pg, site, round_)
        # Down: the traffic goes on; each kind of request once more, and the probes.
        for name, call in (("page", site.page), ("list", site.list), ("write", site.write), ("sign-in", site.sign_in),
                           ("/healthz", lambda: site.probe("/healthz")), ("/readyz", lambda: site.probe("/readyz"))):
            round_.probes[name] = await call()
        await asyncio.sleep(max(0.0, round_.stopped + DOWN_FOR - time.monotonic()))
        await start_postgres(pg, site, round_)
        back = site.written()
        await wait_for(lambda: site.written() >= back + WRITERS, 30, "writes answered after the restart")
    except BaseException:
        traffic.cancel()
        raise
    await traffic.stop()
    return round_


def check_answers(site: Site, round_: Round) -> dict:
    """Around the outage: only 200, 201 or 503, each 503 with the message and Retry-After and
    within DOWN_LIMIT of the stop; the probes as a load balancer wants them. What was answered."""
    assert round_.probes["/healthz"].status == 200
    assert round_.probes["/readyz"].status == 503 and "服务暂不可用：无法连接数据库。" in round_.probes["/readyz"].text
    for name in ("page", "list", "write", "sign-in"):
        probe = round_.probes[name]
        assert probe.status == 503 and probe.shows_message() and probe.retry_after == "5", (name, probe)
    counts: dict[str, dict[int, int]] = {}
    slowest = 0.0
    for answer in site.answers:
        if answer.kind.startswith("/"):
            continue  # the probes, above
        assert answer.status in (200, 201, 503), (answer.kind, answer.status, answer.text[:300])
        if answer.finished < round_.stopping or answer.started > round_.recovered:
            continue  # before the stop, or after the app was back
        counts.setdefault(answer.kind, {}).setdefault(answer.status, 0)
        counts[answer.kind][answer.status] += 1
        if answer.status == 503:
            assert answer.shows_message() and answer.retry_after == "5", (answer.kind, answer.text[:300])
        if answer.started >= round_.stopped and answer.finished <= round_.starting:
            assert answer.status == 503, (answer.kind, answer.status)  # nothing served without the database
        if answer.finished <= round_.starting:  # in flight at the stop, or sent while down
            waited = answer.finished - max(answer.started, round_.stopped)
            slowest = max(slowest, waited)
            assert waited < DOWN_LIMIT, (answer.kind, f"answered {waited:.1f} s after the stop")
    in_flight = [a for a in site.answers if a.kind == "write" and a.in_flight_at(round_.stopping)]
    for client_id in round_.held_writes:
        assert [a.status for a in site.answers if a.client_id == client_id] == [503], client_id
    return {"counts": counts, "slowest": slowest, "in_flight": in_flight}


async def check_records(url: str, site: Site, media: Path) -> dict:
    """Every write whole or absent: a defect with all its photos (and their files) and all
    their audit rows, or no row at all; none answered 200/201 is missing. What was counted."""
    db = await asyncpg.connect(url)
    try:
        defects = {row["client_id"]: row["id"] for row in await db.fetch(
            "SELECT client_id::text, id FROM defect WHERE inspection = $1", site.inspection_id)}
        photos = await db.fetch("SELECT id, subject_id, original_key FROM photo WHERE subject_type = 'defect'")
        audit = await db.fetch("SELECT object_type, object_id FROM audit_entry "
                               "WHERE object_type IN ('defect', 'photo') AND action = 'create'")
    finally:
        await db.close()
    assert site.acknowledged() <= set(defects), "a write answered 201 is missing"
    assert set(defects) <= set(site.forms), "a defect nobody sent"
    photos_of: dict[int, int] = {}
    for photo in photos:
        photos_of[photo["subject_id"]] = photos_of.get(photo["subject_id"], 0) + 1
        assert (media / photo["original_key"]).is_file(), f"photo {photo['id']}: its file is missing"
    defect_ids, photo_ids = set(defects.values()), {photo["id"] for photo in photos}
    assert set(photos_of) <= defect_ids, "photo rows of a defect that is not there"
    assert all(photos_of.get(defect_id) == PHOTOS_EACH for defect_id in defect_ids), "a defect without all its photos"
    expected_audit = {("defect", str(i)) for i in defect_ids} | {("photo", str(i)) for i in photo_ids}
    assert {(row["object_type"], row["object_id"]) for row in audit} == expected_audit, \
        "audit rows missing, or left by a write that is not there"
    assert len(audit) == len(expected_audit), "an audit row twice"
    return {"sent": len(site.forms), "stored": len(defects), "rows": len(defects) + len(photos) + len(audit),
            "client_ids": set(defects)}


async def send_again(site: Site, also_answered: int = 3) -> dict[int, int]:
    """Each phone sends again every write it got no 200/201 for, with its client_id, as
    its outbox does, and a few answered ones too: a 201 for a write that was lost, a 200
    (the record already there) for one that was not. Statuses counted."""
    acknowledged = site.acknowledged()
    lost = [client_id for client_id in site.forms if client_id not in acknowledged]
    again = lost + sorted(acknowledged)[:also_answered]
    statuses: dict[int, int] = {}
    for client_id in again:
        answer = await site.write(site.forms[client_id])
        assert answer.status in (200, 201), answer.text[:300]
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    return statuses


def server_errors(fleet: Fleet) -> list[dict]:
    """Log lines of a 5xx other than 503, or of an unhandled error."""
    return [line for line in fleet.json_lines("web1")
            if (line.get("logger") == "server.access" and line.get("status", 0) >= 500 and line["status"] != 503)
            or line.get("level") in ("ERROR", "CRITICAL")]


def report(rounds: list[tuple[Round, dict]], before: dict, statuses: dict, after: dict) -> None:
    for round_, seen in rounds:
        probes = ", ".join(f"{name} {a.status} in {(a.finished - a.started) * 1000:.0f} ms"
                           for name, a in round_.probes.items())
        in_flight, stored = seen["in_flight"], before["client_ids"]
        outcomes = {"503 absent": sum(1 for a in in_flight if a.status == 503 and a.client_id not in stored),
                    "503 stored": sum(1 for a in in_flight if a.status == 503 and a.client_id in stored),
                    "201": sum(1 for a in in_flight if a.status == 201)}
        print(f"\nFIGURE postgres-restart -m {round_.mode}: held mid-transaction at the stop: "
              f"{len(round_.held_writes)} writes, {round_.held_reads} reads; writes in flight at the stop "
              f"{len(in_flight)} ({outcomes}); pg_ctl stop {round_.stopped - round_.stopping:.2f} s; while down: "
              f"{probes}; answers from the stop to the recovery {seen['counts']}, slowest "
              f"{seen['slowest'] * 1000:.0f} ms after the stop; PostgreSQL accepting "
              f"{round_.accepting - round_.starting:.2f} s after pg_ctl start, the app's first 200 "
              f"{round_.recovery:.2f} s after that")
    print(f"FIGURE postgres-restart records: {before['sent']} writes sent, {before['stored']} stored whole "
          f"({before['rows']} rows), {before['sent'] - before['stored']} absent, 0 partial; sent again with "
          f"their client_id: {statuses}; then {after['stored']} defects for {after['sent']} client_ids, "
          f"{after['rows']} rows, 0 partial; message {MESSAGE!r}, Retry-After 5")


async def test_postgres_restart_answers_503_recovers_and_leaves_no_partial_records(tmp_path):
    pg = PrivatePostgres()
    fleet = site = None
    try:
        pg.start()
        pg.create_database()
        media = tmp_path / "media"
        prepare_database(pg.url, media)
        db = await asyncpg.connect(pg.url)
        unit_id = await db.fetchval("SELECT id FROM unit ORDER BY id DESC LIMIT 1")
        party_id = await db.fetchval("SELECT id FROM party WHERE name = '中建三局第一工程公司'")
        await db.close()
        fleet = Fleet(tmp_path, web=1, workers=0, DATABASE_URL=pg.url, MEDIA_ROOT=str(media))
        fleet.wait_until_ready()
        site = Site(fleet.urls[0])
        await site.set_up(unit_id, party_id)

        rounds = []
        for mode in ("immediate", "fast"):
            round_ = await restart_round(pg, site, mode)
            rounds.append((round_, check_answers(site, round_)))
            assert round_.recovery < RECOVERY_LIMIT, \
                f"-m {mode}: the first 200 came {round_.recovery:.1f} s after PostgreSQL's return"
        before = await check_records(pg.url, site, media)
        held = {client_id for round_, _ in rounds for client_id in round_.held_writes}
        assert held and not held & before["client_ids"], "a write held mid-transaction at the crash was kept"
        statuses = await send_again(site)
        after = await check_records(pg.url, site, media)
        assert after["stored"] == after["sent"], after  # exactly one record per client_id
        assert server_errors(fleet) == []
        report(rounds, before, statuses, after)
    finally:
        if site is not None:
            await site.close()
        if fleet is not None:
            fleet.stop()
        pg.remove()
