"""No GET changes anything (issue 9.4): every GET route in the app's route
table, with its path filled from a demo-like dataset (tests/dataset.py), as
every role and signed out; before and after each route, every table's rows
(count and a hash) and the job queue must be the same.

A prefetch, a crawler or a second tab must never issue a code, mark
something read or queue work: that is a POST, made by a person, audited.
There is no session bookkeeping to exclude: sessions are read, never touched,
by a GET (server/web/middleware.py).

A new GET route with a path parameter this file does not know fails the test
until it is filled here or listed in NOT_FILLED with a reason.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar.routes import HTTPRoute

from tests.dataset import OWNER, build

SAFE = {"GET", "HEAD"}

# The role each signed-in client has (tests.support.Personas; sales, property
# and the owner are added by the dataset).
ROLES = {"admin": "alice", "cs_staff": "carol", "inspector": "ian", "project_staff": "paul",
         "supervisor": "sam", "contractor": "bob", "quality_center": "quinn", "sales": "sally",
         "property": "percy", "pr": "petra", "owner": OWNER}

# A path parameter's value: a key of the dataset, or a constant.
PARAMETERS = {
    "user_id": "user_id", "project_id": "project_id", "building_id": "building_id", "unit_id": "unit_id",
    "party_id": "party_id", "photo_id": "photo_id", "inspection_id": "inspection_id", "defect_id": "defect_id",
    "plan_id": "plan_id", "handover_id": "handover_id", "batch_id": "batch_id",
    "announcement_id": "announcement_id", "appointment_id": "appointment_id", "confirmation_id": "confirmation_id",
    "template_id": "template_id", "room_id": "room_id", "item_id": "item_id", "procedure_id": "procedure_id",
    "document_id": "document_id", "notice_id": "notice_id", "repair_id": "repair_id",
    "entry_id": "entry_id", "inquiry_id": "inquiry_id", "summary_id": "summary_id", "signoff_id": "signoff_id",
    "sheet_id": "sheet_id",
}
CONSTANTS = {"variant": "thumb", "side": "giver", "file_path": "css/app.css", "digest": "f" * 64}  # tests.dataset.PDF_DIGEST
# Where a parameter means something else on one route.
PER_ROUTE = {
    "/announcements/{token:str}": {"token": "announcement_token"},
    "/tender-notices/{token:str}": {"token": "tender_token"},
    "/api/v1/procedures/{procedure_id:int}/tender": {"procedure_id": "tender_id"},
    "/n/{token:str}": {"token": "notice_token"},
    "/repairs/sign/{token:str}": {"token": "signoff_token"},
    "/n/{token:str}/defects/{defect_id:int}": {"token": "notice_token"},
    "/n/{token:str}/defects/{defect_id:int}/plan": {"token": "notice_token"},
    "/n/{token:str}/photos/{photo_id:int}/{variant:str}": {"token": "notice_token"},
    "/checks/defects/{defect_id:int}": {"defect_id": "fixed_defect_id"},  # awaiting the supervisor's check
    "/rj/{token:str}": {"token": "job_token"},
    "/rj/{token:str}/sign": {"token": "job_token"},
    "/rj/{token:str}/documents/{document_id:int}": {"token": "job_token", "document_id": "plan_document_id"},
    "/rj/{token:str}/photos/{photo_id:int}/{variant:str}": {"token": "job_token", "photo_id": "check_photo_id"},
    "/api/v1/repair-plan-documents/{document_id:int}": {"document_id": "plan_document_id"},
    "/repairs/jobs/{repair_id:int}": {"repair_id": "job_repair_id"},
    "/api/v1/repairs/{repair_id:int}/job": {"repair_id": "job_repair_id"},
    # The completion sheet exists once the owner has signed.
    "/documents/repair-completion/{repair_id:int}": {"repair_id": "signed_repair_id"},
    "/documents/repair-completion/{repair_id:int}/progress/{digest:str}": {"repair_id": "signed_repair_id"},
    "/documents/repair-completion/{repair_id:int}/file/{digest:str}": {"repair_id": "signed_repair_id"},
}
# Further queries of some routes: the other page or filter they answer.
QUERIES = {
    "/delivery/batches/{batch_id:int}/day": ["?on={day}"],
    "/api/v1/delivery-batches/{batch_id:int}/queue": ["?on={day}"],
    "/delivery/batches/{batch_id:int}": ["?show=not_ready"],
    "/photos/{photo_id:int}/{variant:str}": ["/../original", "/../display"],
    "/knowledge": ["?q=漏水", "?retired=1"],
    "/api/v1/knowledge": ["?q=漏水", "?retired=true"],
    "/inquiries/suggestions": ["?question=漏水"],
    "/inquiries/answer-box": ["?knowledge_entry_id={entry_id}"],
}
NOT_FILLED = {
    "/schema/{path:str}": "Litestar's fallback for schema renderers that are not enabled; the enabled ones "
                          "(/schema/openapi.json, …) are routes of their own and are walked",
}


def get_routes(app: Any) -> list[str]:
    return sorted({route.path for route in app.routes if isinstance(route, HTTPRoute)
                   and SAFE & set(route.route_handler_map)})


def fill(path: str, data: dict[str, Any]) -> list[str]:
    """The URLs to ask for this route; raises KeyError naming a parameter nobody fills."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in PER_ROUTE.get(path, {}):
            return str(data[PER_ROUTE[path][name]])
        if name in CONSTANTS:
            return CONSTANTS[name]
        return str(data[PARAMETERS[name]])

    url = re.sub(r"\{(\w+)(?::\w+)?\}", value, path)
    extra = []
    for query in QUERIES.get(path, []):
        if query.startswith("/../"):  # another last segment
            extra.append(url.rsplit("/", 1)[0] + "/" + query[4:])
        else:
            extra.append(url + query.format(**data))
    return [url, *extra]


