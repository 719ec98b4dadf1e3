"""API.md "Knowledge base (fixed part)": adding, searching Chinese without word breaks, versions, retiring,
and who may do what. The same assertions run on SQLite and on PostgreSQL (DATABASE_URL)."""
from __future__ import annotations

import json
from typing import Any

from server.audit.tables import AuditEntry
from server.knowledge.tables import KnowledgeEntry, KnowledgeToken, KnowledgeVersion
from tests.knowledge.support import add, add_all, found


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def test_cs_staff_adds_an_entry_and_reads_it_back(personas):
    carol = await personas.api("carol")
    r = await carol.post("/api/v1/knowledge", json={"question": " 卫生间漏水怎么办 ", "answer": "先关闭总阀。",
                                                    "category": "报修", "tags": "漏水，防水 保修"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("question", "answer", "category", "tags", "version", "retired")} == {
        "question": "卫生间漏水怎么办", "answer": "先关闭总阀。", "category": "报修", "tags": ["漏水", "防水", "保修"],
        "version": 1, "retired": False}
    assert [(v["version"], v["edited_by"], v["edited_by_id"]) for v in body["versions"]] == [
        (1, personas.user("carol").display_name or "carol", personas.user("carol").id)]
    r = await (await personas.api("ian")).get(f"/api/v1/knowledge/{body['id']}")
    assert r.status_code == 200 and r.json() == body
    audit = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "knowledge") & (AuditEntry.object_id == str(body["id"]))).run()
    assert audit == [{"action": "create"}]


async def test_two_characters_find_an_entry_inside_a_run_of_chinese(personas):
    carol = await personas.api("carol")
    await add_all(carol)
    assert await found(carol, "漏水") == ["卫生间漏水怎么办"]
    assert await found(carol, "钥匙") == ["交房时钥匙有几把"]
    assert await found(carol, "物业") == ["物业费从哪天开始收", "阳台地漏返水"]  # question before answer
    assert await found(carol, "地漏") == ["阳台地漏返水"]
    assert await found(carol, "防水") == ["阳台地漏返水", "卫生间漏水怎么办"]  # only in answers: newer first
    assert await found(carol, "存水弯") == ["阳台地漏返水"]  # matches only an answer
    # one character: both questions have it; 阳台地漏返水 has it in its answer (渗漏) too
    assert await found(carol, "漏") == ["阳台地漏返水", "卫生间漏水怎么办"]
    assert await found(carol, "电梯") == []
    # 水漏 is not 漏水: order counts
    assert await found(carol, "水漏") == []


async def test_the_best_match_comes_first(personas):
    carol = await personas.api("carol")
    await add_all(carol)
    await add(carol, "漏水", "见卫生间漏水条目。")
    await add(carol, "楼上漏水到我家怎么办", "联系物业协调楼上业主，先止水再维修。")
    # the whole phrase in the question first, then most bigrams matched, then question over answer
    assert await found(carol, "卫生间漏水") == ["卫生间漏水怎么办", "漏水"]
    r = await carol.get("/api/v1/knowledge", params={"q": "漏水怎么办"})
    body = r.json()
    assert [(i["question"], i["score"]) for i in body["items"]] == [
        ("卫生间漏水怎么办", [2, 4, 12]),
        ("楼上漏水到我家怎么办", [0, 3, 9]),
    ]
    assert body["total"] == 2


async def test_paging_and_total(personas):
    carol = await personas.api("carol")
    for n in range(5):
        await add(carol, f"第{n}号楼电梯故障", "联系物业。")
    r = await carol.get("/api/v1/knowledge", params={"q": "电梯", "limit": 2, "offset": 2})
    body = r.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [i["question"] for i in body["items"]] == ["第2号楼电梯故障", "第1号楼电梯故障"]
    body = (await carol.get("/api/v1/knowledge", params={"q": "电梯", "limit": 2, "offset": 10})).json()
    assert (body["items"], body["total"]) == ([], 5)


