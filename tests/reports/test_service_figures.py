"""SLA attainment and the satisfaction trend (issue 13, "once repairs and inquiries
exist") on the hand-counted dataset of known.py: the whole project, drilled to a
building and to a contractor, and within a date range; the stats API answers them."""
from __future__ import annotations

import datetime as dt

from tests.reports.known import EXPECTED, build, named_figures


def _sla(found: dict) -> list[tuple]:
    return [(r["key"], r["due"], r["met"], r["attainment_percent"]) for r in found["sla_attainment"]]


def _trend(found: dict) -> list[tuple]:
    return [(r["key"], r["calls"], r["average"], r["satisfied"], r["satisfied_percent"])
            for r in found["satisfaction_trend"]]


async def test_sla_and_satisfaction_match_the_hand_count():
    ids = await build()
    found = await named_figures(ids)
    assert _sla(found) == EXPECTED["sla_attainment"]
    assert _trend(found) == EXPECTED["satisfaction_trend"]
    assert [(r["key"], r["inquiries"], r["answered"]) for r in found["inquiries_by_category"]] == \
        EXPECTED["inquiries_by_category"]


async def test_drilled_down_and_within_dates():
    ids = await build()
    # 2号楼: R4 (missed), R5 (not due), R6 (missed), R7 (missed); inquiries 203 (missed), 201 (met), 202 (not due).
    b2 = await named_figures(ids, building_id=ids["2号楼"])
    assert _sla(b2) == [("emergency", 0, 0, None), ("normal", 2, 0, "0.00"), ("scheduled", 1, 0, "0.00"),
                        ("inquiries", 2, 1, "50.00")]
    assert _trend(b2) == [("2026-03", 1, "5.00", 1, "100.00")]  # R4's call
    assert [(r["key"], r["inquiries"]) for r in b2["inquiries_by_category"]] == [("物业费", 2), ("维修", 1)]
    # 甲公司 has R1 now (R4 went to 乙公司): its repairs only; inquiries are no contractor's.
    a = await named_figures(ids, contractor_id=ids["甲公司"])
    assert _sla(a) == [("emergency", 1, 1, "100.00"), ("normal", 0, 0, None), ("scheduled", 0, 0, None),
                       ("inquiries", 5, 2, "40.00")]
    assert _trend(a) == [("2026-02", 1, "5.00", 1, "100.00")]
    b = await named_figures(ids, contractor_id=ids["乙公司"])
    assert _trend(b) == [("2026-03", 2, "4.50", 2, "100.00")]  # R3 and R4
    # The defect-category filter does not apply to repairs and inquiries.
    assert _sla(await named_figures(ids, category="wall")) == EXPECTED["sla_attainment"]
    # Reported / asked / called 3-01..3-03 (China dates): R1, R2, R3, R6; inquiries 101, 102; R3's call of 3-01 07:00.
    early = await named_figures(ids, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 3))
    assert _sla(early) == [("emergency", 2, 1, "50.00"), ("normal", 1, 1, "100.00"), ("scheduled", 1, 0, "0.00"),
                           ("inquiries", 2, 1, "50.00")]
    assert _trend(early) == [("2026-03", 1, "4.00", 1, "100.00")]
    # February only: the two calls of February, no repair or inquiry reported then.
    february = await named_figures(ids, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28))
    assert _trend(february) == [("2026-02", 2, "3.50", 1, "50.00")]
    assert [r["due"] for r in february["sla_attainment"]] == [0, 0, 0, 0]


async def test_the_stats_api_answers_them(personas):
    ids = await build()
    carol = await personas.api("carol")
    body = (await carol.get(f"/api/v1/projects/{ids['project']}/stats")).json()
    # Asked now (months after the dataset's NOW): R5 and the inquiry of 3-20 are past their deadline too.
    assert [(r["kind"], r["due"], r["met"], r["attainment_percent"]) for r in body["sla_attainment"]] == [
        ("emergency", 2, 1, "50.00"), ("normal", 4, 1, "25.00"), ("scheduled", 1, 0, "0.00"),
        ("inquiries", 6, 2, "33.33")]
    assert [(r["month"], r["average"]) for r in body["satisfaction_trend"]] == [("2026-02", "3.50"),
                                                                               ("2026-03", "4.50")]
