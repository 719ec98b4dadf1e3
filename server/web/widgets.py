"""Parts many pages draw, in Python: a form's select, its CSRF field and its message, the tab bar's
entries, progress bars, photo thumbnails and a note's textarea.

As Jinja macros they were a large share of a page that only lists things: the building page's
eleven selects (one per defect category) cost 0.26 ms, the tab bar's loop 0.3 ms, of a page whose
bare equivalent costs 0.6 ms all told (bench/results/serving.md). A macro call builds a frame and
a context, and every value in it goes through `escape` and Jinja's attribute lookup; built here
with `escape` the HTML is the same but whitespace. Templates call them as before:
`select(name, label, options, form, errors, required=…, blank=…, hint=…)`, `csrf_field()` and
`form_message(message)` (_macros.html), `selects(fields, options, form, errors, blank=…)` and
`nav_entries(nav)` (base.html), `progress_bar(done, planned, percent, label)` (inspections/_progress.html)
and a schedule's rows, `progress_rows(rows, today)` (inspections/plan_schedule.html); a defect's photos,
`thumbs(photos, label, size)` and `before_after(photos)`, and a note's textarea, `note_field(label, form,
errors, …)` (rectification/_macros.html).
"""
from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from server.i18n import current_locale, gettext, ngettext
from server.web.snippets import html_text, icon


# The request's values the shared Python parts need (its CSRF token, its path), set by
# server/web/templating.py render before a page is drawn.
request_values: ContextVar[dict[str, str]] = ContextVar("template_request_values", default={})


def request_value(key: str) -> str:
    return str(request_values.get().get(key, ""))


def _attr_error(name: Any, error: Any) -> str:
    return f' aria-invalid="true" aria-describedby="e-{name}"' if error else ""


def select(name: str, label: Any, options: Any, form: Any, errors: Any, required: bool = False,
           blank: Any = None, hint: Any = "") -> Markup:
    """A select as a WeUI cell: `options` are (value, label) pairs, the one whose value is what `form`
    holds under `name` selected; `blank` (if given) is a first option of no value; `errors[name]`, if
    any, shown under it and the cell marked, else `hint`."""
    return Markup(_select(name, label, _escaped_options(options), form, errors, required, blank, hint))


def selects(fields: Any, options: Any, form: Any, errors: Any, blank: Any = None) -> Markup:
    """Several selects offering the same options, one per (name, label) of `fields` (a building's
    construction unit for each defect category): as `select` draws them, the options escaped once."""
    escaped = _escaped_options(options)
    return Markup("\n    ".join(_select(name, label, escaped, form, errors, False, blank, "") for name, label in fields))


def _escaped_options(options: Any) -> list[tuple[str, str, str]]:
    """Each (value, label) as the value to compare with the form's, and the two escaped for HTML."""
    return [(str(value), html_text(value), html_text(text)) for value, text in options]


def _select(name: Any, label: Any, options: list[tuple[str, str, str]], form: Any, errors: Any, required: bool,
            blank: Any, hint: Any) -> str:
    error = errors.get(name) if errors else None
    current = str(form.get(name, "")) if form else ""
    name = html_text(name)
    star = '<span class="muted" aria-hidden="true"> *</span>' if required else ""
    parts = [
        f'<div class="weui-cell weui-cell_active weui-cell_select weui-cell_select-after'
        f'{" weui-cell_warn" if error else ""}">\n'
        f'  <div class="weui-cell__hd"><label class="weui-label" for="f-{name}">{html_text(label)}{star}</label></div>\n'
        f'  <div class="weui-cell__bd">\n'
        f'    <select class="weui-select" id="f-{name}" name="{name}"{" required" if required else ""}'
        f'{_attr_error(name, error)}>\n']
    if blank is not None:
        parts.append(f'      <option value="">{html_text(blank)}</option>\n')
    for value, value_html, text_html in options:
        selected = " selected" if value == current else ""
        parts.append(f'      <option value="{value_html}"{selected}>{text_html}</option>\n')
    parts.append('    </select>\n')
    if error:
        parts.append(f'    <span class="field-error" id="e-{name}">{html_text(error)}</span>\n')
    elif hint:
        parts.append(f'    <span class="form-hint">{html_text(hint)}</span>\n')
    parts.append('  </div>\n</div>')
    return "".join(parts)


def csrf_field() -> Markup:
    """The hidden CSRF field every plain form needs (htmx sends the header too)."""
    return Markup(f'<input type="hidden" name="_csrf_token" value="{escape(request_value("csrf_token"))}">')


def form_message(message: Any) -> Markup:
    """The form-level message when the server refused the input (nothing when there is none)."""
    if not message:
        return Markup("")
    return Markup(f'<div class="form-message" role="alert">{icon("circle-alert", "icon_sm")}'
                  f'<span>{escape(message)}</span></div>')


def nav_entries(nav: list[dict]) -> Markup:
    """The tab bar's links (server/web/nav.py nav_for's entries): the current one marked, a badge
    with what waits there ("99+" past the bound) and the count said in words for screen readers."""
    locale = current_locale.get()
    return Markup("".join(_nav_entry(locale, item["url"], item["label"], item["icon"], item["tab"], item["on"],
                                     item["count"], item["more"]) for item in nav))


