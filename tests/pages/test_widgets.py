"""A form's select, the tab bar's entries (server/web/widgets.py) and a building's unit tiles
(server.org.pages_unit_tiles.py), drawn in Python for speed: what they show, called as the templates call them."""
from __future__ import annotations

from types import SimpleNamespace

from server.i18n import current_locale
from server.org.pages_unit_tiles import floors_of_tiles
from server.web.nav import nav_for
from server.web.templating import environment

SELECT = '{% from "_macros.html" import select %}{{ select(name, label, options, form, errors, **more) }}'


def _in(locale: str, template: str, **context) -> str:
    token = current_locale.set(locale)
    try:
        return environment(locale).from_string(template).render(**context)
    finally:
        current_locale.reset(token)


def _select(options, form=None, errors=None, locale="zh_CN", **more) -> str:
    return _in(locale, SELECT, name="building_id", label="楼栋", options=options, form=form, errors=errors, more=more)


def test_a_select_marks_the_typed_choice_whatever_its_type():
    html = _select([(1, "1号楼"), (12, "12号楼")], form={"building_id": "12"}, blank="请选择", required=True)
    assert '<select class="weui-select" id="f-building_id" name="building_id" required>' in html
    assert '<label class="weui-label" for="f-building_id">楼栋<span class="muted" aria-hidden="true"> *</span></label>' in html
    assert html.index('<option value="">请选择</option>') < html.index('<option value="1">1号楼</option>')
    assert '<option value="12" selected>12号楼</option>' in html
    assert html.count(" selected") == 1
    # The form holds what was typed as text, or the record's value as a number: either marks it.
    assert '<option value="12" selected>' in _select([(1, "1号楼"), (12, "12号楼")], form={"building_id": 12})


def test_a_select_without_a_choice_or_a_blank_marks_nothing():
    html = _select([(1, "1号楼")], form={})
    assert '<option value="">' not in html and " selected" not in html and " required" not in html
    assert "aria-invalid" not in html and "field-error" not in html


def test_a_select_shows_its_error_instead_of_its_hint_and_escapes_what_it_shows():
    html = _select([("a&b", "<b>甲</b>")], form={"building_id": "a&b"}, errors={"building_id": "请选择楼栋。"},
                   hint="提示")
    assert 'weui-cell_select-after weui-cell_warn"' in html
    assert 'aria-invalid="true" aria-describedby="e-building_id"' in html
    assert '<span class="field-error" id="e-building_id">请选择楼栋。</span>' in html and "提示" not in html
    assert '<option value="a&amp;b" selected>&lt;b&gt;甲&lt;/b&gt;</option>' in html
    plain = _select([], form={}, errors={}, hint="已有的房号会跳过")
    assert '<span class="form-hint">已有的房号会跳过</span>' in plain and "weui-cell_warn" not in plain


SELECTS = '{% from "_macros.html" import selects %}{{ selects(fields, options, form, errors, blank="未指定") }}'


def test_selects_sharing_options_each_mark_their_own_choice_and_error():
    html = _in("zh_CN", SELECTS, fields=[("trade_civil", "土建"), ("trade_door", "门窗")],
               options=[(1, "甲<公司>"), (2, "乙公司")], form={"trade_civil": "2", "trade_door": 1},
               errors={"trade_door": "请选择。"})
    civil, door = html.split('<div class="weui-cell ')[1:]
    assert '<label class="weui-label" for="f-trade_civil">土建</label>' in civil
    assert '<option value="2" selected>乙公司</option>' in civil and civil.count(" selected") == 1
    assert '<option value="1" selected>甲&lt;公司&gt;</option>' in door and door.count(" selected") == 1
    assert 'aria-describedby="e-trade_door"' in door and "weui-cell_warn" in door
    assert "weui-cell_warn" not in civil and '<option value="">未指定</option>' in civil
    # The same HTML, cell for cell, as one select each.
    one = _select([(1, "甲<公司>"), (2, "乙公司")], form={"building_id": "2"}, blank="未指定")
    assert civil.split("<select", 1)[1].split("</select>")[0].replace("trade_civil", "building_id") == \
        one.split("<select", 1)[1].split("</select>")[0]


def test_a_form_carries_its_csrf_token_and_its_escaped_message():
    from server.web.widgets import request_values

    token = request_values.set({"csrf_token": "tok&1", "current_path": "/"})
    try:
        html = _in("zh_CN", '{% from "_macros.html" import csrf_field, form_message %}'
                            '{{ csrf_field() }}|{{ form_message(message) }}|{{ form_message(none) }}|',
                   message="<不行>")
    finally:
        request_values.reset(token)
    field, message, nothing, _ = html.split("|")
    assert field == '<input type="hidden" name="_csrf_token" value="tok&amp;1">'
    assert message.startswith('<div class="form-message" role="alert"><span class="icon icon_sm"')
    assert message.endswith("<span>&lt;不行&gt;</span></div>")
    assert nothing == ""


