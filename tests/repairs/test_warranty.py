"""The warranty rule of domain/rules.md, table-driven: every component at the
day before, of and after its last day, 29 February, seasons, longer project
periods, a home not yet delivered."""
from __future__ import annotations

import datetime as dt

import pytest

from server.i18n import current_locale
from server.repairs import warranty as w

D = dt.date


def terms(**changes):
    base = {"years": {"structure": 50, "waterproofing": 5, "pipes_electrical": 2, "decoration": 2},
            "seasons": {"heating": 2, "cooling": 2}}
    for key, value in changes.items():
        if key in ("years", "seasons"):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return w.Terms(**base)


# component, delivered, last day in warranty (rules.md's own examples among them)
LAST_DAYS = [
    ("structure", D(2024, 3, 1), D(2074, 3, 1)),
    ("waterproofing", D(2024, 3, 1), D(2029, 3, 1)),
    ("pipes_electrical", D(2024, 3, 1), D(2026, 3, 1)),
    ("decoration", D(2024, 3, 1), D(2026, 3, 1)),
    # 29 February: no such day in the expiry year, so the month's last day
    ("decoration", D(2024, 2, 29), D(2026, 2, 28)),
    ("pipes_electrical", D(2024, 2, 29), D(2026, 2, 28)),
    ("waterproofing", D(2024, 2, 29), D(2029, 2, 28)),
    ("structure", D(2024, 2, 29), D(2074, 2, 28)),
    # heating: delivered inside a running season, which does not count
    ("heating", D(2024, 12, 1), D(2027, 3, 15)),
    # delivered before the season starts: that season is the first
    ("heating", D(2024, 11, 14), D(2026, 3, 15)),
    # a season starting on the delivery day is already running: not counted
    ("heating", D(2024, 11, 15), D(2027, 3, 15)),
    # delivered in summer, between heating seasons
    ("heating", D(2024, 7, 1), D(2026, 3, 15)),
    # cooling: before, during and after the season
    ("cooling", D(2024, 5, 31), D(2025, 9, 30)),
    ("cooling", D(2024, 6, 1), D(2026, 9, 30)),
    ("cooling", D(2024, 7, 15), D(2026, 9, 30)),
    ("cooling", D(2024, 10, 1), D(2026, 9, 30)),
    ("cooling", D(2024, 2, 29), D(2025, 9, 30)),
]


@pytest.mark.parametrize("component, delivered, last", LAST_DAYS)
def test_day_before_of_and_after_the_last_day(component, delivered, last):
    for reported, inside in ((last - dt.timedelta(days=1), True), (last, True), (last + dt.timedelta(days=1), False)):
        decision = w.decide(component, delivered, reported)
        assert (decision.in_warranty, decision.ends_on, decision.starts_on) == (inside, last, delivered), reported
        assert decision.who_pays == ("contractor" if inside else "owner")


def test_rules_md_examples_word_for_word():
    assert w.decide("decoration", D(2024, 3, 1), D(2026, 3, 1)).in_warranty is True
    assert w.decide("decoration", D(2024, 3, 1), D(2026, 3, 2)).in_warranty is False
    assert w.decide("decoration", D(2024, 2, 29), D(2026, 2, 28)).in_warranty is True
    assert w.decide("decoration", D(2024, 2, 29), D(2026, 3, 1)).in_warranty is False
    assert w.decide("heating", D(2024, 12, 1), D(2027, 3, 15)).in_warranty is True
    assert w.decide("heating", D(2024, 12, 1), D(2027, 3, 16)).in_warranty is False


def test_every_component_is_decided():
    assert {c for c, _, _ in LAST_DAYS} == set(w.COMPONENTS)


