"""A repair as a list row (server/repairs/pages_repair_item.py), drawn in Python for speed: what it shows,
called as the list templates call it."""
from __future__ import annotations

from server.i18n import current_locale
from server.web.templating import environment
from server.repairs.pages_repair_item import repair_item

PLACES = {3: {"building": "2号楼", "number": "1502"}}


def _repair(**fields) -> dict:
    base = {"id": 9, "unit_id": 3, "component_label": "给排水管道", "location": "厨房", "description": "水槽下漏水",
            "reported_on": "2026-12-01", "warranty": {"in_warranty": True}, "overdue": None, "status": "assigned",
            "status_label": "已派单"}
    return {**base, **fields}


def _row(repair: dict, extra: str = "", locale: str = "zh_CN") -> str:
    token = current_locale.set(locale)
    try:
        return environment(locale).from_string("{{ repair_item(r, places, extra) }}").render(
            repair_item=repair_item, r=repair, places=PLACES, extra=extra)
    finally:
        current_locale.reset(token)


def test_a_row_says_where_what_when_and_whether_the_warranty_covers_it():
    html = _row(_repair())
    assert html.startswith('<div class="weui-cell__bd">')
    assert '<span class="num">2号楼 1502</span> · 给排水管道 · 厨房' in html
    assert '<span class="cell-sub">水槽下漏水</span>' in html
    assert "报修日 2026-12-01" in html and "· 在保修期内</span>" in html
    assert html.endswith('<div class="weui-cell__ft"><span class="chip chip_blue">已派单</span></div>')


def test_an_overdue_row_is_marked_and_long_descriptions_are_cut():
    long = "墙面 " + "渗水" * 40
    html = _row(_repair(overdue="response", status="reopened", status_label="已重开", location="",
                        warranty={"in_warranty": None}, description=long))
    assert html.startswith('<div class="weui-cell__bd repair_overdue">')
    assert '<span class="num">2号楼 1502</span> · 给排水管道\n' in html  # no location: no second dot
    assert '<span class="cell-sub">墙面...</span>' in html  # cut at a space within 60 characters
    assert "· 尚未交付</span>" in html
    assert '<span class="chip chip_red">已逾期</span> <span class="chip chip_orange">已重开</span>' in html


def test_the_call_lists_line_comes_under_it_and_what_people_typed_is_escaped():
    html = _row(_repair(location="<b>阳台</b>", warranty={"in_warranty": False}, status="closed",
                        status_label="已关闭"), extra="3 日起回访")
    assert "· &lt;b&gt;阳台&lt;/b&gt;" in html and "· 已过保修期</span>" in html
    assert '<span class="cell-sub num">3 日起回访</span>\n</div>' in html
    assert '<span class="chip chip_green">已关闭</span>' in html
    english = _row(_repair(), locale="en")
    assert "Reported on 2026-12-01" in english and "· In warranty</span>" in english
