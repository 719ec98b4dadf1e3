"""A form's select and the tab bar's entries, drawn in Python for every page.

As Jinja macros they were a large share of a page that only lists things: the building page's
eleven selects (one per defect category) cost 0.26 ms, the tab bar's loop 0.3 ms, of a page whose
bare equivalent costs 0.6 ms all told (bench/results/serving.md). A macro call builds a frame and
a context, and every value in it goes through `escape` and Jinja's attribute lookup; built here
with `escape` the HTML is the same but whitespace. Templates call them as before:
`select(name, label, options, form, errors, required=…, blank=…, hint=…)` (_macros.html) and
`nav_entries(nav)` (base.html), `progress_bar(done, planned, percent, label)` (inspections/_progress.html)
and a schedule's rows, `progress_rows(rows, today)` (inspections/plan_schedule.html).
"""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from server.i18n import gettext, ngettext
from server.web.snippets import icon


def _attr_error(name: Any, error: Any) -> str:
    return f' aria-invalid="true" aria-describedby="e-{name}"' if error else ""


def select(name: str, label: Any, options: Any, form: Any, errors: Any, required: bool = False,
           blank: Any = None, hint: Any = "") -> Markup:
    """A select as a WeUI cell: `options` are (value, label) pairs, the one whose value is what `form`
    holds under `name` selected; `blank` (if given) is a first option of no value; `errors[name]`, if
    any, shown under it and the cell marked, else `hint`."""
    error = errors.get(name) if errors else None
    current = str(form.get(name, "")) if form else ""
    name = escape(name)
    star = '<span class="muted" aria-hidden="true"> *</span>' if required else ""
    parts = [
        f'<div class="weui-cell weui-cell_active weui-cell_select weui-cell_select-after'
        f'{" weui-cell_warn" if error else ""}">\n'
        f'  <div class="weui-cell__hd"><label class="weui-label" for="f-{name}">{escape(label)}{star}</label></div>\n'
        f'  <div class="weui-cell__bd">\n'
        f'    <select class="weui-select" id="f-{name}" name="{name}"{" required" if required else ""}'
        f'{_attr_error(name, error)}>\n']
    if blank is not None:
        parts.append(f'      <option value="">{escape(blank)}</option>\n')
    for value, text in options:
        value = str(value)
        parts.append(f'      <option value="{escape(value)}"{" selected" if value == current else ""}>'
                     f'{escape(text)}</option>\n')
    parts.append('    </select>\n')
    if error:
        parts.append(f'    <span class="field-error" id="e-{name}">{escape(error)}</span>\n')
    elif hint:
        parts.append(f'    <span class="form-hint">{escape(hint)}</span>\n')
    parts.append('  </div>\n</div>')
    return Markup("".join(parts))


def nav_entries(nav: list[dict]) -> Markup:
    """The tab bar's links (server/web/nav.py nav_for's entries): the current one marked, a badge
    with what waits there ("99+" past the bound) and the count said in words for screen readers."""
    parts = []
    for item in nav:
        on, count = item["on"], item["count"]
        classes = "weui-tabbar__item" + (" weui-bar__item_on" if on else "") + ("" if item["tab"] else " app-nav__more")
        badge = words = ""
        if count:
            badge = (f'<span class="weui-badge app-nav__badge num" data-count="{count}" aria-hidden="true">'
                     f'{"99+" if item["more"] else count}</span>')
            said = gettext("(more than 99 waiting)") if item["more"] else \
                ngettext("(%(num)s waiting)", "(%(num)s waiting)", count)
            words = f'<span class="sr-only">{escape(said)}</span>'
        current = ' aria-current="page"' if on else ""
        parts.append(
            f'<a href="{escape(item["url"])}" class="{classes}"{current}>\n'
            f'  <span class="app-nav__icon">{icon(item["icon"], "weui-tabbar__icon")}{badge}</span>\n'
            f'  <span class="weui-tabbar__label">{escape(item["label"])}{words}</span>\n'
            f'</a>\n')
    return Markup("".join(parts))


def progress_bar(done: int, planned: int, percent: Any, label: Any) -> Markup:
    """A progress bar (an inspection plan's, a day's, a building's) with its share in words for screen
    readers. A schedule draws one per day and per building: ~100 on a large project's plan."""
    words = gettext("%(done)s of %(planned)s done, %(percent)s%%", done=done, planned=planned, percent=percent)
    percent = escape(percent)
    return Markup(
        f'<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{percent}"\n'
        f'     aria-label="{escape(label)}" aria-valuetext="{escape(words)}">\n'
        f'  <span class="bar__track"><span class="bar__fill" style="width: {percent}%"></span></span>\n'
        f'  <span class="bar__text num">{percent}%</span>\n'
        f'</div>')


def progress_rows(rows: list[dict], today: Any = None) -> Markup:
    """A plan's schedule by day (rows with a "date": the day, or "no day set"; `today` marked) or by
    building (rows with a "name"), each with its "done of planned" and its bar."""
    parts = []
    for row in rows:
        done, planned = row["done"], row["planned"]
        if "date" in row:
            day = row["date"]
            label = day.isoformat() if day else gettext("No day set")
            mark = f' · <strong>{escape(gettext("Today"))}</strong>' if day is not None and day == today else ""
            head = f'<span class="num">{escape(label)}{mark}</span>'
        else:
            label = row["name"]
            head = f'<span>{escape(label)}</span>'
        counted = gettext("%(done)s of %(planned)s", done=done, planned=planned)
        parts.append(f'<div class="progress-row">\n  <div class="progress-row__head">\n    {head}\n'
                     f'    <span class="progress-row__sub num">{escape(counted)}</span>\n  </div>\n'
                     f'  {progress_bar(done, planned, row["percent"], label)}\n</div>\n')
    return Markup("".join(parts))
