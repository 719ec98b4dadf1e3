"""The JSON API of monthly inquiry summaries: a project's summaries and one summary, with the figures the page
shows (the hand-counted month of summary_support.py); editing (400 in Chinese and nothing stored, 409 on a stale
version) and publishing; who may (403) and what does not exist (404); the OpenAPI schema. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

from server.inquiries import summary
from server.inquiries.summary_tables import InquirySummary, KnowledgeSource
from server.knowledge.tables import KnowledgeEntry
from tests.inquiries.summary_support import HAND_COUNTED, NOVEMBER, hand_counted, november

ZH = {"Accept-Language": "zh-CN"}


async def test_a_projects_summaries_with_the_pages_figures(personas):
    data = await hand_counted(personas)
    november_ = await summary.summary_make(data["project"], NOVEMBER)
    october = await summary.summary_make(data["project"], dt.date(2026, 10, 1))
    await summary.summary_make(data["other"], NOVEMBER)
    carol = await personas.api("carol")
    r = await carol.get(f"/api/v1/projects/{data['project']}/inquiry-summaries")
    assert r.status_code == 200
    listed = r.json()
    assert ([s["id"] for s in listed["items"]], listed["total"]) == ([november_.id, october.id], 2)
    assert [s["month"] for s in listed["items"]] == ["2026-11", "2026-10"]
    one = (await carol.get(f"/api/v1/inquiry-summaries/{november_.id}")).json()
    assert one == listed["items"][0]
    # the summary was computed now, December of 2026 or later: every late one counts as at the month's end
    assert {key: one["figures"][key] for key in HAND_COUNTED} == HAND_COUNTED
    assert (one["project_id"], one["version"], one["notes"], one["highlights"]) == (data["project"], 1, "", [])
    # the page shows the same figures as the API
    page = await (await personas.browser("carol")).get(f"/inquiries/summaries/{november_.id}")
    shown = dict(re.findall(r'data-(total|open|closed|overdue)>(\d+)<', page.text))
    assert {k: int(v) for k, v in shown.items()} == {k: one["figures"][k] for k in ("total", "open", "closed",
                                                                                    "overdue")}
    paged = (await carol.get(f"/api/v1/projects/{data['project']}/inquiry-summaries?limit=1&offset=1")).json()
    assert ([s["id"] for s in paged["items"]], paged["total"], paged["limit"]) == ([october.id], 2, 1)
    # the administrator (CS manager) reads them too
    assert (await (await personas.api("alice")).get(f"/api/v1/inquiry-summaries/{october.id}")).status_code == 200


async def test_who_may_and_what_does_not_exist(personas):
    data = await november(personas)
    made = await summary.summary_make(data["project"], NOVEMBER)
    calls = (("get", f"/api/v1/projects/{data['project']}/inquiry-summaries", None),
             ("get", f"/api/v1/inquiry-summaries/{made.id}", None),
             ("put", f"/api/v1/inquiry-summaries/{made.id}", {"notes": "改"}),
             ("post", f"/api/v1/inquiry-summaries/{made.id}/publish", {"inquiry_ids": [data["ids"]["fast"]]}))
    for name in ("ian", "sam", "paul", "bob", "olga"):
        client = await personas.api(name)
        for method, url, body in calls:
            r = await client.request(method, url, json=body)
            assert r.status_code == 403, (name, url, r.status_code)
    assert (await summary.summary_for(made.id)).notes == "" and await KnowledgeSource.count().run() == 0
    carol = await personas.api("carol")
    for method, url, body in (("get", "/api/v1/projects/999999/inquiry-summaries", None),
                              ("get", "/api/v1/inquiry-summaries/999999", None),
                              ("put", "/api/v1/inquiry-summaries/999999", {"notes": "x"}),
                              ("post", "/api/v1/inquiry-summaries/999999/publish", {"inquiry_ids": [1]})):
        assert (await carol.request(method, url, json=body)).status_code == 404, url
    assert (await (await personas.api("alice")).get("/api/v1/inquiry-summaries/999999")).status_code == 404


async def test_edit_and_publish_bad_input_and_a_stale_version(personas):
    data = await november(personas)
    ids = data["ids"]
    made = await summary.summary_make(data["project"], NOVEMBER)
    carol = await personas.api("carol")
    url = f"/api/v1/inquiry-summaries/{made.id}"
    # a highlight from another month, notes too long: Chinese messages, nothing stored
    r = await carol.put(url, json={"notes": "长" * 5001, "highlights": [999999], "version": 1}, headers=ZH)
    assert r.status_code == 400 and r.json()["detail"] == "请修改标出的内容。"
    assert r.json()["errors"] == {"notes": "最多 5000 个字。", "highlights": "请从本月的咨询中选择。"}
    r = await carol.put(url, json={"highlights": ["一"], "version": 1}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"highlights": "请从本月的咨询中选择。"}
    assert await InquirySummary.select(InquirySummary.notes, InquirySummary.highlights,
                                       InquirySummary.version).where(InquirySummary.id == made.id).first().run() == {
        "notes": "", "highlights": "", "version": 1}
    r = await carol.put(url, json={"notes": "漏水集中", "highlights": [ids["fast"], ids["slow"]], "version": 1})
    assert r.status_code == 200 and (r.json()["version"], r.json()["highlights"]) == (2, [ids["fast"], ids["slow"]])
    # another edit read version 1: 409, nothing stored
    r = await carol.put(url, json={"notes": "后改", "version": 1}, headers=ZH)
    assert r.status_code == 409 and r.json()["detail"] == "其他人已修改此小结，请刷新后重新编辑。"
    assert (await summary.summary_for(made.id)).notes == "漏水集中"

    before = (await KnowledgeEntry.count().run(), await KnowledgeSource.count().run())
    r = await carol.post(f"{url}/publish", json={}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"inquiry_ids": "请至少选择一条已答复的咨询。"}
    r = await carol.post(f"{url}/publish", json={"inquiry_ids": [ids["fast"], ids["waiting"]]}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"inquiry_ids": "只能发布本小结中已答复的咨询。"}
    assert (await KnowledgeEntry.count().run(), await KnowledgeSource.count().run()) == before
    r = await carol.post(f"{url}/publish", json={"inquiry_ids": [ids["fast"]]})
    assert r.status_code == 200 and r.json()["entry_ids"] == [data["entry"]]
    assert r.json()["summary"]["id"] == made.id and await KnowledgeSource.count().run() == 1


async def test_the_openapi_schema_describes_the_summary_endpoints(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path, method in (("/api/v1/projects/{project_id}/inquiry-summaries", "get"),
                         ("/api/v1/inquiry-summaries/{summary_id}", "get"),
                         ("/api/v1/inquiry-summaries/{summary_id}", "put"),
                         ("/api/v1/inquiry-summaries/{summary_id}/publish", "post")):
        assert schema["paths"][path][method]["description"], path
    one = schema["paths"]["/api/v1/inquiry-summaries/{summary_id}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("SummaryOut")
    figures = schema["components"]["schemas"]["FiguresOut"]["properties"]
    assert {"total", "open", "closed", "by_status", "by_category", "by_channel", "average_hours", "p90_hours",
            "overdue", "top_questions"} == set(figures) - {"answered"}
