"""The monthly inquiry summary (regulation 5, item 3): its figures for a China-time month of one project, the
cron run by a real arq worker (burst mode, moved clock) at 00:10 on the 1st China time, editing, Excel,
publishing chosen Q&A to the knowledge base. SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from server.inquiries import publishing, summary
from server.inquiries.summary_tables import InquirySummary, KnowledgeSource
from server.knowledge.tables import KnowledgeEntry
from tests.frozen import move_clock
from tests.inquiries.summary_support import FIRST_OF_DECEMBER, HAND_COUNTED, NOVEMBER, hand_counted, november
from tests.support import csrf


async def test_the_figures_of_a_china_month(personas):
    data = await november(personas)
    ids = data["ids"]
    f = await summary.figures(data["project"], NOVEMBER, now=FIRST_OF_DECEMBER)
    assert (f["total"], f["open"], f["closed"], f["answered"]) == (4, 2, 2, 2)
    assert f["by_category"] == {"报修": 2, "物业": 2}
    assert f["by_channel"] == {"online": 1, "phone": 1, "walk_in": 1, "wechat": 1}
    assert f["by_status"] == {"answered": 2, "open": 2}
    # answered after 2 h and after 72 h: average 37, 90th percentile (nearest rank of two) 72
    assert (f["average_hours"], f["p90_hours"]) == (37.0, 72.0)
    # overdue (no SLA set: answer within 72 h): the one open since the 10th; not the one answered after exactly
    # 72 h, nor the one asked at 23:30 on the 30th
    assert f["overdue"] == 1
    top = f["top_questions"][0]
    assert (top["count"], top["inquiry_ids"], top["knowledge_entry_id"]) == (2, [ids["fast"], ids["slow"]],
                                                                              data["entry"])
    other = await summary.figures(data["other"], NOVEMBER, now=FIRST_OF_DECEMBER)
    assert (other["total"], other["by_channel"]) == (1, {"phone": 1})
    empty = await summary.figures(data["project"], dt.date(2026, 9, 1), now=FIRST_OF_DECEMBER)
    assert (empty["total"], empty["average_hours"], empty["p90_hours"], empty["top_questions"]) == (0, None, None, [])


async def test_the_figures_match_a_hand_count(personas):
    """Every state, inquiries about no unit (their project chosen), the project's SLA per category."""
    data = await hand_counted(personas)
    f = await summary.figures(data["project"], NOVEMBER, now=FIRST_OF_DECEMBER)
    assert {key: f[key] for key in HAND_COUNTED} == HAND_COUNTED
    other = await summary.figures(data["other"], NOVEMBER, now=FIRST_OF_DECEMBER)
    assert (other["total"], other["closed"], other["answered"], other["overdue"]) == (1, 1, 1, 0)
    # the page shows the same figures
    made = await summary.summary_make(data["project"], NOVEMBER)
    page = await (await personas.browser("carol")).get(f"/inquiries/summaries/{made.id}")
    for name in ("total", "open", "closed", "overdue"):
        assert f"data-{name}>{HAND_COUNTED[name]}<" in page.text, name


async def test_the_cron_makes_every_projects_summary_on_the_first_china_time(personas, monkeypatch):
    from tests.photos.support import run_worker
    from workers.settings import WorkerSettings

    data = await november(personas)
    # 16:09:59.6 UTC on Nov 30 is 00:09:59.6 on Dec 1 in China: the cron's 00:10 comes within the second
    move_clock(monkeypatch, FIRST_OF_DECEMBER.astimezone(dt.timezone.utc))
    worker = await run_worker(WorkerSettings)
    assert worker.jobs_failed == 0
    rows = await InquirySummary.select().order_by(InquirySummary.project).run()
    assert [(r["project"], r["month"]) for r in rows] == [(data["project"], NOVEMBER), (data["other"], NOVEMBER)]
    out = summary.summary_out(rows[0])
    assert (out["month"], out["figures"]["total"], out["figures"]["overdue"]) == ("2026-11", 4, 1)
    # notes survive a second run, which computes the figures again into the same summary
    await summary.summary_edit(actor=personas.user("carol"), summary=await summary.summary_for(rows[0]["id"]),
                               fields={"notes": "漏水集中", "highlights": [data["ids"]["fast"]]})
    await summary.monthly_summaries(dt.date(2026, 12, 1))
    again = await InquirySummary.select().order_by(InquirySummary.project).run()
    assert [r["id"] for r in again] == [r["id"] for r in rows] and again[0]["notes"] == "漏水集中"


