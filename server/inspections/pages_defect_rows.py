"""A defect in a list (its row), its status chip and its deadline, drawn in Python.

The task, check and notice lists show up to 100 defects a page (10 homes). As Jinja
macros a row cost ~45 µs (three nested macros, a dozen escaped values, three
translated plurals): 4.5 ms of a supervisor's /checks, a third of the request
(bench/results/inspections.md). Built here with `escape` it costs ~15 µs and the
HTML is the same. Pages get these functions in their context (rectification_pages._base)
and call them as they called the macros: `defect_row(defect, href, found, extra)`,
`due(defect)`, `status_chip(defect)`, a group's rows at once, `defect_rows(rows, href, photos)`,
and a recheck card, `recheck_card(defect, photos, last, mine)`; the page's `now`, `photo_base` and
`csrf_token` come from the context of the template that calls them. `photo_strip(defect_id, photos)`
is the unit page's strip of a defect's photos (given by pages_inspect and pages_defects).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from server.clock import CHINA
from server.i18n import current_locale, gettext, ngettext
from server.inspections.default_checklist import CATEGORIES
from server.inspections.states import DEFECT_STATUS_LABELS, SEVERITY_LABELS
from server.web.snippets import chip, icon
from server.web.widgets import note_field, photos_before_after

LABELS = {"status": DEFECT_STATUS_LABELS, "severity": SEVERITY_LABELS, "category": CATEGORIES}
STATUS_COLOURS = {"open": "orange", "rectified": "blue", "closed": "green"}


def due_of(defect: Any, now: dt.datetime) -> tuple[str, int] | None:
    """("overdue", days late) / ("left", days left) for open work with a deadline."""
    if defect.status != "open" or defect.deadline is None:
        return None
    seconds = (defect.deadline - now).total_seconds()
    if seconds < 0:  # whole days late, as people count them; any lateness is at least one day
        return "overdue", max(1, int(-seconds // 86400))
    # Days left by the calendar on site: due later today is 0 ("due today"), tomorrow is 1.
    return "left", (defect.deadline.astimezone(CHINA).date() - now.astimezone(CHINA).date()).days


class _Words:
    """The labels and chips a row shows, in one language: translated once, not once a row (a lazy label is
    translated anew at each use: 240 translations on a 100-defect page)."""

    def __init__(self) -> None:
        self.labels = {kind: {code: str(label) for code, label in labels.items()} for kind, labels in LABELS.items()}
        self.status_chips = {code: chip(label, STATUS_COLOURS.get(code, "grey"))
                             for code, label in self.labels["status"].items()}
        self.severity_chips = {code: chip(label, "red" if code == "urgent" else "orange")
                               for code, label in self.labels["severity"].items()}
        self.checked = {"ok": chip(gettext("Checked: OK"), "green"), "not_ok": chip(gettext("Checked: not OK"), "red")}
        self.category_html = {code: str(escape(label)) for code, label in self.labels["category"].items()}
        self.dues: dict[tuple[str, int] | None, str] = {}

    def due(self, d: tuple[str, int] | None) -> str:
        """`_due(d)`, remembered: a page's rows share a few dozen deadlines."""
        if d not in self.dues:
            self.dues[d] = str(_due(d))
        return self.dues[d]


_words: dict[str, _Words] = {}


def _words_now() -> _Words:
    """The words in the request's language (a handful of languages: built once each)."""
    locale = current_locale.get()
    if locale not in _words:
        _words[locale] = _Words()
    return _words[locale]


def status_chip(defect: Any) -> Markup:
    return _words_now().status_chips.get(defect.status) or chip(defect.status)


def _due(d: tuple[str, int] | None) -> Markup:
    """The deadline of open work: "逾期 3 天" in red, or the days left; nothing without one."""
    if d is None:
        return Markup("")
    kind, days = d
    if kind == "overdue":
        words = ngettext("%(num)s day overdue", "%(num)s days overdue", days)
        return Markup(f'<span class="due due_late">{icon("circle-alert", "icon_sm")} {escape(words)}</span>')
    words = gettext("Due today") if days < 1 else ngettext("%(num)s day left", "%(num)s days left", days)
    soon = " due_soon" if days < 1 else ""
    return Markup(f'<span class="due{soon}">{icon("clock", "icon_sm")} {escape(words)}</span>')


