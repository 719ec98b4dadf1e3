"""Reading the knowledge base: the ranked search (search.py says how it ranks),
the plain list, an entry's API shape and its versions."""
from __future__ import annotations

from typing import Any

from server.knowledge import search
from server.knowledge.tables import KnowledgeEntry, KnowledgeVersion
from server.pagination import Page

_FIELDS = "e.id, e.question, e.answer, e.category, e.tags, e.version, e.retired, e.created_at, e.updated_at"


def _ranked_sql(count: int) -> tuple[str, str]:
    """(ranked rows, count) SQL for `count` query tokens; parameters: pattern, pattern, tokens…, minimum."""
    marks = ", ".join(["{}"] * count)
    core = (
        "FROM knowledge_token t JOIN knowledge_entry e ON e.id = t.entry "
        f"WHERE t.token IN ({marks}) AND e.retired = {{}} "
        "GROUP BY e.id, e.question, e.answer, e.category, e.tags, e.version, e.retired, e.created_at, e.updated_at, "
        "e.question_key, e.answer_key "
        "HAVING COUNT(DISTINCT t.token) >= {}")
    phrase = ("CASE WHEN e.question_key LIKE {} ESCAPE '\\' THEN 2 "
              "WHEN e.answer_key LIKE {} ESCAPE '\\' THEN 1 ELSE 0 END")
    rows = (f"SELECT {_FIELDS}, {phrase} AS phrase, COUNT(DISTINCT t.token) AS matched, "
            f"SUM(CASE WHEN t.field = 'q' THEN 3 ELSE 1 END) AS weight {core} "
            "ORDER BY phrase DESC, matched DESC, weight DESC, e.id DESC LIMIT {} OFFSET {}")
    total = f"SELECT COUNT(*) AS n FROM (SELECT e.id {core}) AS m"
    return rows, total


async def search_entries(q: str, page: Page) -> dict[str, Any]:
    """Active entries matching `q`, best first: {"items", "total", "limit", "offset"} (items are API shapes
    with `score`: [phrase, matched, weight])."""
    tokens = search.query_tokens(q)
    if not tokens:
        return {"items": [], "total": 0, "limit": page.limit, "offset": page.offset}
    rows_sql, total_sql = _ranked_sql(len(tokens))
    pattern = search.like_pattern(q)
    minimum = search.minimum_match(len(tokens))
    rows = await KnowledgeEntry.raw(rows_sql, pattern, pattern, *tokens, False, minimum, page.limit,
                                    page.offset).run()
    total = await KnowledgeEntry.raw(total_sql, *tokens, False, minimum).run()
    items = [{**entry_out(row), "score": [int(row["phrase"]), int(row["matched"]), int(row["weight"])]}
             for row in rows]
    return {"items": items, "total": int(total[0]["n"]), "limit": page.limit, "offset": page.offset}


async def list_entries(page: Page, *, retired: bool = False) -> dict[str, Any]:
    """Entries newest first (active ones, or only the retired)."""
    condition = KnowledgeEntry.retired == retired
    rows = await KnowledgeEntry.select().where(condition).order_by(KnowledgeEntry.id, ascending=False).limit(
        page.limit).offset(page.offset).run()
    total = await KnowledgeEntry.count().where(condition).run()
    return {"items": [entry_out(row) for row in rows], "total": total, "limit": page.limit, "offset": page.offset}


def entry_out(row: dict | KnowledgeEntry) -> dict[str, Any]:
    data = row if isinstance(row, dict) else row.to_dict()
    return {"id": data["id"], "question": data["question"], "answer": data["answer"], "category": data["category"],
            "tags": data["tags"].split() if data["tags"] else [], "version": data["version"],
            "retired": bool(data["retired"]), "created_at": _iso(data["created_at"]),
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