async def snapshot(redis: Any) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of the rows)} for every table in the database, and the job queues."""
    from piccolo.engine.sqlite import SQLiteEngine

    from server.accounts.tables import User
    from server.db import engine

    state = {}
    if isinstance(engine(), SQLiteEngine):
        names = [r["name"] for r in await User.raw(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").run()]
        for name in sorted(names):
            rows = sorted(repr(sorted(row.items())) for row in await User.raw(f'SELECT * FROM "{name}"').run())
            state[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    else:  # one round trip: each table's rows as text, hashed by the server
        names = [r["tablename"] for r in await User.raw(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").run()]
        query = " UNION ALL ".join(
            f"SELECT '{name}' AS name, count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'AS hash FROM "{name}" t' for name in names)
        state = {r["name"]: (r["n"], r["hash"]) for r in await User.raw(query).run()}
    for key in sorted(redis.keys("arq:*")):
        if key.startswith(b"arq:queue") or key.startswith(b"arq:job:"):
            members = redis.zrange(key, 0, -1) if redis.type(key) == b"zset" else [redis.get(key)]
            state[key.decode()] = (len(members), hashlib.sha256(b"\n".join(sorted(members))).hexdigest())
    return state


async def clients(personas: Any, data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{role: (browser, API client)}; signed out has neither cookie nor token."""
    from tests.support import make_client

    made = {}
    for role, name in ROLES.items():
        browser = data["owner_browser"] if role == "owner" else await personas.browser(name)
        made[role] = (browser, await personas.api(name))
    anonymous = make_client(personas.app)
    await anonymous.__aenter__()
    personas._clients.append(anonymous)
    made["anonymous"] = (anonymous, anonymous)
    return made


async def test_no_get_changes_the_database(personas, redis_server):
    import redis as redis_client

    data = await build(personas)
    routes = get_routes(personas.app)
    assert len(routes) > 100  # the route table was read
    assert not set(NOT_FILLED) - set(routes), "NOT_FILLED names routes that are gone"
    unknown = {}
    for path in routes:
        try:
            fill(path, data)
        except KeyError as missing:
            unknown[path] = str(missing)
    assert set(unknown) <= set(NOT_FILLED), f"new GET routes this test cannot fill: {unknown}"

    callers = await clients(personas, data)
    redis = redis_client.Redis(port=redis_server.port)
    before = await snapshot(redis)
    from server.piccolo_conf import APP_REGISTRY

    tables = {t._meta.tablename for app in APP_REGISTRY.app_configs.values() for t in app.table_classes}
    assert tables <= set(before) and before["owner_access_code"][0] > 0 and before["photo"][0] > 0
    changed, answered, errors = {}, {}, []
    for path in routes:
        if path in NOT_FILLED:
            continue
        for url in fill(path, data):
            for role, (browser, api) in callers.items():
                client = api if path.startswith("/api/") else browser
                r = await client.get(url, follow_redirects=False)
                answered.setdefault(path, set()).add(r.status_code)
                if r.status_code >= 500:
                    errors.append((url, role, r.status_code))
        after = await snapshot(redis)
        if after != before:
            changed[path] = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            before = after
    assert changed == {}, f"GETs that changed tables: {changed}"
    assert errors == [], f"GETs that answered 5xx: {errors}"
    # Every route was really reached: some role got a success from it, not only 403/404.
    unreached = {p: sorted(s) for p, s in answered.items() if not any(200 <= c < 300 for c in s)}
    assert unreached == {}, f"routes no role could open with these ids: {unreached}"
