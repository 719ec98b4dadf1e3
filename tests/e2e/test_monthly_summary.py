"""On a phone in real Chromium: the monthly cron (a real arq worker in burst mode, the clock moved to just before
00:10 on the 1st, China time) makes the project's summary of November; CS open it and publish two Q&A to the
knowledge base; an owner, not signed in, finds one of them on the project's public page with a two-character
query, the match marked."""
from __future__ import annotations

import datetime as dt

from server.inquiries.summary_tables import InquirySummary
from server.knowledge.tables import KnowledgeEntry
from tests.e2e.conftest import assert_accessible, sign_in
from tests.frozen import move_clock
from tests.inquiries.summary_support import FIRST_OF_DECEMBER, china, inquiry, november
from tests.support import PASSWORD


async def test_the_cron_makes_the_summary_cs_publish_and_an_owner_finds_an_answer(personas, phone, screens,
                                                                                  monkeypatch):
    from server.org.tables import Unit
    from tests.photos.support import run_worker
    from workers.settings import WorkerSettings

    data = await november(personas)
    unit = (await Unit.select(Unit.id).order_by(Unit.id).first().run())["id"]
    keys = await inquiry(personas.user("carol"), unit=unit, channel="phone", category="交付", question="交房时钥匙有几把",
                         at=china(11, 12, 9), answer="每户三把入户门钥匙，交付当日领取。", answered_at=china(11, 12, 10))
    move_clock(monkeypatch, FIRST_OF_DECEMBER.astimezone(dt.timezone.utc))
    await run_worker(WorkerSettings)
    monkeypatch.undo()
    summary = await InquirySummary.objects().get(InquirySummary.project == data["project"]).run()
    assert summary is not None and summary.month == dt.date(2026, 11, 1)

    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto(f"/inquiries/summaries?project={data['project']}")
    async with page.expect_navigation():
        await page.click(f"[data-summary='{summary.id}']")
    assert await page.inner_text("[data-total]") == "5"
    await screens.shot(page, "summary")
    await assert_accessible(page, "monthly summary")
    for inquiry_id in (data["ids"]["fast"], keys):
        await page.check(f"[data-publish-row='{inquiry_id}'] input")
    async with page.expect_navigation():
        await page.click(f"form[action='/inquiries/summaries/{summary.id}/publish'] button[type=submit]")
    published = await KnowledgeEntry.select(KnowledgeEntry.id, KnowledgeEntry.question).where(
        KnowledgeEntry.published == True).order_by(KnowledgeEntry.id).run()  # noqa: E712
    assert [r["question"] for r in published] == ["卫生间漏水怎么办", "交房时钥匙有几把"]
    await screens.shot(page, "published")

    owner = await phone.browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                            is_mobile=True, has_touch=True, locale="zh-CN",
                                            base_url=page.url.split("/inquiries")[0])
    try:
        public = await owner.new_page()
        await public.goto(f"/p/{data['project']}/answers")
        assert await public.locator("[data-public-entry]").count() == 2
        await public.locator("#pa-q").press_sequentially("钥匙", delay=50)
        await public.wait_for_function("document.querySelectorAll('[data-public-entry]').length === 1")
        assert await public.locator(f"[data-public-entry='{published[1]['id']}'] mark").first.inner_text() == "钥匙"
        assert "三把入户门钥匙" in await public.inner_text("[data-public-entry] [data-answer]")
        assert await public.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows sideways"
        await screens.shot(public, "public-answers")
        await assert_accessible(public, "public answers")
    finally:
        await owner.close()
