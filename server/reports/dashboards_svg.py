"""Server-drawn SVG bar charts for the dashboards: no JavaScript, no library.

Horizontal bars, each row's label on its own line above its bars, so long
Chinese names need no truncation; the drawing scales to its box (viewBox,
width 100 %), so it reads on a 360 px phone and on a desk screen alike. The
numbers are always in the table beside the chart as well.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

WIDTH = 320
LABEL_LINE = 18
BAR = 14
GAP = 4
ROW_GAP = 10
VALUE_ROOM = 52
COLOURS = ("#06ae56", "#576b95", "#fa9d3b")
TEXT = "#1a1a1a"


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def bar_chart(title: str, rows: list[dict], series: list[tuple[str, str]], *, percent: bool = False,
              scale: Any = None, empty: str = "—") -> Markup:
    """An SVG of `rows` (each with "label" and the fields of `series`: [(field, name)]).
    Bars of a percentage run on a 0–100 scale, those of a `scale` (a score out of 5) on
    0 to it; others on 0 to the largest value."""
    values = [_number(r.get(field)) for r in rows for field, _name in series]
    top = Decimal(100) if percent else Decimal(scale) if scale else max(
        [v for v in values if v is not None] or [Decimal(0)])
    top = top or Decimal(1)
    span = WIDTH - VALUE_ROOM
    parts: list[str] = []
    y = 0
    if len(series) > 1:  # a legend: one swatch per series
        x = 0
        for i, (_field, name) in enumerate(series):
            parts.append(f'<rect x="{x}" y="{y + 3}" width="12" height="12" rx="2" fill="{COLOURS[i % 3]}"/>')
            parts.append(f'<text x="{x + 16}" y="{y + 13}" font-size="12" fill="{TEXT}">{escape(name)}</text>')
            x += 24 + 13 * len(str(name))
        y += LABEL_LINE + 4
    for row in rows:
        parts.append(f'<text x="0" y="{y + 13}" font-size="13" fill="{TEXT}">{escape(row["label"])}</text>')
        y += LABEL_LINE
        for i, (field, _name) in enumerate(series):
            value = _number(row.get(field))
            length = 0 if value is None else int(span * min(value, top) / top)
            shown = empty if value is None else f"{row.get(field)}{'%' if percent else ''}"
            parts.append(f'<rect x="0" y="{y}" width="{max(length, 1 if value else 0)}" height="{BAR}" rx="2" '
                         f'fill="{COLOURS[i % 3]}"/>')
            parts.append(f'<text x="{length + 4}" y="{y + BAR - 3}" font-size="12" fill="{TEXT}">'
                         f'{escape(shown)}</text>')
            y += BAR + GAP
        y += ROW_GAP
    height = max(y, LABEL_LINE)
    return Markup(f'<svg class="dash-chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
                  f'preserveAspectRatio="xMinYMin meet" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
