"""Reading the knowledge base: the ranked search (search.py says how it ranks),
the plain list, an entry's API shape and its versions."""
from __future__ import annotations

from typing import Any

from server.knowledge import search
from server.knowledge.tables import KnowledgeEntry, KnowledgeVersion
from server.pagination import Page

_FIELDS = ("e.id, e.question, e.answer, e.category, e.tags, e.version, e.retired, e.published, e.project, "
           "e.created_at, e.updated_at")
_PUBLIC = " AND e.published = {} AND (e.project IS NULL OR e.project = {})"


def _ranked_sql(count: int, public: bool = False) -> tuple[str, str]:
    """(ranked rows, count) SQL for `count` query tokens; parameters: tokens…, minimum, then for the rows
    pattern, pattern, active, [True, project,] limit, offset (for the count: active [, True, project]). The
    tokens are grouped by entry first, through the covering index (token, entry, field), and only the entries
    that match enough are joined. `public`: only the entries published for a project."""
    marks = ", ".join(["{}"] * count)
    matches = ("WITH m AS (SELECT t.entry AS id, COUNT(DISTINCT t.token) AS matched, "
               "SUM(CASE WHEN t.field = 'q' THEN 3 ELSE 1 END) AS weight FROM knowledge_token t "
               f"WHERE t.token IN ({marks}) GROUP BY t.entry HAVING COUNT(DISTINCT t.token) >= {{}}) ")
    phrase = ("CASE WHEN e.question_key LIKE {} ESCAPE '\\' THEN 2 "
              "WHEN e.answer_key LIKE {} ESCAPE '\\' THEN 1 ELSE 0 END")
    # Rank on ids and numbers only; the page's entries are joined for their text afterwards.
    rows = (f"{matches}, r AS (SELECT e.id, {phrase} AS phrase, m.matched, m.weight, COUNT(*) OVER () AS total "
            "FROM m JOIN knowledge_entry e ON e.id = m.id WHERE e.retired = {}" + (_PUBLIC if public else "") + " "
            "ORDER BY phrase DESC, m.matched DESC, m.weight DESC, e.id DESC LIMIT {} OFFSET {}) "
            f"SELECT {_FIELDS}, r.phrase, r.matched, r.weight, r.total FROM r JOIN knowledge_entry e ON e.id = r.id "
            "ORDER BY r.phrase DESC, r.matched DESC, r.weight DESC, e.id DESC")
    total = (f"{matches}SELECT COUNT(*) AS n FROM m JOIN knowledge_entry e ON e.id = m.id WHERE e.retired = {{}}"
             + (_PUBLIC if public else ""))
    return rows, total


async def search_entries(q: str, page: Page, *, published_for: int | None = None) -> dict[str, Any]:
    """Active entries matching `q`, best first: {"items", "total", "limit", "offset"} (items are API shapes
    with `score`: [phrase, matched, weight]). `published_for`: only the answers published on that project's
    public page (its own and those of every project)."""
    tokens = search.query_tokens(q)
    if not tokens:
        return {"items": [], "total": 0, "limit": page.limit, "offset": page.offset}
    public = published_for is not None
    scope = [True, published_for] if public else []
    rows_sql, total_sql = _ranked_sql(len(tokens), public)
    pattern = search.like_pattern(q)
    minimum = search.minimum_match(len(tokens))
    rows = await KnowledgeEntry.raw(rows_sql, *tokens, minimum, pattern, pattern, False, *scope, page.limit,
                                    page.offset).run()
    if rows:  # the window count came with the page
        total = int(rows[0]["total"])
    else:  # past the last page (or nothing): count alone
        total = int((await KnowledgeEntry.raw(total_sql, *tokens, minimum, False, *scope).run())[0]["n"])
    items = [{**entry_out(row), "score": [int(row["phrase"]), int(row["matched"]), int(row["weight"])]}
             for row in rows]
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


async def list_entries(page: Page, *, retired: bool = False, published_for: int | None = None) -> dict[str, Any]:
    """Entries newest first (active ones, or only the retired; or those published for a project)."""
    condition = KnowledgeEntry.retired == retired
    if published_for is not None:
        condition &= (KnowledgeEntry.published == True) & (  # noqa: E712
            KnowledgeEntry.project.is_null() | (KnowledgeEntry.project == published_for))
    rows = await KnowledgeEntry.select().where(condition).order_by(KnowledgeEntry.id, ascending=False).limit(
        page.limit).offset(page.offset).run()
    total = await KnowledgeEntry.count().where(condition).run()
    return {"items": [entry_out(row) for row in rows], "total": total, "limit": page.limit, "offset": page.offset}


def entry_out(row: dict | KnowledgeEntry) -> dict[str, Any]:
    data = row if isinstance(row, dict) else row.to_dict()
    return {"id": data["id"], "question": data["question"], "answer": data["answer"], "category": data["category"],
            "tags": data["tags"].split() if data["tags"] else [], "version": data["version"],
            "retired": bool(data["retired"]), "published": bool(data.get("published")),
            "project_id": data.get("project"), "created_at": _iso(data["created_at"]),
            "updated_at": _iso(data["updated_at"])}


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


async def versions(entry_id: int) -> list[dict[str, Any]]:
    """Every version of an entry, newest first, with who wrote it and when."""
    rows = await KnowledgeVersion.select().where(KnowledgeVersion.entry == entry_id).order_by(
        KnowledgeVersion.version, ascending=False).run()
    return [{"version": r["version"], "question": r["question"], "answer": r["answer"], "category": r["category"],
             "tags": r["tags"].split() if r["tags"] else [], "edited_by_id": r["edited_by"],
             "edited_by": r["edited_by_name"], "edited_at": r["edited_at"].isoformat()} for r in rows]
