"""Issue 14, figure 7: every route × method of the app's route table × every principal
(signed out, each staff role, a contractor of the objects' party and of other
parties, the owner of the home and of another home) on one dataset.

The rule table (tests/access/rules.txt, read by tests.access.matrix) says who
may use each route. Every cell where it says no is called, with the path
filled from the dataset, and must be refused: 404 for another party's or
another home's object, 403 or 404 for a role, the sign-in page or 401 when
signed out. Afterwards no table row and no queued job has changed. Cells where
the rules allow are not called here (tests/test_get_is_safe.py opens every GET
as every role; the workflows' own tests do the writes).

The count of cells is printed and written to test-output/access-matrix.txt.
`ACCESS_MATRIX_OBSERVE=1` instead calls every cell, writes what the app does
now as a rule table to test-output/access-rules-observed.txt, and passes:
for reviewing a new route's line, never for copying blindly.
"""
from __future__ import annotations

import os
import time

from tests.access import matrix
from tests.access.principals import clients, extra_ids
from tests.dataset import build
from tests.conftest import ROOT
from tests.test_get_is_safe import snapshot

ROOT_OUTPUT = ROOT / "test-output"
SIGN_IN = ("/login", "/owner/sign-in", "/api/v1/auth/token")  # a wrong password answers 401 to anyone
OBSERVE = os.environ.get("ACCESS_MATRIX_OBSERVE") == "1"


async def _call(client, method: str, path: str, url: str, data: dict):
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    # A body of the right kind and (but for matrix.BODIES) no content: a refusal must come before the body is read.
    content = matrix.body_for(method, path, data)
    body = {"json": content} if path.startswith("/api/") else {"data": content}
    return await client.request(method, url, follow_redirects=False, **body)


async def _observe(table, data, callers) -> None:
    lines = []
    # Signing out ends every session and token of the account: those two go last.
    ending = [("DELETE", "/api/v1/auth/token"), ("POST", "/logout")]
    for method, path in [r for r in table if r not in ending] + ending:
        allowed = set()
        for principal in matrix.PRINCIPALS:
            browser, api = callers[principal]
            client = api if path.startswith("/api/") else browser
            r = await _call(client, method, path, matrix.url_for(path, data), data)
            signed_out = principal != "anonymous" and r.status_code == 401 and path not in SIGN_IN
            assert not signed_out, (principal, method, path, "lost its sign-in half-way")
            if not matrix.is_refusal("role", principal, path, r):
                allowed.add(principal)
        lines.append(f"{method:6} {path}  {matrix.compress(allowed)}")
    ROOT_OUTPUT.mkdir(exist_ok=True)
    (ROOT_OUTPUT / "access-rules-observed.txt").write_text("\n".join(sorted(lines, key=lambda l: l.split()[1])) + "\n",
                                                        encoding="utf-8")


async def test_every_route_refuses_whom_the_rules_refuse(personas, redis_server):
    import redis as redis_client

    started = time.monotonic()
    data = await build(personas)
    data.update(await extra_ids(personas, data))
    callers = await clients(personas)
    table = matrix.routes(personas.app)
    assert len(table) > 400  # the route table was read
    unfilled = {}
    for method, path in table:
        try:
            matrix.url_for(path, data)
        except KeyError as missing:
            unfilled[path] = str(missing)
    assert unfilled == {}, f"routes with a path parameter tests/access/matrix.py cannot fill: {unfilled}"
    if OBSERVE:
        await _observe(table, data, callers)
        return

    rules = matrix.read_rules()
    assert sorted(set(table) - set(rules)) == [], "routes with no line in tests/access/rules.txt"
    assert sorted(set(rules) - set(table)) == [], "lines of tests/access/rules.txt naming no route"
    redis = redis_client.Redis(port=redis_server.port)
    before = await snapshot(redis)
    called, allowed, wrong = 0, 0, []
    for method, path in table:
        url = matrix.url_for(path, data)
        for principal in matrix.PRINCIPALS:
            kind = matrix.expected_refusal(principal, rules[(method, path)])
            if kind is None:
                allowed += 1
                continue
            browser, api = callers[principal]
            r = await _call(api if path.startswith("/api/") else browser, method, path, url, data)
            called += 1
            if not matrix.is_refusal(kind, principal, path, r):
                wrong.append((method, url, principal, kind, r.status_code, r.text[:120]))
    after = await snapshot(redis)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    seconds = time.monotonic() - started
    summary = (f"access matrix: {len(table)} routes x methods, {len(matrix.PRINCIPALS)} principals, "
               f"{called + allowed} cells: {called} refused as the rules say ({len(wrong)} not), "
               f"{allowed} allowed by the rules (not called); {seconds:.0f} s with the dataset")
    print(summary)
    ROOT_OUTPUT.mkdir(exist_ok=True)
    (ROOT_OUTPUT / "access-matrix.txt").write_text(summary + "\n", encoding="utf-8")
    assert wrong == [], f"{len(wrong)} cells not refused: " + "\n".join(map(str, wrong))
    assert changed == [], f"refused calls changed these tables or queues: {changed}"
