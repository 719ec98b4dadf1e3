"""Structured logs with a request id (server/logs.py, server/web/request_id.py,
workers/tracing.py): the caller's X-Request-ID or a new one, returned in the
response, on every line the request logs, and on the lines of the arq job it queued."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from arq.jobs import deserialize_job

from server.logs import make_handler
from server.settings import SettingsError, load_settings
from tests.inspections.support import defect_form, photo_files, unit_under_inspection
from tests.photos.support import run_worker


@pytest.fixture
def json_lines():
    """Every line logged (any logger, INFO and up) while the test runs, as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


async def test_the_callers_request_id_is_returned_and_on_the_access_line(client, json_lines):
    r = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert r.headers["x-request-id"] == "lb-7f3a.42"
    access = [line for line in json_lines() if line["logger"] == "server.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "lb-7f3a.42"
    assert (access[0]["method"], access[0]["path"], access[0]["status"]) == ("GET", "/healthz", 200)
    assert access[0]["level"] == "INFO"
    assert isinstance(access[0]["duration_ms"], float)


async def test_a_request_without_an_id_gets_a_new_one_and_a_forged_one_is_replaced(client, json_lines):
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    forged = (await client.get("/healthz", headers={"X-Request-ID": 'x" injected {"level": "ERROR'})).headers
    assert re.fullmatch(r"[0-9a-f]{32}", forged["x-request-id"])
    too_long = (await client.get("/healthz", headers={"X-Request-ID": "a" * 129})).headers
    assert re.fullmatch(r"[0-9a-f]{32}", too_long["x-request-id"])
    assert [line["request_id"] for line in json_lines() if line["logger"] == "server.access"] == [
        first, second, forged["x-request-id"], too_long["x-request-id"]]


async def test_every_line_of_a_request_carries_its_id(personas, redis_server, json_lines):
    """With Redis stopped, an upload logs a warning per photo it could not queue, then its access line."""
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    redis_server.stop()
    try:
        before = len(json_lines())
        r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects", headers={"X-Request-ID": "upload-1"},
                           data=defect_form(personas.parties["builder_a"].id), files=photo_files(2))
    finally:
        redis_server.start()
    assert r.status_code == 201, r.text
    lines = [line for line in json_lines()[before:] if line["logger"] != "httpx"]  # the test's client, not the app
    assert [line["logger"] for line in lines] == ["server.jobs", "server.jobs", "server.access"]
    assert [line["request_id"] for line in lines] == ["upload-1"] * 3


async def test_the_job_a_request_queues_carries_its_id_into_the_workers_lines(personas, redis_server, json_lines):
    import redis

    from workers.settings import WorkerSettings

    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects", headers={"X-Request-ID": "upload-2"},
                       data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))
    assert r.status_code == 201, r.text
    photo_id = r.json()["photos"][0]["id"]
    queued = deserialize_job(redis.Redis(port=redis_server.port).get(f"arq:job:photo:{photo_id}"))
    assert (queued.function, queued.args, queued.kwargs) == ("process_photo", (photo_id,), {"request_id": "upload-2"})

    await run_worker(WorkerSettings)
    done = [line for line in json_lines() if line["logger"] == "workers.jobs"]
    assert [(line["job"], line["request_id"]) for line in done] == [("process_photo", "upload-2")]
    assert done[0]["message"].startswith(f"process_photo({photo_id}) done in ")
    assert (await ian.get(f"/api/v1/defects/{r.json()['id']}")).json()["photos"][0]["status"] == "ready"


def test_log_format_is_plain_by_default_and_refuses_anything_but_plain_or_json(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert load_settings().log_format == "plain"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="LOG_FORMAT must be plain or json"):
        load_settings()


def test_the_plain_format_shows_the_request_id():
    from server.logs import request_id

    stream = io.StringIO()
    logger = logging.getLogger("tests.plain")
    logger.addHandler(make_handler("plain", stream))
    token = request_id.set("abc123")
    try:
        logger.warning("something happened")
    finally:
        request_id.reset(token)
    assert re.fullmatch(r"\S+ \S+ WARNING tests\.plain \[abc123\] something happened\n", stream.getvalue())
