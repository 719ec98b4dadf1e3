"""A building's units as tiles, floor by floor (the admin's building page), drawn in Python.

The building page lists up to 60 units. In Jinja each tile cost ~20 µs (its status looked up, four
values escaped, the aria label put together): 1 ms, the half of the page's render and more than the
whole of the bare page it is measured against (bench/results/serving.md). Built here with `html_text`
it costs a few µs and the HTML is the same but whitespace.
"""
from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import Any

from markupsafe import Markup

from server.i18n import _, current_locale
from server.i18n import lazy_gettext as _l
from server.org.tables import UnitStatus
from server.web.snippets import chip, html_text

# (label, chip colour) per unit status: a colour and a word, never colour alone.
UNIT_STATUS = {
    UnitStatus.NOT_INSPECTED: (_l("Not inspected"), "grey"),
    UnitStatus.INSPECTING: (_l("Inspecting"), "blue"),
    UnitStatus.RECTIFYING: (_l("Rectifying"), "orange"),
    UnitStatus.PASSED: (_l("Passed"), "green"),
}


def floor_label(floor: int) -> str:
    """"B2" for the second basement floor, "12F" above ground (the words of the request's language)."""
    return _("B%(n)s", n=-floor) if floor < 0 else _("%(n)sF", n=floor)


_status_words_by_locale: dict[str, dict[str, tuple[str, str]]] = {}


def _status_words(sep: str) -> dict[str, tuple[str, str]]:
    """{status: (", label" as HTML text, its chip)} in the request's language, built once a language
    (four chips were an eighth of this function's time)."""
    locale = current_locale.get()
    words = _status_words_by_locale.get(locale)
    if words is None:
        words = _status_words_by_locale[locale] = {
            key: (sep + html_text(label), str(chip(str(label), colour))) for key, (label, colour) in UNIT_STATUS.items()}
    return words


def floors_of_tiles(units: list[dict[str, Any]], unit_type_names: dict[int, str]) -> Markup:
    """`units` (rows of selectors.TILE_COLUMNS, in floor order) as a row of tiles per floor, each linking
    to the unit's edit form, with its status chip; its aria label says the number, the status and the
    unit type. Read as dicts: a Row's attribute (`unit.number`) costs a failed lookup first, and 300 of
    them were half of this function's time. Each word is escaped once, not once a tile."""
    sep = html_text(_(", "))
    below, above = _("B%(n)s"), _("%(n)sF")  # floor_label's words, translated once, not once a floor
    shown = _status_words(sep)
    type_names = {key: sep + html_text(name) for key, name in unit_type_names.items()}
    parts = []
    for floor, rows in groupby(units, key=itemgetter("floor")):
        label = below % {"n": -floor} if floor < 0 else above % {"n": floor}
        parts.append(f'<div class="floor">\n  <div class="floor__label num">{html_text(label)}</div>\n'
                     f'  <div class="floor__units">\n')
        for unit in rows:
            status, unit_type, number = shown.get(unit["status"]), unit["unit_type"], html_text(unit["number"])
            aria = number + (status[0] if status else "") + (type_names.get(unit_type, sep) if unit_type else "")
            parts.append(f'    <a class="unit-tile" href="/admin/units/{int(unit["id"])}/edit" aria-label="{aria}">\n'
                         f'      <span class="unit-tile__number num">{number}</span>\n'
                         f'      {status[1] if status else ""}\n    </a>\n')
        parts.append('  </div>\n</div>\n')
    return Markup("".join(parts))
