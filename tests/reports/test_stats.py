"""Every dashboard figure on the hand-counted dataset of known.py, the filters,
and GET /api/v1/projects/{id}/stats (API.md) with who may call it."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.reports.known import EXPECTED, build, named_figures


def _by_key(rows: list[dict], *fields: str) -> dict:
    return {r["key"]: tuple(r[f] for f in fields) if len(fields) > 1 else r[fields[0]] for r in rows}


async def test_every_figure_matches_the_hand_count():
    ids = await build()
    found = await named_figures(ids)
    assert found["pass_rate"] == EXPECTED["pass_rate"]
    assert _by_key(found["pass_rate_by_building"], "units_inspected", "first_time_passed",
                   "first_time_pass_rate_percent") == EXPECTED["pass_rate_by_building"]
    assert [(r["key"], r["open"]) for r in found["open_by_category"]] == EXPECTED["open_by_category"]
    assert [(r["key"], r["open"]) for r in found["open_by_contractor"]] == EXPECTED["open_by_contractor"]
    assert [(r["bucket"], r["open"]) for r in found["ageing"]] == EXPECTED["ageing"]
    assert _by_key(found["rectification_times"], "closed", "median_seconds", "p90_seconds", "median_days",
                   "p90_days") == EXPECTED["rectification_times"]
    assert _by_key(found["reopen_rates"], "rechecked", "reopened", "reopen_rate_percent") == EXPECTED["reopen_rates"]
    assert _by_key(found["overdue_now"], "overdue") == EXPECTED["overdue_now"]
    assert _by_key(found["planned_done"], "planned", "done", "done_percent") == EXPECTED["planned_done"]
    assert [(r["key"], r["inquiries"], r["answered"]) for r in found["inquiries_by_category"]] == \
        EXPECTED["inquiries_by_category"]


async def test_drill_down_and_date_range():
    ids = await build()
    a = await named_figures(ids, contractor_id=ids["甲公司"])
    # A's defects are in both buildings; only 102's first inspection found one of A's.
    assert a["pass_rate"] == {"units_inspected": 5, "first_time_passed": 4, "first_time_pass_rate_percent": "80.00"}
    assert [(r["key"], r["open"]) for r in a["open_by_contractor"]] == [("甲公司", 3)]
    assert [(r["bucket"], r["open"]) for r in a["ageing"]] == [("0-3", 2), ("4-7", 1), ("8-14", 0), (">14", 0)]
    wall = await named_figures(ids, category="wall")
    assert wall["pass_rate"]["first_time_pass_rate_percent"] == "60.00"  # 102 and 203 had wall defects
    assert [(r["key"], r["open"]) for r in wall["open_by_category"]] == [("wall", 2)]
    plumbing = await named_figures(ids, category="plumbing")
    assert plumbing["pass_rate"] == {"units_inspected": 5, "first_time_passed": 4,
                                     "first_time_pass_rate_percent": "80.00"}
    b2 = await named_figures(ids, building_id=ids["2号楼"])
    assert b2["pass_rate"] == {"units_inspected": 2, "first_time_passed": 1, "first_time_pass_rate_percent": "50.00"}
    assert [(r["key"], r["open"]) for r in b2["open_by_contractor"]] == [("乙公司", 4), ("甲公司", 1)]
    early = await named_figures(ids, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 6))
    assert early["pass_rate"] == {"units_inspected": 2, "first_time_passed": 1, "first_time_pass_rate_percent": "50.00"}
    assert _by_key(early["planned_done"], "planned", "done") == {"1号楼": (2, 2)}  # 3-04 was cancelled
    # Defects recorded 3-01..3-06: d4 (plumbing, B) and d5-d7 (closed); closed within it: d5 only (3-08 is out).
    assert [(r["key"], r["open"]) for r in early["open_by_category"]] == [("plumbing", 1)]
    # Closed within it: B's 3-day and 5-day ones (3-01 and 3-03); A's closed from 3-08 on.
    assert _by_key(early["rectification_times"], "closed", "median_days") == {"乙公司": (2, "3.0")}
    # Asked 3-01..3-06: 101 (物业费), 102 (no category) and P's inquiry about no home (物业费, 3-04).
    assert [(r["key"], r["inquiries"]) for r in early["inquiries_by_category"]] == [("物业费", 2), ("", 1)]
    assert [(r["key"], r["inquiries"]) for r in b2["inquiries_by_category"]] == [("物业费", 2), ("维修", 1)]
    nothing = await named_figures(ids, date_from=dt.date(2027, 1, 1))
    assert nothing["pass_rate"] == {"units_inspected": 0, "first_time_passed": 0,
                                    "first_time_pass_rate_percent": None}
    assert [r["open"] for r in nothing["ageing"]] == [0, 0, 0, 0]


async def test_stats_endpoint(personas):
    ids = await build()
    carol = await personas.api("carol")
    r = await carol.get(f"/api/v1/projects/{ids['project']}/stats")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["units_inspected"], body["first_time_passed"], body["first_time_pass_rate_percent"]) == (5, 3, "60.00")
    assert {row["name"]: row["first_time_pass_rate_percent"] for row in body["pass_rate_by_building"]} == {
        "1号楼": "66.67", "2号楼": "50.00"}
    assert [row["category"] for row in body["open_by_category"]][:2] == ["electrical", "wall"]
    r = await carol.get(f"/api/v1/projects/{ids['project']}/stats",
                        params={"building_id": ids["1号楼"], "date_to": "2026-03-06"})
    assert (r.json()["units_inspected"], r.json()["first_time_pass_rate_percent"]) == (2, "50.00")
    # A project with nothing inspected: no data, not 0 %.
    r = await carol.get(f"/api/v1/projects/{ids['other_project']}/stats")
    assert r.status_code == 200
    assert (r.json()["units_inspected"], r.json()["first_time_passed"],
            r.json()["first_time_pass_rate_percent"]) == (0, 0, None)


@pytest.mark.parametrize("params,field", [
    ({"date_from": "2026-13-01"}, "date_from"),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to"),
    ({"category": "roof"}, "category"),
    ({"building_id": "abc"}, "building_id"),
])
async def test_bad_filters_are_400_naming_the_field(personas, params, field):
    ids = await build()
    carol = await personas.api("carol")
    r = await carol.get(f"/api/v1/projects/{ids['project']}/stats", params=params)
    assert r.status_code == 400, r.text
    assert field in r.text


async def test_who_may_read_stats(personas):
    ids = await build()
    url = f"/api/v1/projects/{ids['project']}/stats"
    for name in ("alice", "carol", "ian", "paul", "sam", "quinn"):
        assert (await (await personas.api(name)).get(url)).status_code == 200, name
    for name in ("bob", "olga"):  # a contractor, an owner: the wrong role
        assert (await (await personas.api(name)).get(url)).status_code == 403, name
    carol = await personas.api("carol")
    assert (await carol.get("/api/v1/projects/999999/stats")).status_code == 404
    # A building of another project is refused, not silently empty.
    other = await carol.get(f"/api/v1/projects/{ids['other_project']}/stats",
                            params={"building_id": ids["1号楼"]})
    assert other.status_code == 400
    from tests.support import make_client

    async with make_client(personas.app) as anonymous:
        assert (await anonymous.get(url)).status_code == 401