@pass_context
def due(context: Context, defect: Any) -> Markup:
    return _due(due_of(defect, context["now"]))


def _row(defect: Any, href: str, found: list | tuple, extra: str, now: dt.datetime, photo_base: str,
         words: _Words) -> str:
    """A row's HTML; `href`, `extra` and `photo_base` come as markup (escaped by the caller, once a page)."""
    d = due_of(defect, now)
    if found and found[0].status == "ready":
        photo = f'<img src="{photo_base}{found[0].id}/thumb" alt="" loading="lazy">'
    else:
        photo = icon("camera")
    status, severity = defect.status, defect.severity
    # Plain strings joined, not Markup: `str + Markup` escapes the str (Markup.__radd__).
    chips = [str(words.status_chips.get(status) or chip(status))]
    if severity != "minor":
        chips.append(str(words.severity_chips.get(severity) or chip(severity, "orange")))
    if defect.reopen_count:
        chips.append(str(chip(ngettext("Sent back %(num)s time", "Sent back %(num)s times", defect.reopen_count), "red")))
    text = f'<span class="task__text">{escape(defect.description)}</span>' if defect.description else ""
    category = words.category_html.get(defect.category) or escape(defect.category)
    return (
        f'<a class="task{" task_late" if d is not None and d[0] == "overdue" else ""}" href="{href}">\n'
        f'  <span class="task__photo">{photo}</span>\n'
        f'  <span class="task__body">\n'
        f'    <span class="task__title">{escape(defect.room)} · {category}</span>\n'
        f'    {text}\n'
        f'    <span class="task__meta">{" ".join(chips)} {words.due(d)} {extra}</span>\n'
        f'  </span>\n'
        f'  {icon("chevron-right", "task__go")}\n'
        f'</a>')


@pass_context
def defect_row(context: Context, defect: Any, href: str, found: list | tuple = (), extra: str = "") -> Markup:
    """One defect in a list: its first before photo, what and where, its state and deadline, `extra`
    (markup, e.g. the last check's chip) and a chevron; the whole row links to `href`."""
    return Markup(_row(defect, escape(href), found, escape(extra), context["now"], escape(context["photo_base"]),
                       _words_now()))


def check_chip(last: dict | None) -> Markup:
    """The latest check's result on a row of the check list (the supervisor's 待检查)."""
    if not last:
        return Markup("")
    return _words_now().checked["ok" if last["result"] == "ok" else "not_ok"]


@pass_context
def defect_rows(context: Context, rows: list, href: str, photos: dict, checks: dict | None = None) -> Markup:
    """A group's rows at once: `href` with %s for each defect's id, `photos` by defect id (round_photos'
    shape), and with `checks` (latest check by defect id) each row's check chip. One call a group, not
    one a row: the template's own work per row (a call, lookups, a set) cost a third of the rows."""
    now, photo_base, words = context["now"], escape(context["photo_base"]), _words_now()
    pattern = str(escape(href))
    return Markup("\n".join(
        _row(d, pattern % d.id, photos[d.id]["found"], check_chip(checks.get(d.id)) if checks else "", now,
             photo_base, words) for d in rows))