def _nav(role: str, counts: dict, path: str, locale: str) -> str:
    user = SimpleNamespace(id=1, role=role, party=None)
    token = current_locale.set(locale)
    try:
        entries = nav_for(user, counts, path)
        return _in(locale, "{{ nav_entries(nav) }}", nav=entries)
    finally:
        current_locale.reset(token)


def test_the_tab_bar_marks_the_current_entry_and_says_what_waits():
    html = _nav("cs_staff", {"/rechecks": 3, "/inbox": 100}, "/rechecks/defects/4", "zh_CN")
    links = html.split("<a ")[1:]
    current = [link for link in links if 'aria-current="page"' in link]
    assert len(current) == 1 and current[0].startswith('href="/rechecks" class="weui-tabbar__item weui-bar__item_on"')
    recheck = current[0]
    assert '<span class="weui-badge app-nav__badge num" data-count="3" aria-hidden="true">3</span>' in recheck
    assert '<span class="sr-only">（3 项待处理）</span>' in recheck
    inbox = next(link for link in links if link.startswith('href="/inbox"'))
    assert 'data-count="100" aria-hidden="true">99+</span>' in inbox and "（超过 99 项待处理）" in inbox
    home = next(link for link in links if link.startswith('href="/"'))
    assert "weui-badge" not in home and "sr-only" not in home and "aria-current" not in home
    # Desktop-menu-only entries are marked so the phone's bar hides them.
    assert 'href="/inspection-plans" class="weui-tabbar__item app-nav__more"' in html


def test_the_tab_bar_speaks_english_when_asked():
    html = _nav("cs_staff", {"/rechecks": 1}, "/", "en")
    assert '<span class="weui-tabbar__label">To recheck<span class="sr-only">(1 waiting)</span></span>' in html
    assert 'href="/" class="weui-tabbar__item weui-bar__item_on" aria-current="page"' in html


def test_the_tab_bar_drawn_again_follows_the_language_the_counts_and_the_page():
    # Entries are remembered between pages: what differs must still show.
    first = _nav("cs_staff", {"/rechecks": 1}, "/", "zh_CN")
    assert _nav("cs_staff", {"/rechecks": 1}, "/", "zh_CN") == first
    assert "待复验" in first and "To recheck" not in first
    assert "To recheck" in _nav("cs_staff", {"/rechecks": 1}, "/", "en")
    two = _nav("cs_staff", {"/rechecks": 2}, "/", "zh_CN")
    assert 'data-count="2" aria-hidden="true">2</span>' in two and 'data-count="1"' not in two
    elsewhere = _nav("cs_staff", {"/rechecks": 1}, "/inbox", "zh_CN")
    assert 'href="/inbox" class="weui-tabbar__item weui-bar__item_on" aria-current="page"' in elsewhere
    assert 'href="/" class="weui-tabbar__item weui-bar__item_on"' not in elsewhere
    contractor = _nav("contractor", {}, "/", "zh_CN")
    assert 'href="/tasks"' in contractor and 'href="/rechecks"' not in contractor


def _unit(id, number, floor, status="not_inspected", unit_type=None) -> dict:
    return {"id": id, "number": number, "floor": floor, "status": status, "unit_type": unit_type}


def _tiles(units, names, locale="zh_CN") -> str:
    token = current_locale.set(locale)
    try:
        return str(floors_of_tiles(units, names))
    finally:
        current_locale.reset(token)


def test_units_show_as_tiles_floor_by_floor_with_status_and_type():
    html = _tiles([_unit(1, "B101", -1), _unit(2, "1201", 12, "passed", 5), _unit(3, "1202", 12, "rectifying")],
                  {5: "三室两厅"})
    floors = html.split('<div class="floor">')[1:]
    assert len(floors) == 2
    assert '<div class="floor__label num">地下1层</div>' in floors[0] and '<div class="floor__label num">12层</div>' in floors[1]
    assert floors[1].count('class="unit-tile"') == 2
    assert '<a class="unit-tile" href="/admin/units/2/edit" aria-label="1201、已通过、三室两厅">' in floors[1]
    assert '<span class="unit-tile__number num">1201</span>' in floors[1]
    assert '<span class="chip chip_green">已通过</span>' in floors[1]
    assert 'aria-label="1202、整改中">' in floors[1] and '<span class="chip chip_orange">整改中</span>' in floors[1]
    english = _tiles([_unit(2, "1201", 12, "passed", 5)], {5: "3-bed"}, "en")
    assert 'aria-label="1201, Passed, 3-bed"' in english and '<div class="floor__label num">12F</div>' in english


