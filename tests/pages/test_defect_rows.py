"""A defect's row in the task, check and notice lists (server/inspections/pages_defect_rows.py), drawn
in Python for speed: what it shows, in each language, called from a template as the pages call it."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from server.clock import CHINA
from server.i18n import current_locale
from server.inspections.pages_defect_rows import ROW_HELPERS
from server.web.templating import environment

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 on site
CALL = '{{ defect_row(defect, "/tasks/defects/%s" % defect.id, found, extra) }}|{{ due(defect) }}'


def _defect(**fields) -> SimpleNamespace:
    base = {"id": 7, "room": "客厅", "category": "wall", "description": "墙面空鼓", "status": "open",
            "severity": "minor", "reopen_count": 0, "deadline": NOW + dt.timedelta(days=2)}
    return SimpleNamespace(**{**base, **fields})


def _render(defect, *, found=(), extra="", locale="zh_CN", photo_base="/photos/") -> tuple[str, str]:
    token = current_locale.set(locale)
    try:
        html = environment(locale).from_string(CALL).render(
            **ROW_HELPERS, now=NOW, photo_base=photo_base, defect=defect, found=list(found), extra=extra)
    finally:
        current_locale.reset(token)
    row, due = html.split("|")
    return row, due


def test_an_open_defect_shows_its_place_state_and_days_left():
    row, due = _render(_defect())
    assert row.startswith('<a class="task" href="/tasks/defects/7">')
    assert '<span class="task__title">客厅 · 墙面</span>' in row and '<span class="task__text">墙面空鼓</span>' in row
    assert '<span class="chip chip_orange">待整改</span>' in row
    assert "还剩 2 天" in row and "due_soon" not in row and "chip_red" not in row
    assert due.startswith('<span class="due">') and "还剩 2 天" in due
    assert "vendor/lucide/camera.svg" in row  # no photo yet: the camera icon holds its place


def test_a_late_defect_is_marked_with_whole_days_late_and_its_chips():
    late = _defect(deadline=NOW - dt.timedelta(days=3, hours=5), severity="urgent", reopen_count=2)
    row, due = _render(late)
    assert row.startswith('<a class="task task_late"')
    assert '<span class="due due_late">' in row and "逾期 3 天" in row and "逾期 3 天" in due
    assert '<span class="chip chip_red">紧急</span>' in row and '<span class="chip chip_red">退回 2 次</span>' in row
    # The chips side by side, each one markup (none escaped by its neighbour).
    assert ('<span class="task__meta"><span class="chip chip_orange">待整改</span> <span class="chip chip_red">紧急</span> '
            '<span class="chip chip_red">退回 2 次</span> <span class="due due_late">') in row


def test_due_later_today_says_today_and_english_plurals_follow_the_number():
    today = _defect(deadline=NOW.astimezone(CHINA).replace(hour=18).astimezone(dt.timezone.utc), severity="major")
    row, _due = _render(today, locale="en")
    assert '<span class="due due_soon">' in row and "Due today" in row
    assert '<span class="chip chip_orange">Major</span>' in row
    row, _due = _render(_defect(deadline=NOW + dt.timedelta(days=1), reopen_count=1), locale="en")
    assert "1 day left" in row and "Sent back 1 time" in row


@pytest.mark.parametrize("status, colour, word", [("rectified", "blue", "待复验"), ("closed", "green", "已关闭")])
def test_work_that_is_not_open_shows_no_deadline(status, colour, word):
    row, due = _render(_defect(status=status, deadline=NOW - dt.timedelta(days=9)))
    assert f'<span class="chip chip_{colour}">{word}</span>' in row
    assert "task_late" not in row and 'class="due' not in row and due == ""


def test_the_first_ready_photo_is_shown_from_the_pages_photo_base_and_the_text_is_escaped():
    photos = [SimpleNamespace(id=41, status="ready"), SimpleNamespace(id=42, status="ready")]
    row, _due = _render(_defect(description='<b onclick="x">裂</b>', room="A&B"), found=photos,
                        photo_base="/n/tok123/photos/", extra='<span class="chip chip_green">OK</span>')
    assert '<img src="/n/tok123/photos/41/thumb" alt="" loading="lazy">' in row and "/42/" not in row
    assert "&lt;b onclick=&#34;x&#34;&gt;裂&lt;/b&gt;" in row and "<b " not in row and "A&amp;B · " in row
    assert "&lt;span class=" in row  # `extra` as plain text is escaped; the pages pass a chip (markup)
    processing = [SimpleNamespace(id=43, status="processing")]
    row, _due = _render(_defect(description=""), found=processing)
    assert "/43/" not in row and "vendor/lucide/camera.svg" in row and "task__text" not in row


def test_a_groups_rows_come_at_once_with_each_rows_link_photo_and_check():
    rows = [_defect(id=7), _defect(id=8, room="卧室"), _defect(id=9, room="厨房")]
    photos = {7: {"found": [SimpleNamespace(id=70, status="ready")]}, 8: {"found": []}, 9: {"found": []}}
    checks = {7: {"result": "ok"}, 8: {"result": "not_ok"}}
    html = environment("zh_CN").from_string('{{ defect_rows(rows, "/checks/defects/%s", photos, checks) }}').render(
        **ROW_HELPERS, now=NOW, photo_base="/photos/", rows=rows, photos=photos, checks=checks)
    cards = html.split("</a>")[:-1]
    assert [c.split('href="')[1].split('"')[0] for c in cards] == [f"/checks/defects/{n}" for n in (7, 8, 9)]
    assert '<img src="/photos/70/thumb"' in cards[0] and "<img" not in cards[1]
    assert '<span class="chip chip_green">检查：合格</span>' in cards[0]
    assert '<span class="chip chip_red">检查：不合格</span>' in cards[1]
    assert "检查：" not in cards[2]  # not checked yet


def _card(defect, photos, last, mine, locale="zh_CN") -> str:
    token = current_locale.set(locale)
    try:
        return environment(locale).from_string("{{ recheck_card(defect, photos, last, mine) }}").render(
            **ROW_HELPERS, now=NOW, photo_base="/photos/", csrf_token="tok<1>", defect=defect, photos=photos,
            last=last, mine=mine)
    finally:
        current_locale.reset(token)


def test_a_recheck_card_posts_its_verdict_with_the_token_and_shows_the_round():
    defect = _defect(status="rectified", reopen_count=1, rectify_note="已铲除重抹", description="")
    photo = SimpleNamespace(id=41, status="ready", width=None, height=None)
    html = _card(defect, {"found": [photo], "rectified": []}, {"result": "not_ok", "by_name": "监理 萨姆", "note": "未干透"},
                 {})
    assert html.startswith('<form class="recheck app-card" id="recheck-7" method="post" action="/rechecks/defects/7"')
    assert '<input type="hidden" name="_csrf_token" value="tok&lt;1&gt;">' in html
    assert '<a href="/tasks/defects/7"><strong>客厅 · 墙面</strong></a>' in html
    assert '<span class="chip chip_red">退回 1 次</span>' in html and "recheck__text" not in html
    assert '<img src="/photos/41/thumb" alt="整改前 1" loading="lazy"></a>' in html
    assert "已铲除重抹</p>" in html and "监理 萨姆:" in html and '<span class="chip chip_red">不合格</span> 未干透</p>' in html
    assert 'id="f-note-7" name="note"' in html and "field-error" not in html
    assert 'value="pass" class="bigbtn bigbtn_ok">' in html and 'value="fail" class="bigbtn bigbtn_fail">' in html


def test_a_refused_recheck_keeps_the_reason_typed_and_says_what_is_missing():
    html = _card(_defect(status="rectified", rectify_note=""), {"found": [], "rectified": []}, None,
                 {"form": {"note": "仍有裂缝"}, "errors": {"note": "请填写不通过的原因。"}}, locale="en")
    assert ">仍有裂缝</textarea>" in html and '<span class="field-error" id="f-note-7-error">请填写不通过的原因。</span>' in html
    assert "Pass</button>" in html and "Fail</button>" in html and "recheck__note" not in html
    assert html.count('class="thumbs__none">No photos</li>') == 2


def test_a_defects_photo_strip_shows_six_and_counts_the_rest_and_polls_while_any_is_processing():
    from server.inspections.pages_defect_rows import photo_strip

    def photo(id, status="ready", reason=None):
        return SimpleNamespace(id=id, status=status, failure_reason=reason,
                               urls=SimpleNamespace(thumb=f"/photos/{id}/thumb" if status == "ready" else None))

    token = current_locale.set("zh_CN")
    try:
        ready = str(photo_strip(7, [photo(n) for n in range(1, 9)]))
        mixed = str(photo_strip(8, [photo(1, "failed", 'not a "photo"'), photo(2, "processing")]))
    finally:
        current_locale.reset(token)
    assert ready.startswith('<div id="photos-7-list" class="thumbs"\n     aria-live="polite">') and "hx-get" not in ready
    assert ready.count('<span class="thumb"><img src=') == 6 and '<span class="thumb">+2</span>' in ready
    assert '/photos/7/thumb' not in ready and '<img src="/photos/6/thumb" alt="" loading="lazy">' in ready
    assert 'hx-get="/inspections/defects/8/photos?view=list" hx-trigger="every 2s" hx-swap="outerHTML"' in mixed
    assert '<span class="thumb thumb_failed" title="not a &#34;photo&#34;">照片处理失败</span>' in mixed
    assert '<span class="thumb thumb_waiting"><span>处理中</span></span>' in mixed
