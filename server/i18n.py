"""Translation: Babel catalogs under server/translations, zh-CN by default.

Message ids are English; `zh_CN` holds the Chinese text and `en` is the
identity catalog. The `.po` files are compiled in memory at first use, so
there is no build step to forget and no stale `.mo` to ship.

The language of the current request lives in a context variable set by
`server.web.locale.LocaleMiddleware`; templates and services both read it.
"""
from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with open(po_path, "rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as gettext does
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **params: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level labels: translated when shown, in that moment's language."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def join_list(items: Iterable[str]) -> str:
    """A list inside a sentence: "101、102" in Chinese, "101, 102" in English."""
    return gettext(", ").join(items)


def pick_locale(cookie_value: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The user's explicit choice wins; then the browser's first choice among ours."""
    if cookie_value in LOCALES:
        return cookie_value
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
        if tag and tag != "*":
            continue
    return default
