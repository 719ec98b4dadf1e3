"""Every string a user can see has a Chinese translation: untranslated text fails the build.

Extraction runs in-process with babel.cfg, exactly what `make messages` runs,
so a new _("...") anywhere in server/ or templates/ must be added to the
catalogs (make messages) and translated in zh_CN before the suite passes.
"""
from __future__ import annotations

import os
import re
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


# Chinese text uses full-width punctuation: ASCII : , ; ? ! next to Chinese
# reads as a machine's. Placeholders, times (12:30) and web addresses keep theirs.
CJK = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef"
NEUTRAL = re.compile(r"%\([a-z_]+\)[sdfr]|%[sd]|\{[a-z_]*\}|https?://\S*|\d{1,2}:\d{2}")
ASCII_BETWEEN_CJK = re.compile(rf"[{CJK}]\s*[:,;?!]|[:,;?!]\s*[{CJK}]")


def test_chinese_strings_use_full_width_punctuation():
    wrong = []
    for message in _catalog("zh_CN"):
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in strings:
            if text and re.search(f"[{CJK}]", text) and ASCII_BETWEEN_CJK.search(NEUTRAL.sub("X", text)):
                wrong.append(text)
    assert wrong == [], f"use ：，；？！ in Chinese: {wrong}"


def test_the_rule_catches_ascii_punctuation_but_not_times_urls_or_placeholders():
    def flagged(text):
        return bool(ASCII_BETWEEN_CJK.search(NEUTRAL.sub("X", text)))
    assert flagged("业主: 刘业主") and flagged("已保存,请返回") and flagged("确定?") and flagged("完成!")
    assert not flagged("时段 09:00 至 12:30") and not flagged("请输入以 http://a.cn/x 开头的网址。")
    assert not flagged("%(a)s:%(b)s 已选择") and not flagged("业主：刘业主")


def test_templates_do_not_glue_ascii_punctuation_to_translated_text():
    """`{{ _("Owner") }}: name` shows "业主: name"; the colon (or the list's comma) belongs in the message."""
    glued = re.compile(r"""_\((?:"[^"]*"|'[^']*')[^)]*\)\s*\}\}[:,;?!]|%\}[:,;] """)
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in sorted((ROOT / "templates").rglob("*.html"))
             for m in glued.finditer(re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S))]
    assert found == []


def test_words_that_read_wrong_to_a_clerk_are_gone():
    catalog = {_key(m): m.string for m in _catalog("zh_CN") if m.id}
    shown = " ".join(s if isinstance(s, str) else " ".join(s) for s in catalog.values())
    assert "Webhook" not in shown and "(demo)" not in shown
    assert catalog["Delivery date"] == "交付日期"
    batch_detail = (ROOT / "templates" / "delivery" / "batch_detail.html").read_text(encoding="utf-8")
    assert 'field("day", _("Delivery date")' in batch_detail  # the slot form's day is a delivery date, not 验房日期