async def test_the_cron_runs_in_china_time():
    from workers.settings import WorkerSettings

    job = next(j for j in WorkerSettings.cron_jobs if j.name == "monthly_summary")
    job = type(job)(**{**job.__dict__, "next_run": None})
    job.calculate_next(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.timezone.utc).astimezone(WorkerSettings.timezone))
    assert job.next_run.astimezone(dt.timezone.utc).replace(microsecond=0) == dt.datetime(
        2026, 11, 30, 16, 10, tzinfo=dt.timezone.utc)


async def test_edit_export_and_publish(personas):
    data = await november(personas)
    ids = data["ids"]
    carol = personas.user("carol")
    made = await summary.summary_make(data["project"], NOVEMBER)
    edited = await summary.summary_edit(actor=carol, summary=made, fields={
        "notes": "本月漏水较多", "highlights": [ids["fast"], ids["slow"]], "version": "1"})
    assert (edited.version, edited.notes) == (2, "本月漏水较多")
    out = summary.summary_out(await summary.summary_for(made.id))
    book = load_workbook(io.BytesIO(__import__("server.inquiries.summary_export", fromlist=["x"]).workbook(
        "阳光花园", out, [{"id": ids["fast"], "question": "卫生间漏水", "answer": "先关总阀，再报修。"}])))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c is not None]
    assert "本月漏水较多" in cells and 37.0 in cells and 72.0 in cells
    assert list(book.worksheets[1].iter_rows(values_only=True))[1] == (ids["fast"], "卫生间漏水", "先关总阀，再报修。")

    # the open one cannot be published; nothing is stored
    before = await KnowledgeEntry.count().run()
    try:
        await publishing.summary_publish(actor=carol, summary=made, inquiry_ids=[ids["fast"], ids["waiting"]])
        raise AssertionError("an open inquiry was published")
    except summary.Invalid as exc:
        assert "inquiry_ids" in exc.field_errors
    assert await KnowledgeEntry.count().run() == before and await KnowledgeSource.count().run() == 0
    entries = await publishing.summary_publish(actor=carol, summary=made, inquiry_ids=[ids["fast"], ids["slow"]])
    # both were answered from the same entry: it is published for the project, linked to both
    assert [e.id for e in entries] == [data["entry"], data["entry"]]
    entry = await KnowledgeEntry.objects().get(KnowledgeEntry.id == data["entry"]).run()
    assert (entry.published, entry.project) == (True, data["project"])
    links = await publishing.entry_inquiries(data["entry"])
    assert [r["id"] for r in links["sources"]] == [ids["fast"], ids["slow"]]
    assert [r["id"] for r in links["answered"]] == [ids["slow"], ids["fast"]]
    # publishing again changes nothing
    await publishing.summary_publish(actor=carol, summary=made, inquiry_ids=[ids["fast"]])
    assert await KnowledgeSource.count().run() == 2 and await KnowledgeEntry.count().run() == before


async def test_an_answer_typed_by_cs_becomes_a_new_published_entry(personas):
    data = await november(personas)
    from tests.inquiries.summary_support import china, inquiry

    unit = (await __import__("server.org.tables", fromlist=["Unit"]).Unit.select().first().run())["id"]
    typed = await inquiry(personas.user("carol"), unit=unit, channel="phone", category="交付", question="钥匙几把",
                          at=china(11, 12, 9), answer="三把入户门钥匙。", answered_at=china(11, 12, 10))
    made = await summary.summary_make(data["project"], NOVEMBER)
    [entry] = await publishing.summary_publish(actor=personas.user("carol"), summary=made, inquiry_ids=[typed])
    row = await KnowledgeEntry.objects().get(KnowledgeEntry.id == entry.id).run()
    assert (row.question, row.answer, row.category, row.published, row.project) == (
        "钥匙几把", "三把入户门钥匙。", "交付", True, data["project"])
    assert [r["id"] for r in (await publishing.entry_inquiries(entry.id))["sources"]] == [typed]