def test_a_tile_escapes_what_it_shows():
    html = _tiles([_unit(9, '<i>1"</i>', 1, unit_type=4)], {4: "a&b"})
    assert '<span class="unit-tile__number num">&lt;i&gt;1&#34;&lt;/i&gt;</span>' in html
    assert 'aria-label="&lt;i&gt;1&#34;&lt;/i&gt;、未验房、a&amp;b"' in html


def test_a_schedule_draws_a_row_and_a_bar_a_day_with_today_marked():
    import datetime as dt

    from server.web.widgets import progress_rows

    today = dt.date(2026, 12, 7)
    days = [{"date": today, "planned": 4, "done": 1, "percent": 25},
            {"date": None, "planned": 2, "done": 0, "percent": 0}]
    token = current_locale.set("zh_CN")
    try:
        html = str(progress_rows(days, today))
        buildings = str(progress_rows([{"name": "<1号楼>", "planned": 3, "done": 3, "percent": 100}]))
    finally:
        current_locale.reset(token)
    first, second = html.split('<div class="progress-row">')[1:]
    assert '<span class="num">2026-12-07 · <strong>今天</strong></span>' in first
    assert '<span class="progress-row__sub num">1 / 4</span>' in first
    assert 'aria-valuenow="25"' in first and 'aria-label="2026-12-07"' in first
    assert 'aria-valuetext="已完成 1 / 4，25%"' in first and 'style="width: 25%"' in first
    assert '<span class="num">未定日期</span>' in second and "今天" not in second
    assert '<span>&lt;1号楼&gt;</span>' in buildings and 'aria-label="&lt;1号楼&gt;"' in buildings
    assert '<span class="bar__text num">100%</span>' in buildings


def _photo(id, status="ready", width=320, height=240) -> SimpleNamespace:
    return SimpleNamespace(id=id, status=status, width=width, height=height)


def test_thumbs_link_ready_photos_and_say_what_the_others_are_doing():
    call = '{% from "rectification/_macros.html" import thumbs %}{{ thumbs(photos, "整改前", "wide") }}'
    html = _in("zh_CN", call, photo_base="/n/tok/photos/",
               photos=[_photo(5), _photo(6, width=None), _photo(7, "processing"), _photo(8, "failed")])
    assert html.startswith('<ul class="thumbs thumbs_wide" aria-label="整改前">')
    assert '<a href="/n/tok/photos/5/display" target="_blank" rel="noopener">' in html
    assert '<img src="/n/tok/photos/5/thumb" alt="整改前 1" loading="lazy" width="320" height="240"></a>' in html
    assert '<img src="/n/tok/photos/6/thumb" alt="整改前 2" loading="lazy"></a>' in html
    assert '<span class="thumbs__pending">处理中…</span>' in html and '<span class="thumbs__pending">照片处理失败</span>' in html
    none = _in("en", '{% from "rectification/_macros.html" import thumbs %}{{ thumbs([], "Before") }}', photo_base="/p/")
    assert none == '<ul class="thumbs" aria-label="Before">\n  <li class="thumbs__none">No photos</li>\n</ul>'


def test_before_and_after_show_the_first_photo_large_and_the_rest_small():
    call = '{% from "rectification/_macros.html" import before_after %}{{ before_after(photos) }}'
    html = _in("zh_CN", call, photo_base="/photos/", photos={"found": [_photo(1), _photo(2)], "rectified": []})
    before, after = html.split('<div class="before-after__label">')[1:]
    assert before.startswith("整改前</div>") and 'thumbs thumbs_wide' in before and 'thumbs thumbs_mini' in before
    assert before.index("/photos/1/thumb") < before.index("thumbs_mini") < before.index("/photos/2/thumb")
    assert after.startswith("整改后</div>") and "thumbs__none" in after and "thumbs_mini" not in after


def test_a_note_field_keeps_what_was_typed_and_shows_its_error():
    call = ('{% from "rectification/_macros.html" import note_field %}'
            '{{ note_field("原因", form, errors, placeholder="现场所见", required=true, id="f-note-9") }}')
    html = _in("zh_CN", call, form={"note": "<墙面>仍空鼓"}, errors={"note": "不通过时必须填写原因。"})
    assert '<div class="weui-cell weui-cell_active weui-cell_warn">' in html
    assert '<label class="note-label" for="f-note-9">原因<span class="muted" aria-hidden="true"> *</span></label>' in html
    assert ('placeholder="现场所见" aria-invalid="true" aria-describedby="f-note-9-error">&lt;墙面&gt;仍空鼓</textarea>'
            in html)
    assert '<span class="field-error" id="f-note-9-error">不通过时必须填写原因。</span>' in html
    plain = _in("zh_CN", call.replace(", required=true", ""), form={}, errors={})
    assert "weui-cell_warn" not in plain and "field-error" not in plain and " *</span>" not in plain
    assert 'maxlength="1000" placeholder="现场所见"></textarea>' in plain
