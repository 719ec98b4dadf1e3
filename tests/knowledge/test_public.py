"""The public page of published answers of a project (no sign-in): only what CS published, for this project or
every project, never retired; two-character Chinese queries, matches marked; publishing from an entry's page,
who may, bad input; the entry page shows its source inquiries and the inquiries answered with it."""
from __future__ import annotations

import re

from server.knowledge import services
from server.knowledge.tables import KnowledgeEntry
from server.org.services import project_create
from tests.knowledge.support import ENTRIES
from tests.support import csrf, make_client


def shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-public-entry="(\d+)"', html)]


async def _entries(personas) -> list[KnowledgeEntry]:
    carol = personas.user("carol")
    return [await services.entry_create(actor=carol, fields={"question": q, "answer": a, "category": c})
            for q, a, c in ENTRIES]


async def test_only_published_answers_show_and_a_two_character_query_finds_them(personas, app):
    carol = personas.user("carol")
    sunny = await project_create(actor=None, name="阳光花园")
    river = await project_create(actor=None, name="星河湾")
    leak, keys, fee, drain, parking = await _entries(personas)
    await services.entry_publish(actor=carol, entry=leak, published=True, project_id=sunny.id)
    await services.entry_publish(actor=carol, entry=drain, published=True, project_id=river.id)
    await services.entry_publish(actor=carol, entry=fee, published=True)  # every project's
    await services.entry_publish(actor=carol, entry=parking, published=True, project_id=sunny.id)
    await services.entry_retire(actor=carol, entry=parking, retired=True)
    async with make_client(app) as anyone:  # not signed in
        r = await anyone.get(f"/p/{sunny.id}/answers")
        assert r.status_code == 200 and shown(r.text) == [fee.id, leak.id]
        r = await anyone.get(f"/p/{sunny.id}/answers", params={"q": "漏水"})
        assert r.status_code == 200 and shown(r.text) == [leak.id]
        assert "<mark>漏水</mark>" in r.text
        # found by its answer too; the other project's published answer is not on this page
        r = await anyone.get(f"/p/{sunny.id}/answers", params={"q": "物业"})
        assert shown(r.text) == [fee.id]
        r = await anyone.get(f"/p/{river.id}/answers", params={"q": "物业"})
        assert sorted(shown(r.text)) == sorted([drain.id, fee.id])
        r = await anyone.get(f"/p/{sunny.id}/answers", params={"q": "钥匙"})
        assert shown(r.text) == [] and "没有找到相关问答" in r.text
        assert (await anyone.get("/p/999999/answers")).status_code == 404


async def test_cs_publish_from_the_entry_page_and_others_may_not(personas):
    sunny = await project_create(actor=None, name="阳光花园")
    leak, *_ = await _entries(personas)
    carol = await personas.browser("carol")
    await csrf(carol)
    r = await carol.post(f"/knowledge/{leak.id}/publish", data={"project_id": "999999"},
                         headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and "没有这个项目。" in r.text
    assert (await KnowledgeEntry.objects().get(KnowledgeEntry.id == leak.id).run()).published is False
    r = await carol.post(f"/knowledge/{leak.id}/publish", data={"project_id": str(sunny.id)}, follow_redirects=False)
    assert r.status_code == 303
    row = await KnowledgeEntry.objects().get(KnowledgeEntry.id == leak.id).run()
    assert (row.published, row.project) == (True, sunny.id)
    assert (await carol.post(f"/knowledge/{leak.id}/publish", data={})).status_code == 409
    r = await carol.get(f"/knowledge/{leak.id}")
    assert "data-published" in r.text
    ian = await personas.browser("ian")
    await csrf(ian)
    assert (await ian.post(f"/knowledge/{leak.id}/unpublish")).status_code == 403
    assert (await carol.post("/knowledge/999999/unpublish")).status_code == 404
    assert (await carol.post(f"/knowledge/{leak.id}/unpublish", follow_redirects=False)).status_code == 303
    assert (await carol.post(f"/knowledge/{leak.id}/unpublish")).status_code == 409
    assert (await KnowledgeEntry.objects().get(KnowledgeEntry.id == leak.id).run()).published is False


async def test_the_entry_page_shows_the_inquiries_answered_with_it(personas):
    leak, *_ = await _entries(personas)
    api = await personas.api("carol")
    r = await api.post("/api/v1/inquiries", json={"asker_name": "王先生", "asker_phone": "13900000001",
                                                  "channel": "phone", "question": "厨房漏水", "knowledge_entry_id": leak.id})
    assert r.status_code == 201
    carol = await personas.browser("carol")
    page = (await carol.get(f"/knowledge/{leak.id}")).text
    assert f'data-answered-inquiry="{r.json()["id"]}"' in page
