"""The knowledge-base pages: search as you type (the htmx fragment), marks on the matches, an entry with its
version history, the add and edit forms (a Chinese message, what was typed kept, nothing stored), retiring."""
from __future__ import annotations

import re

from server.knowledge.tables import KnowledgeEntry, KnowledgeVersion
from tests.knowledge.support import add, add_all


def ids_listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-entry="(\d+)"', html)]


async def test_search_as_you_type_answers_a_fragment_best_first_with_marks(personas):
    carol = await personas.api("carol")
    ids = await add_all(carol)
    ian = await personas.browser("ian")
    page = await ian.get("/knowledge")
    assert page.status_code == 200
    assert 'hx-trigger="input[!isComposing] changed delay:300ms, compositionend delay:300ms, search"' in page.text
    assert ids_listed(page.text) == list(reversed(ids))
    assert 'href="/knowledge/new"' not in page.text  # an inspector reads, does not write
    r = await ian.get("/knowledge", params={"q": "物业"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="knowledge-results"') and "<html" not in r.text
    assert ids_listed(r.text) == [ids[2], ids[3]]
    assert "<mark>物业</mark>费从哪天开始收" in r.text
    assert "找到 2 条" in r.text
    r = await ian.get("/knowledge", params={"q": "电梯"}, headers={"HX-Request": "true"})
    assert ids_listed(r.text) == [] and "知识库里没有找到相关内容。" in r.text


async def test_highlight_escapes_what_it_marks(personas):
    carol = await personas.api("carol")
    await add(carol, "<b>漏水</b>怎么办", "关阀")
    r = await (await personas.browser("carol")).get("/knowledge", params={"q": "漏水"})
    assert "&lt;b&gt;<mark>漏水</mark>&lt;/b&gt;怎么办" in r.text


async def test_add_edit_and_retire_through_the_forms(personas):
    carol = await personas.browser("carol")
    page = await carol.get("/knowledge/new")
    assert page.status_code == 200
    r = await carol.post("/knowledge/new", data={"question": "卫生间漏水怎么办", "answer": "  ", "category": "报修",
                                                 "tags": "漏水 防水"})
    assert r.status_code == 400
    assert "请填写答复。" in r.text and ">卫生间漏水怎么办</textarea>" in r.text and 'value="漏水 防水"' in r.text
    assert await KnowledgeEntry.count().run() == 0
    r = await carol.post("/knowledge/new", data={"question": "卫生间漏水怎么办", "answer": "先关闭总阀。",
                                                 "category": "报修", "tags": "漏水 防水"}, follow_redirects=False)
    assert r.status_code == 303
    entry = await KnowledgeEntry.objects().first().run()
    assert r.headers["location"] == f"/knowledge/{entry.id}"
    edit = await carol.get(f"/knowledge/{entry.id}/edit")
    assert 'name="version" value="1"' in edit.text and ">先关闭总阀。</textarea>" in edit.text
    r = await carol.post(f"/knowledge/{entry.id}/edit", data={
        "question": "卫生间漏水怎么办", "answer": "先关闭总阀，再报修。", "category": "报修", "tags": "漏水",
        "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    # a second editor who read version 1 is told, and keeps what they typed
    r = await carol.post(f"/knowledge/{entry.id}/edit", data={
        "question": "卫生间漏水怎么办", "answer": "我的修改", "category": "报修", "version": "1"})
    assert r.status_code == 409
    assert "其他人刚刚修改了这个条目，请刷新后重新编辑。" in r.text and ">我的修改</textarea>" in r.text
    detail = await carol.get(f"/knowledge/{entry.id}")
    versions = [int(v) for v in re.findall(r'data-version="(\d+)"', detail.text)]
    assert versions == [2, 1]
    assert "先关闭总阀，再报修。" in detail.text and "第 2 版" in detail.text
    assert await KnowledgeVersion.count().run() == 2
    r = await carol.post(f"/knowledge/{entry.id}/retire", follow_redirects=False)
    assert r.status_code == 303
    assert (await KnowledgeEntry.objects().first().run()).retired is True
    r = await carol.post(f"/knowledge/{entry.id}/retire")
    assert r.status_code == 409 and "这个条目已经停用。" in r.text
    listed = await carol.get("/knowledge", params={"retired": "1"})
    assert ids_listed(listed.text) == [entry.id]
    assert ids_listed((await carol.get("/knowledge", params={"q": "漏水"})).text) == []


async def test_who_may_open_the_pages(personas):
    carol = await personas.api("carol")
    entry = await add(carol, "卫生间漏水怎么办", "先关闭总阀。")
    for name in ("ian", "sam"):
        browser = await personas.browser(name)
        assert (await browser.get(f"/knowledge/{entry['id']}")).status_code == 200
        assert (await browser.get(f"/knowledge/{entry['id']}/edit")).status_code == 403
        assert (await browser.post(f"/knowledge/{entry['id']}/retire")).status_code == 403
        assert (await browser.get("/knowledge/new")).status_code == 403
    bob = await personas.browser("bob")
    assert (await bob.get("/knowledge")).status_code == 403
    assert (await bob.get(f"/knowledge/{entry['id']}")).status_code == 403
    assert (await (await personas.browser("carol")).get("/knowledge/999999")).status_code == 404
    assert (await KnowledgeEntry.objects().first().run()).retired is False
