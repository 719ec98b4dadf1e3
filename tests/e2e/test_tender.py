"""The tender's records on a phone in real Chromium: CS records an expert, a bidder's score and the winner on the steps
(htmx: a refused score keeps what was typed and says why in Chinese); PR writes and publishes the notice on a
360 px phone; a signed-out phone reads it. axe-core finds no serious violation."""
from server.procedures import services
from tests.e2e.conftest import assert_accessible, sign_in
from tests.support import PASSWORD


async def _tender(personas):
    from server.org.services import party_create, project_create

    await services.templates_ensure()
    project = await project_create(actor=None, name="阳光花园")
    await party_create(actor=None, name="万家物业", kind="property_company")
    return await services.start_procedure("pm_tender", "project", project.id, project.id, None,
                                          personas.user("carol"))


async def test_cs_records_experts_and_scores_on_a_phone(personas, phone, screens):
    procedure = await _tender(personas)
    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto(f"/procedures/{procedure.id}")
    experts = page.locator("section[aria-label='评标专家']")
    await experts.locator("input[name=name]").fill("李工")
    await experts.locator("input[name=field]").fill("物业管理")
    await experts.locator("button[type=submit]").click()
    await page.get_by_text("评标专家已登记。").wait_for()
    bids = page.locator("section[aria-label='投标单位及评分']")
    await bids.locator("select[name=party_id]").select_option(label="万家物业")
    await bids.locator("form[action$='/bids'] button[type=submit]").click()
    await page.get_by_text("投标单位已登记。").wait_for()
    bids = page.locator("section[aria-label='投标单位及评分']")
    await bids.locator("input[name=score]").fill("120")
    await bids.locator("form[action$='/score'] button[type=submit]").click()
    await page.get_by_text("请输入 0 到 100 之间的分数，最多两位小数。").first.wait_for()
    assert await page.locator("section[aria-label='投标单位及评分'] input[name=score]").input_value() == "120"
    await page.locator("section[aria-label='投标单位及评分'] input[name=score]").fill("91.5")
    await page.locator("section[aria-label='投标单位及评分'] form[action$='/score'] button[type=submit]").click()
    await page.get_by_text("91.50 分").wait_for()
    winner = page.locator("section[aria-label='中标企业']")
    await winner.locator("select[name=bid_id]").select_option(label="万家物业 · 91.50")
    await winner.locator("form[action$='/records/winner'] button[type=submit]").click()
    await page.get_by_text("中标企业已登记。").wait_for()
    section = page.locator("section[aria-label='中标企业']")
    assert "万家物业" in await section.locator("dl.facts").first.inner_text()
    await section.screenshot(path=str(screens.dir / "winner.png"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows sideways"
    await screens.shot(page, "tender-steps")
    await assert_accessible(page, "tender procedure")


async def test_pr_publishes_the_notice_and_a_signed_out_phone_reads_it(personas, phone360, chromium, live_server,
                                                                        screens):
    procedure = await _tender(personas)
    page = await sign_in(phone360, "petra", PASSWORD)
    await page.goto(f"/procedures/{procedure.id}")
    notice = page.locator("section[aria-label='招标公告']")
    await notice.locator("input[name=title]").fill("阳光花园前期物业服务招标公告")
    await notice.locator("textarea[name=body]").fill("欢迎符合条件的物业服务企业投标。")
    await notice.locator("input[name=opens_on]").fill("2027-01-10")
    await notice.locator("input[name=closes_on]").fill("2027-01-31")
    await notice.locator("form[action$='/notice'] button[type=submit]").click()
    await page.get_by_text("招标公告已保存。").wait_for()
    await page.locator("section[aria-label='招标公告'] form[action$='/publish'] button[type=submit]").click()
    await page.get_by_text("招标公告已发布，公开页面已开放。").wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await assert_accessible(page, "tender notice step")
    href = await page.locator("section[aria-label='招标公告'] a[href^='/tender-notices/']").get_attribute("href")
    anonymous = await chromium.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN",
                                           base_url=live_server)
    try:
        public = await anonymous.new_page()
        await public.goto(href)
        assert "投标时间：2027-01-10 至 2027-01-31" in await public.inner_text("body")
        await screens.shot(public, "public-notice")
        await assert_accessible(public, "public tender notice")
    finally:
        await anonymous.close()
