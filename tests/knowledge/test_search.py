"""The tokenizer behind knowledge search (server/knowledge/search.py)."""
from __future__ import annotations

from server.knowledge import search


def test_chinese_runs_are_indexed_by_characters_and_bigrams():
    assert search.index_tokens("漏水了") == {"漏", "水", "了", "漏水", "水了"}
    assert search.query_tokens("卫生间漏水") == ["卫生", "生间", "间漏", "漏水"]
    assert search.query_tokens("漏") == ["漏"]


def test_ascii_glued_to_chinese_is_split_and_full_width_is_normalized():
    assert search.query_tokens("重跑gen") == ["重跑", "gen"]
    assert search.query_tokens("ＷｉＦｉ密码，１２３") == ["wifi", "密码", "123"]
    assert search.index_tokens("A栋") == {"a", "栋"}
    assert search.query_tokens("  ，。！  ") == []


def test_like_pattern_escapes_wildcards():
    assert search.like_pattern("100%_漏水") == "%100\\%\\_漏水%"
    assert search.minimum_match(1) == 1 and search.minimum_match(2) == 2 and search.minimum_match(5) == 3
