"""Chinese search without a segmenter or a database extension, the same on
SQLite and PostgreSQL (see ../shared/notes/chinese-search.md for why not FTS5
trigram, unicode61 or pg_trgm).

Text is normalized (NFKC, lower case) and split into runs of Chinese
characters and runs of letters and digits. A Chinese run is indexed as each of
its characters and each overlapping pair (bigram): most Chinese words are two
characters, so a two-character query is one bigram lookup. A run of letters or
digits is one token. The tokens live in an ordinary table (`KnowledgeToken`),
so the ranking query (selectors.search) is plain SQL that both databases
answer alike:

1. the whole query found as written in the question, then in the answer;
2. more distinct query tokens matched;
3. more of them in the question (weight 3) than in the answer (weight 1);
4. newer entries first.

An entry must match at least half of a query's tokens (all of them for one or
two tokens). A query's Chinese run of two or more characters is looked up by
its bigrams only, one character by the character.
"""
from __future__ import annotations

import re
import unicodedata

MAX_TOKEN = 40
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def _runs(text: str) -> list[str]:
    return _RUN.findall(normalize(text))


def _is_cjk(run: str) -> bool:
    return bool(re.match(f"[{_CJK}]", run))


def index_tokens(text: str) -> set[str]:
    """The tokens under which a text is found."""
    tokens: set[str] = set()
    for run in _runs(text):
        if _is_cjk(run):
            tokens.update(run)
            tokens.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            tokens.add(run[:MAX_TOKEN])
    return tokens


def query_tokens(text: str) -> list[str]:
    """The tokens a query looks up, in order, without repeats."""
    tokens: list[str] = []
    for run in _runs(text):
        if _is_cjk(run):
            found = [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            found = [run[:MAX_TOKEN]]
        tokens.extend(t for t in found if t not in tokens)
    return tokens


def minimum_match(count: int) -> int:
    return count if count <= 2 else (count + 1) // 2


def like_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') finding the normalized query anywhere."""
    escaped = normalize(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
