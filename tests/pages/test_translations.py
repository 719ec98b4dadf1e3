"""Every string a user can see has a Chinese translation: untranslated text fails the build.

Extraction runs in-process with babel.cfg, exactly what `make messages` runs,
so a new _("...") anywhere in server/ or templates/ must be added to the
catalogs (make messages) and translated in zh_CN before the suite passes.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "server" / "translations"
SKIP_DIRS = {"node_modules", "static", "var", "tests", "bench"}


@pytest.fixture(autouse=True)
def clean_db():
    """These tests read files only: no database or Redis (overrides conftest's fixture)."""
    yield


def _extracted_ids() -> set:
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)

    def directory_filter(path: str) -> bool:
        name = os.path.basename(path)
        return not (name.startswith((".", "_")) or name in SKIP_DIRS)

    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, directory_filter=directory_filter
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_extracted_string_has_a_chinese_translation():
    extracted = _extracted_ids()
    assert len(extracted) > 100  # the extraction really ran over server/ and templates/
    catalog = _catalog("zh_CN")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        translated[_key(message)] = bool(strings) and all(s.strip() for s in strings) and not message.fuzzy
    missing = sorted(extracted - translated.keys())
    untranslated = sorted(k for k in extracted & translated.keys() if not translated[k])
    assert not missing, f"not in zh_CN/messages.po (run `make messages`, then translate): {missing}"
    assert not untranslated, f"empty or fuzzy in zh_CN/messages.po: {untranslated}"


def test_translations_keep_their_placeholders():
    for locale in ("zh_CN", "en"):
        problems = [(message.id, [str(e) for e in errors]) for message, errors in _catalog(locale).check()]
        assert not problems, f"{locale}: {problems}"


def test_the_english_catalog_covers_the_same_strings():
    zh = {_key(m) for m in _catalog("zh_CN") if m.id}
    en = {_key(m) for m in _catalog("en") if m.id}
    assert zh == en, f"run `make messages`: only in zh_CN {sorted(zh - en)}, only in en {sorted(en - zh)}"