@lru_cache(maxsize=4096)
def _nav_entry(locale: str, url: str, label: str, icon_name: str, tab: bool, on: bool, count: int, more: bool) -> str:
    """One link of the bar, remembered: every page draws the same twenty or so, and the same
    arguments (`locale` for the words said) make the same HTML."""
    classes = "weui-tabbar__item" + (" weui-bar__item_on" if on else "") + ("" if tab else " app-nav__more")
    badge = words = ""
    if count:
        badge = (f'<span class="weui-badge app-nav__badge num" data-count="{count}" aria-hidden="true">'
                 f'{"99+" if more else count}</span>')
        said = gettext("(more than 99 waiting)") if more else ngettext("(%(num)s waiting)", "(%(num)s waiting)", count)
        words = f'<span class="sr-only">{escape(said)}</span>'
    current = ' aria-current="page"' if on else ""
    return (f'<a href="{escape(url)}" class="{classes}"{current}>\n'
            f'  <span class="app-nav__icon">{icon(icon_name, "weui-tabbar__icon")}{badge}</span>\n'
            f'  <span class="weui-tabbar__label">{escape(label)}{words}</span>\n'
            f'</a>\n')


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
            today_word = gettext("Today")  # outside the f-string, where Babel's extraction finds it
            mark = f' · <strong>{escape(today_word)}</strong>' if day is not None and day == today else ""
            head = f'<span class="num">{escape(label)}{mark}</span>'
        else:
            label = row["name"]
            head = f'<span>{escape(label)}</span>'
        counted = gettext("%(done)s of %(planned)s", done=done, planned=planned)
        parts.append(f'<div class="progress-row">\n  <div class="progress-row__head">\n    {head}\n'
                     f'    <span class="progress-row__sub num">{escape(counted)}</span>\n  </div>\n'
                     f'  {progress_bar(done, planned, row["percent"], label)}\n</div>\n')
    return Markup("".join(parts))


def photo_thumbs(photo_base: str, photos: list[Any], label: str, size: str = "") -> str:
    """Photo thumbnails, each opening the display size; a photo still being processed (or failed) is a grey
    tile with a word, never an empty box. `photo_base` is escaped markup: /photos/, or a link's own path."""
    label = escape(label)
    items = []
    for n, photo in enumerate(photos, start=1):
        if photo.status == "ready":
            sized = f' width="{photo.width}" height="{photo.height}"' if photo.width and photo.height else ""
            items.append(f'  <li>\n    <a href="{photo_base}{photo.id}/display" target="_blank" rel="noopener">\n'
                         f'      <img src="{photo_base}{photo.id}/thumb" alt="{label} {n}" loading="lazy"{sized}></a>\n'
                         f'  </li>\n')
        else:
            word = gettext("Photo failed") if photo.status == "failed" else gettext("Processing…")
            items.append(f'  <li>\n    <span class="thumbs__pending">{escape(word)}</span>\n  </li>\n')
    if not items:
        none = gettext("No photos")  # outside the f-string, where Babel's extraction finds it
        items.append(f'  <li class="thumbs__none">{escape(none)}</li>\n')
    return f'<ul class="thumbs{" thumbs_" + escape(size) if size else ""}" aria-label="{label}">\n{"".join(items)}</ul>'


def photos_before_after(photo_base: str, photos: dict[str, list]) -> str:
    """Before and after side by side (`photos` as rectification_reads.round_photos gives them: "found" and
    the current round's "rectified"), the first of each large and any others small below it."""
    parts = []
    for stage, label in (("found", gettext("Before")), ("rectified", gettext("After"))):
        shown = photos[stage]
        more = f'\n    {photo_thumbs(photo_base, shown[1:], label, "mini")}' if len(shown) > 1 else ""
        parts.append(f'  <div><div class="before-after__label">{escape(label)}</div>\n'
                     f'    {photo_thumbs(photo_base, shown[:1], label, "wide")}{more}</div>\n')
    return f'<div class="before-after">\n{"".join(parts)}</div>'


@pass_context
def thumbs(context: Context, photos: list[Any], label: str, size: str = "") -> Markup:
    return Markup(photo_thumbs(escape(context.get("photo_base") or ""), photos, label, size))


@pass_context
def before_after(context: Context, photos: dict[str, list]) -> Markup:
    return Markup(photos_before_after(escape(context.get("photo_base") or ""), photos))


def note_field(label: Any, form: Any, errors: Any, placeholder: Any = "", required: bool = False,
               id: str = "f-note") -> Markup:
    """A textarea cell for a note, its error beside it and the typed text kept (`form["note"]`)."""
    error = errors.get("note") if errors else None
    id = escape(id)
    star = '<span class="muted" aria-hidden="true"> *</span>' if required else ""
    attributes = (f' placeholder="{escape(placeholder)}"' if placeholder else "") + (
        f' aria-invalid="true" aria-describedby="{id}-error"' if error else "")
    shown_error = f'\n      <span class="field-error" id="{id}-error">{escape(error)}</span>' if error else ""
    return Markup(
        f'<div class="weui-cells weui-cells_form">\n'
        f'  <div class="weui-cell weui-cell_active{" weui-cell_warn" if error else ""}">\n'
        f'    <div class="weui-cell__bd">\n'
        f'      <label class="note-label" for="{id}">{escape(label)}{star}</label>\n'
        f'      <textarea class="weui-textarea" id="{id}" name="note" rows="3" maxlength="1000"{attributes}>'
        f'{escape(form.get("note", ""))}</textarea>{shown_error}\n'
        f'    </div>\n  </div>\n</div>')