async def test_the_pages_who_may_and_bad_input(personas, app):
    data = await november(personas)
    ids = data["ids"]
    made = await summary.summary_make(data["project"], NOVEMBER)
    carol = await personas.browser("carol")
    await csrf(carol)
    r = await carol.get(f"/inquiries/summaries?project={data['project']}")
    assert r.status_code == 200 and f'data-summary="{made.id}"' in r.text
    r = await carol.get(f"/inquiries/summaries/{made.id}")
    assert r.status_code == 200 and 'data-total>4<' in r.text
    r = await carol.get(f"/inquiries/summaries/{made.id}/export.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(r.content)).worksheets[0]["A1"].value.startswith("阳光花园")
    # bad input: a highlight from another month; Chinese message, what was typed kept, nothing stored
    r = await carol.post(f"/inquiries/summaries/{made.id}", data={"notes": "我的备注", "highlights": ["999999"],
                                                                  "version": "1"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and "请从本月的咨询中选择。" in r.text and "我的备注" in r.text
    assert (await summary.summary_for(made.id)).notes == ""
    r = await carol.post(f"/inquiries/summaries/{made.id}/publish", data={}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and "请至少选择一条已答复的咨询。" in r.text
    # a stale version: 409, nothing stored
    await summary.summary_edit(actor=personas.user("carol"), summary=made, fields={"notes": "先改"})
    r = await carol.post(f"/inquiries/summaries/{made.id}", data={"notes": "后改", "version": "1"})
    assert r.status_code == 409 and (await summary.summary_for(made.id)).notes == "先改"
    r = await carol.post(f"/inquiries/summaries/{made.id}/publish", data={"inquiry_ids": [str(ids["fast"])]},
                         follow_redirects=False)
    assert r.status_code == 303
    # other staff: 403; a missing summary: 404
    ian = await personas.browser("ian")
    await csrf(ian)
    for url in ("/inquiries/summaries", f"/inquiries/summaries/{made.id}", f"/inquiries/summaries/{made.id}/export.xlsx"):
        assert (await ian.get(url)).status_code == 403
    assert (await ian.post(f"/inquiries/summaries/{made.id}/publish", data={"inquiry_ids": [str(ids["slow"])]})
            ).status_code == 403
    assert (await ian.post(f"/inquiries/summaries/{made.id}", data={"notes": "x"})).status_code == 403
    assert (await ian.post(f"/inquiries/summaries/{made.id}/compute")).status_code == 403
    assert (await summary.summary_for(made.id)).notes == "先改" and await KnowledgeSource.count().run() == 1
    assert (await carol.get("/inquiries/summaries/999999")).status_code == 404
    assert (await carol.post("/inquiries/summaries/999999/publish", data={})).status_code == 404
    olga = await personas.browser("olga")
    assert (await olga.get(f"/inquiries/summaries/{made.id}")).status_code == 403


async def test_an_inquiry_page_links_the_entry_its_answer_was_published_as(personas):
    from server.inquiries.tables import Inquiry
    from tests.inquiries.summary_support import china, inquiry

    data = await november(personas)
    ids = data["ids"]
    carol = personas.user("carol")
    unit = (await Inquiry.select(Inquiry.unit).where(Inquiry.id == ids["fast"]).first().run())["unit"]
    # answered through a contact sheet and called back: closed, its answer reached the customer
    called = await inquiry(carol, unit=unit, channel="phone", category="销售", question="车位什么时候卖",
                           at=china(11, 15, 9))
    await Inquiry.update({Inquiry.status: "closed", Inquiry.answer: "明年三月开售。",
                          Inquiry.answered_at: china(11, 16, 9)}).where(Inquiry.id == called).run()
    made = await summary.summary_make(data["project"], NOVEMBER)
    browser = await personas.browser("carol")
    page = await browser.get(f"/inquiries/summaries/{made.id}")
    assert f'data-publish-row="{called}"' in page.text and f'data-publish-row="{ids["waiting"]}"' not in page.text
    before = await browser.get(f"/inquiries/{ids['fast']}")
    assert "data-published-as" not in before.text
    entries = await publishing.summary_publish(actor=carol, summary=made, inquiry_ids=[ids["fast"], called])
    new_entry = entries[1].id
    assert (entries[0].id, entries[1].question) == (data["entry"], "车位什么时候卖")
    zh = {"Accept-Language": "zh-CN"}
    for inquiry_id, entry_id in ((ids["fast"], data["entry"]), (called, new_entry)):
        page = await browser.get(f"/inquiries/{inquiry_id}", headers=zh)
        assert page.status_code == 200
        assert f'data-published-as="{entry_id}"' in page.text and f'<a href="/knowledge/{entry_id}">' in page.text
        assert "已发布到知识库" in page.text and "已在公开页展示" in page.text
    assert "data-published-as" not in (await browser.get(f"/inquiries/{ids['slow']}")).text