@pass_context
def recheck_card(context: Context, defect: Any, photos: dict, last: dict | None, mine: dict) -> Markup:
    """One rectified defect to recheck (the CS center's 待复验): what and where, before and after, the
    contractor's note, the latest check, a reason field and 通过 / 不通过. `photos` as round_photos gives
    them, `last` the latest check, `mine` the refused submit ({"form", "errors"}) when it is this defect's.
    In Jinja a card cost ~80 µs (four nested macros): 8 ms of a 100-card page."""
    words, number = _words_now(), int(defect.id)
    category = words.labels["category"].get(defect.category, defect.category)
    parts = [
        f'<form class="recheck app-card" id="recheck-{number}" method="post" action="/rechecks/defects/{number}"\n'
        f'      hx-post="/rechecks/defects/{number}" hx-target="this" hx-swap="outerHTML"\n'
        f'      hx-disabled-elt="find button[type=submit]" novalidate>\n'
        f'  <input type="hidden" name="_csrf_token" value="{escape(context.get("csrf_token") or "")}">\n'
        f'  <div class="recheck__head">\n'
        f'    <a href="/tasks/defects/{number}"><strong>{escape(defect.room)} · {escape(category)}</strong></a>\n']
    if defect.reopen_count:
        sent_back = ngettext("Sent back %(num)s time", "Sent back %(num)s times", defect.reopen_count)
        parts.append(f'    {chip(sent_back, "red")}\n')
    parts.append('  </div>\n')
    if defect.description:
        parts.append(f'  <p class="recheck__text">{escape(defect.description)}</p>\n')
    parts.append(f'  {photos_before_after(escape(context.get("photo_base") or ""), photos)}\n')
    if defect.rectify_note:
        parts.append(f'  <p class="recheck__note">{icon("wrench", "icon_sm")} {escape(defect.rectify_note)}</p>\n')
    if last:
        verdict = chip(gettext("OK"), "green") if last["result"] == "ok" else chip(gettext("Not OK"), "red")
        parts.append(f'  <p class="recheck__note">{icon("clipboard-check", "icon_sm")} {escape(last["by_name"] or "")}:\n'
                     f'    {verdict} {escape(last["note"])}</p>\n')
    # The words outside the f-strings, where Babel's extraction finds them.
    reason = note_field(gettext("Reason (required to fail)"), mine.get("form", {}), mine.get("errors", {}),
                        id=f"f-note-{number}")
    passed, failed = escape(gettext("Pass")), escape(gettext("Fail"))
    parts.append(
        f'  {reason}\n'
        f'  <div class="verdict">\n'
        f'    <button type="submit" name="result" value="pass" class="bigbtn bigbtn_ok">{icon("circle-check")} '
        f'{passed}</button>\n'
        f'    <button type="submit" name="result" value="fail" class="bigbtn bigbtn_fail">{icon("circle-x")} '
        f'{failed}</button>\n'
        f'  </div>\n</form>')
    return Markup("".join(parts))


STRIP_LENGTH = 6
"""The unit page shows a defect's first six photos, then "+n"."""


def photo_strip(defect_id: int, photos: list[Any]) -> Markup:
    """A defect's photos on the unit page (inspections/_photos.html's "list" view, drawn in Python: it was
    an include per defect, ~60 µs each): a small thumbnail each, a word for one still processing or
    failed; while any is processing the strip asks for itself again every 2 s."""
    number = int(defect_id)
    waiting = any(photo.status in ("pending", "processing") for photo in photos)
    poll = (f' hx-get="/inspections/defects/{number}/photos?view=list" hx-trigger="every 2s" hx-swap="outerHTML"'
            if waiting else "")
    failed, processing = escape(gettext("Photo failed")), escape(gettext("Processing"))
    thumbs = []
    for photo in photos[:STRIP_LENGTH]:
        if photo.status == "ready" and photo.urls.thumb:
            thumbs.append(f'<span class="thumb"><img src="{escape(photo.urls.thumb)}" alt="" loading="lazy"></span>')
        elif photo.status == "failed":
            thumbs.append(f'<span class="thumb thumb_failed" title="{escape(photo.failure_reason or "")}">{failed}</span>')
        else:
            thumbs.append(f'<span class="thumb thumb_waiting"><span>{processing}</span></span>')
    if len(photos) > STRIP_LENGTH:
        thumbs.append(f'<span class="thumb">+{len(photos) - STRIP_LENGTH}</span>')
    return Markup(f'<div id="photos-{number}-list" class="thumbs"{poll}\n     aria-live="polite">\n  '
                  + "\n  ".join(thumbs) + "\n</div>")


ROW_HELPERS = {"labels": LABELS, "defect_row": defect_row, "defect_rows": defect_rows, "due": due,
               "status_chip": status_chip, "recheck_card": recheck_card}
"""What a page that lists defects gets in its context (rectification_pages._base)."""
