"""Small pieces of HTML every page draws, in Python: a static file's URL, an icon, a status chip, and
text made safe for HTML.

Templates get them as globals (server/web/templating.py); Python that draws a list's rows uses
them directly (server/web/widgets.py, server/inspections/pages_defect_rows.py).
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from server.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"

_NEEDS_ESCAPING = re.compile(r"[&<>'\"]")


def html_text(value: Any) -> str:
    """`value` as HTML text, as markupsafe's `escape` gives it (Markup as it is, anything else with
    & < > ' " escaped), but a plain str, for HTML put together in Python. Most words and numbers
    have nothing to escape, and `escape` makes a Markup object every time: on the building page,
    its eleven selects' and fifty tiles' calls were a twentieth of the page."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    text = str(value)
    return str(escape(text)) if _NEEDS_ESCAPING.search(text) else text


@lru_cache(maxsize=None)
def _static_version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """A cache-busting URL for a file under static/."""
    return f"/static/{path}?v={_static_version(path)}"


@lru_cache(maxsize=1024)
def icon(name: str, cls: str = "") -> Markup:
    """A Lucide icon drawn by CSS (app.css `.icon`), coloured by the text around it.

    A Python function, not a Jinja macro: a page shows a few dozen icons, and a macro
    call costs Jinja a new frame and context each time; the result is the same for the
    same arguments, so it is remembered."""
    return Markup('<span class="icon {}" style="--icon: url(\'{}\')" aria-hidden="true"></span>').format(
        cls, static_url(f"vendor/lucide/{name}.svg"))


def chip(text: str, colour: str = "grey") -> Markup:
    """A status chip: a colour and a word (escaped, unless it is already markup).

    A Python function for the reason `icon` is one: a list shows several per row (`escape`, not
    Markup.format, whose string.Formatter cost 60 µs a chip on a 100-defect page)."""
    return Markup(f'<span class="chip chip_{escape(colour)}">{escape(text)}</span>')