def test_a_home_not_yet_delivered_is_not_a_warranty_matter():
    for component in w.COMPONENTS:
        decision = w.decide(component, None, D(2026, 1, 5))
        assert (decision.in_warranty, decision.who_pays, decision.starts_on, decision.ends_on) == (None,) * 4
        assert decision.as_api()["in_warranty"] is None
    # reported before the home's delivery day: not delivered yet on that day
    assert w.decide("decoration", D(2026, 1, 6), D(2026, 1, 5)).in_warranty is None
    # the delivery day itself: delivered, within warranty
    assert w.decide("decoration", D(2026, 1, 6), D(2026, 1, 6)).in_warranty is True


def test_a_project_with_longer_periods():
    longer = terms(years={"decoration": 3, "waterproofing": 8, "structure": 70, "pipes_electrical": 5},
                   seasons={"heating": 3, "cooling": 4})
    cases = [("decoration", D(2027, 3, 1)), ("waterproofing", D(2032, 3, 1)), ("structure", D(2094, 3, 1)),
             ("pipes_electrical", D(2029, 3, 1)), ("heating", D(2027, 3, 15)), ("cooling", D(2027, 9, 30))]
    for component, last in cases:
        assert w.decide(component, D(2024, 3, 1), last, longer).in_warranty is True, component
        assert w.decide(component, D(2024, 3, 1), last + dt.timedelta(days=1), longer).in_warranty is False
        # the statutory terms would have refused the same day (structure aside, it is the design life)
        if component != "structure":
            assert w.decide(component, D(2024, 3, 1), last).in_warranty is False, component


def test_a_project_with_its_own_seasons():
    northern = terms(heating_season=w.Season.parse("10-15", "04-15"), cooling_season=w.Season.parse("07-01", "08-31"))
    assert w.decide("heating", D(2024, 10, 14), D(2026, 4, 15), northern).in_warranty is True
    assert w.decide("heating", D(2024, 10, 14), D(2026, 4, 16), northern).in_warranty is False
    assert w.decide("cooling", D(2024, 7, 1), D(2026, 8, 31), northern).ends_on == D(2026, 8, 31)
    with pytest.raises(ValueError):
        w.Season.parse("02-29", "03-15")
    with pytest.raises(ValueError):
        w.Season.parse("04-31", "05-15")


def test_project_periods_are_never_shorter_than_the_statutory_ones():
    assert w.terms_problems({"decoration": 2, "waterproofing": 5, "pipes_electrical": 3, "structure": 50},
                            {"heating": 2, "cooling": 3}) == {}
    current_locale.set("zh_CN")
    problems = w.terms_problems({"decoration": 1, "waterproofing": "4", "pipes_electrical": "两年"},
                                {"heating": 1})
    assert set(problems) == {"decoration", "waterproofing", "pipes_electrical", "heating"}
    assert problems["waterproofing"] == "项目可以设定更长的保修期，但不得短于 5。"
    assert problems["pipes_electrical"] == "请输入整数。"


def test_the_reasoning_names_component_delivery_period_and_last_day():
    current_locale.set("zh_CN")
    decision = w.decide("waterproofing", D(2024, 2, 29), D(2029, 3, 1))
    api = decision.as_api()
    assert api["reasoning"] == ("防水、防渗漏：交付日 2024-02-29，保修期 5 年，保修最后一天 2029-02-28；"
                                "报修日 2029-03-01：已过保修期，由业主付费维修。")
    assert api["period"] == {"count": 5, "unit": "years"}
    assert w.decide("heating", D(2024, 12, 1), D(2025, 1, 1)).period_text() == "2 个供暖季"
    assert "尚未交付" in w.decide("cooling", None, D(2025, 1, 1)).reasoning()
    current_locale.set("en")
    assert w.decide("cooling", D(2024, 6, 1), D(2025, 1, 1)).reasoning() == (
        "Cooling system: delivered on 2024-06-01, warranty 2 cooling seasons, last day in warranty 2026-09-30; "
        "reported on 2025-01-01: within warranty, repaired at the contractor's cost.")
    current_locale.set("zh_CN")