async def test_an_edit_is_a_new_version_and_the_index_follows(personas):
    carol, alice = await personas.api("carol"), await personas.api("alice")
    entry = await add(carol, "卫生间漏水怎么办", "先关闭总阀。")
    r = await alice.put(f"/api/v1/knowledge/{entry['id']}", json={
        "question": "厨房渗水怎么办", "answer": "先关闭总阀，再报修。", "version": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2
    assert [(v["version"], v["question"], v["edited_by_id"]) for v in body["versions"]] == [
        (2, "厨房渗水怎么办", personas.user("alice").id), (1, "卫生间漏水怎么办", personas.user("carol").id)]
    assert await found(carol, "漏水") == []
    assert await found(carol, "渗水") == ["厨房渗水怎么办"]
    # an editor who read version 1 is too late now
    r = await carol.put(f"/api/v1/knowledge/{entry['id']}", json={
        "question": "别的问题", "answer": "别的回答", "version": 1}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 409
    assert await KnowledgeVersion.count().where(KnowledgeVersion.entry == entry["id"]).run() == 2
    # nothing changed: no new version
    r = await carol.put(f"/api/v1/knowledge/{entry['id']}", json={
        "question": "厨房渗水怎么办", "answer": "先关闭总阀，再报修。", "version": 2})
    assert r.status_code == 200 and r.json()["version"] == 2
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.details).where(
        AuditEntry.object_type == "knowledge").order_by(AuditEntry.id).run()
    assert [(a["action"], _json(a["details"])) for a in audit] == [
        ("create", {"version": 1}), ("edit", {"version": 2, "changed": ["answer", "question"]})]


async def test_retired_entries_leave_search_and_come_back(personas):
    carol = await personas.api("carol")
    ids = await add_all(carol)
    r = await carol.post(f"/api/v1/knowledge/{ids[0]}/retire")
    assert r.status_code == 200 and r.json()["retired"] is True
    assert await found(carol, "漏水") == []
    assert (await carol.post(f"/api/v1/knowledge/{ids[0]}/retire")).status_code == 409
    r = await carol.get("/api/v1/knowledge", params={"retired": "true"})
    assert [i["id"] for i in r.json()["items"]] == [ids[0]]
    r = await carol.get("/api/v1/knowledge")
    assert [i["id"] for i in r.json()["items"]] == list(reversed(ids[1:]))
    assert (await carol.post(f"/api/v1/knowledge/{ids[0]}/unretire")).status_code == 200
    assert await found(carol, "漏水") == ["卫生间漏水怎么办"]
    assert (await carol.post(f"/api/v1/knowledge/{ids[0]}/unretire")).status_code == 409
    audit = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "knowledge") & (AuditEntry.object_id == str(ids[0]))).order_by(AuditEntry.id).run()
    assert [a["action"] for a in audit] == ["create", "retire", "unretire"]


async def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(personas):
    carol = await personas.api("carol")
    r = await carol.post("/api/v1/knowledge", json={"question": "  ", "answer": ""},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400
    assert r.json()["errors"] == {"question": "请填写问题。", "answer": "请填写答复。"}
    r = await carol.post("/api/v1/knowledge", json={"question": "问" * 501, "answer": "答"},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json()["errors"] == {"question": "最多 500 个字。"}
    assert await KnowledgeEntry.count().run() == 0
    assert await KnowledgeToken.count().run() == 0


async def test_who_may_read_and_write(personas):
    from tests.dataset import OWNER  # noqa: F401  (the owner persona comes from the delivery helpers)
    from tests.delivery.support import owner_api, ready_batch

    carol = await personas.api("carol")
    entry = await add(carol, "卫生间漏水怎么办", "先关闭总阀。")
    await ready_batch(personas)
    owner = await owner_api(personas, OWNER)
    for name in ("ian", "sam", "paul", "alice"):
        client = await personas.api(name)
        assert (await client.get("/api/v1/knowledge", params={"q": "漏水"})).status_code == 200, name
        assert (await client.get(f"/api/v1/knowledge/{entry['id']}")).status_code == 200, name
    for name in ("ian", "sam", "paul", "bob"):
        client = await personas.api(name)
        assert (await client.post("/api/v1/knowledge", json={"question": "问", "answer": "答"})).status_code == 403
        assert (await client.put(f"/api/v1/knowledge/{entry['id']}", json={
            "question": "问", "answer": "答"})).status_code == 403
        assert (await client.post(f"/api/v1/knowledge/{entry['id']}/retire")).status_code == 403
    for client in (await personas.api("bob"), owner):
        assert (await client.get("/api/v1/knowledge", params={"q": "漏水"})).status_code == 403
        assert (await client.get(f"/api/v1/knowledge/{entry['id']}")).status_code == 403
    assert (await carol.get("/api/v1/knowledge/999999")).status_code == 404
    assert (await carol.post("/api/v1/knowledge/999999/retire")).status_code == 404
    assert await KnowledgeEntry.count().run() == 1


async def test_the_longest_answer_is_indexed_whole(personas):
    """10,000 different characters make 19,999 tokens: more parameters than PostgreSQL takes in one statement."""
    carol = await personas.api("carol")
    answer = "".join(chr(0x4E00 + i) for i in range(10000))
    entry = await add(carol, "很长的答复", answer)
    assert await KnowledgeToken.count().where(KnowledgeToken.entry == entry["id"]).run() == 2 * 10000 - 1 + 9
    assert await found(carol, answer[-2:]) == ["很长的答复"]
