"""The access matrix's parts: the app's routes, the rule table, who calls, what a refusal looks like.

The rule table (`rules.txt` beside this file) has one line per route and
method: the principals that may use it, with these shorthands:

- `staff`: every developer-side role (tests.access.principals.STAFF);
- `contractor` is a contractor of the party the dataset's objects belong to
  (Builder A); `contractors` adds one of another construction unit and one of
  a repair unit, i.e. the route is not limited to the caller's party;
- `owner` is the owner of the dataset's home; `owners` adds the owner of
  another home;
- `signed_in`: every principal but `anonymous`; `anyone`: everybody.

A route that is not in the table, or a line naming a route that is gone,
fails the test: a new route is in the matrix from its first commit.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.routes import HTTPRoute

RULES_FILE = Path(__file__).with_name("rules.txt")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

STAFF = ("admin", "cs_staff", "inspector", "project_staff", "supervisor", "quality_center", "sales", "property", "pr")
CONTRACTORS = ("contractor", "contractor_other", "repair_unit")
OWNERS = ("owner", "owner_other")
PRINCIPALS = ("anonymous", *STAFF, *CONTRACTORS, *OWNERS)
GROUPS = {
    "staff": STAFF, "contractors": CONTRACTORS, "owners": OWNERS,
    "signed_in": PRINCIPALS[1:], "anyone": PRINCIPALS,
}
# Who holds an object of somebody else when the route is limited to the caller's own.
FOREIGN = {"contractor": ("contractor_other", "repair_unit"), "owner": ("owner_other",)}


def routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) of the app's route table, HEAD and OPTIONS aside (HEAD is GET's)."""
    found = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            found |= {(method, route.path) for method in route.route_handler_map if method in METHODS}
    return sorted(found, key=lambda r: (r[1], METHODS.index(r[0])))


def expand(words: list[str]) -> set[str]:
    allowed: set[str] = set()
    for word in words:
        if word in GROUPS:
            allowed |= set(GROUPS[word])
        elif word in PRINCIPALS:
            allowed.add(word)
        else:
            raise ValueError(f"unknown principal or group in {RULES_FILE.name}: {word!r}")
    return allowed


def read_rules(path: Path = RULES_FILE) -> dict[tuple[str, str], set[str]]:
    """{(method, path): the principals allowed}; `-` alone means nobody (not even admin)."""
    rules: dict[tuple[str, str], set[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        method, route, *words = line.split()
        key = (method, route)
        assert key not in rules, f"{path.name}:{number}: {method} {route} twice"
        rules[key] = set() if words == ["-"] else expand(words)
    return rules


def compress(allowed: set[str]) -> str:
    """The shortest line for a set of principals (used when writing what was observed)."""
    if allowed == set(PRINCIPALS):
        return "anyone"
    if allowed == set(PRINCIPALS[1:]):
        return "signed_in"
    rest, words = set(allowed), []
    for group in ("staff", "contractors", "owners"):
        if set(GROUPS[group]) <= rest:
            words.append(group)
            rest -= set(GROUPS[group])
    words += [p for p in PRINCIPALS if p in rest]
    return " ".join(words) or "-"


def expected_refusal(principal: str, allowed: set[str]) -> str | None:
    """None when this principal may use the route; else "foreign" (must be 404) or "role"."""
    if principal in allowed:
        return None
    for own, others in FOREIGN.items():
        if principal in others and own in allowed:
            return "foreign"
    return "role"


def is_refusal(kind: str, principal: str, path: str, response: Any) -> bool:
    """What counts as refused: 404 for a foreign object; 403/404 for a role; signed out, 401 or the sign-in page."""
    status = response.status_code
    if kind == "foreign":
        return status == 404
    if principal == "anonymous":
        if status == 303:
            return re.match(r"^/(login|owner/sign-in)\?", response.headers.get("location", "")) is not None
        return status in (401, 403, 404)
    return status in (403, 404)


# A path parameter's value: a key of the dataset (tests.dataset.build plus tests.access.principals.extra_ids).
PER_ROUTE_TOO = {
    "/api/v1/procedures/{procedure_id:int}/tender/bids/{bid_id:int}/score": {"procedure_id": "tender_id"},
    "/api/v1/procedures/{procedure_id:int}/tender/experts/{expert_id:int}/withdraw": {"procedure_id": "tender_id"},
    "/procedures/{procedure_id:int}/tender/bids/{bid_id:int}/score": {"procedure_id": "tender_id"},
    "/procedures/{procedure_id:int}/tender/experts/{expert_id:int}/withdraw": {"procedure_id": "tender_id"},
    "/procedures/{procedure_id:int}/tender/records/{kind:str}": {"procedure_id": "tender_id", "kind": "tender_kind"},
    "/delivery/projects/{project_id:int}/imports/{kind:str}": {"kind": "import_kind"},
}
# The signed links' token, by the link's path (the writes behind a link too).
TOKEN_LINKS = {"/n/": "notice_token", "/rj/": "job_token", "/repairs/sign/": "signoff_token"}
MORE_PARAMETERS = {"path": "schema_path", "step_id": "step_id", "message_id": "message_id",
                   "unit_type_id": "unit_type_id",
                   "bid_id": "bid_id", "expert_id": "expert_id", "batch_id:str": "ok_batch", "batch": "ok_batch"}


def url_for(path: str, data: dict[str, Any]) -> str:
    """The route's path filled from the dataset; KeyError names a parameter nobody fills."""
    from tests.test_get_is_safe import CONSTANTS, PARAMETERS, PER_ROUTE

    per_route = {**PER_ROUTE.get(path, {}), **PER_ROUTE_TOO.get(path, {})}
    for prefix, key in TOKEN_LINKS.items():
        if path.startswith(prefix):
            per_route.setdefault("token", key)
    if "/tender" in path:  # the dataset's tender is a procedure of its own
        per_route.setdefault("procedure_id", "tender_id")
    if path.startswith(("/repairs/jobs/", "/api/v1/repairs/{repair_id:int}/job")):  # the dispatched repair
        per_route.setdefault("repair_id", "job_repair_id")

    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2)
        if name in per_route:
            return str(data[per_route[name]])
        if f"{name}:{kind}" in MORE_PARAMETERS:
            return str(data[MORE_PARAMETERS[f"{name}:{kind}"]])
        if name in CONSTANTS:
            return CONSTANTS[name]
        return str(data[PARAMETERS.get(name) or MORE_PARAMETERS[name]])

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, path)


# Routes that read their body before their access check: a body that passes the
# check of its form, so the refusal tested is the access rule's, not a 400.
BODIES = {
    ("POST", "/api/v1/units/{unit_id:int}/area-settlement"): {
        "contract_area": "89.50", "registered_area": "90.00", "unit_price": "30000"},
    ("POST", "/api/v1/units/{unit_id:int}/appointment"): {"slot_id": "{slot_id}"},
    ("POST", "/api/v1/procedures/{procedure_id:int}/tender/experts"): {
        "name": "张专家", "field": "物业管理", "drawn_on": "2026-12-01"},
    ("POST", "/api/v1/procedures/{procedure_id:int}/tender/experts/{expert_id:int}/withdraw"): {"reason": "录错"},
    ("POST", "/api/v1/procedures/{procedure_id:int}/tender/bids/{bid_id:int}/score"): {"score": "88"},
    ("POST", "/api/v1/procedures/{procedure_id:int}/tender/records"): {"kind": "winner", "bid_id": "{bid_id}"},
}


def body_for(method: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
    body = BODIES.get((method, path), {})
    return {k: (data[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()}
