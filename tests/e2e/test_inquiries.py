"""On a phone in real Chromium: CS staff take a phone inquiry, see knowledge-base answers appear while typing
(not while the input method is still composing), tap one, record the inquiry answered and linked; the knowledge
list searches as you type with the matches marked."""
from __future__ import annotations

from server.inquiries.tables import Inquiry
from server.knowledge import services
from tests.e2e.conftest import assert_accessible, sign_in
from tests.knowledge.support import ENTRIES
from tests.support import PASSWORD


async def test_a_phone_inquiry_answered_from_a_suggestion(personas, phone, screens):
    carol = personas.user("carol")
    entries = [await services.entry_create(actor=carol, fields={"question": q, "answer": a, "category": c})
               for q, a, c in ENTRIES]
    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto("/inquiries/new")
    await page.fill("#f-asker_name", "王先生")
    await page.fill("#f-asker_phone", "13900000001")
    question = page.locator("#f-question")
    # while an input method is composing, nothing is asked for
    await question.evaluate("(el) => { el.value = '钥匙'; el.dispatchEvent(new InputEvent('input', "
                            "{bubbles: true, isComposing: true})); }")
    await page.wait_for_timeout(800)
    assert await page.locator("[data-suggestion]").count() == 0
    # the word is finished: the suggestions come
    await question.evaluate("(el) => el.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true}))")
    await page.locator(f"[data-suggestion='{entries[1].id}']").wait_for()
    # typed (no input method): the best answers for the new text replace them
    await question.fill("")
    await question.press_sequentially("卫生间漏水", delay=50)
    await page.locator(f"[data-suggestion='{entries[0].id}']").wait_for()
    assert await page.locator("[data-suggestion]").count() == 1
    await screens.shot(page, "suggestions")
    await assert_accessible(page, "inquiry form")
    await page.locator(f"[data-suggestion='{entries[0].id}'] button").click()
    await page.locator(f"[data-used='{entries[0].id}']").wait_for()
    assert await page.input_value("#f-answer") == ENTRIES[0][1]
    async with page.expect_navigation():
        await page.click("form[action='/inquiries/new'] button[type=submit]")
    row = await Inquiry.objects().first().run()
    assert (row.status, row.knowledge_entry, row.channel, row.question) == (
        "answered", entries[0].id, "phone", "卫生间漏水")
    assert page.url.endswith(f"/inquiries/{row.id}")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows sideways"
    await screens.shot(page, "inquiry")


async def test_the_knowledge_list_searches_as_you_type(personas, phone, screens):
    carol = personas.user("carol")
    for q, a, c in ENTRIES:
        await services.entry_create(actor=carol, fields={"question": q, "answer": a, "category": c})
    page = await sign_in(phone, "ian", PASSWORD)
    await page.goto("/knowledge")
    assert await page.locator("[data-entry]").count() == 5
    await page.locator("#kb-q").press_sequentially("物业", delay=50)
    await page.wait_for_function("document.querySelectorAll('[data-entry]').length === 2")
    assert await page.locator("#knowledge-results mark").first.inner_text() == "物业"
    assert "q=" in page.url
    await screens.shot(page, "knowledge-search")
    await assert_accessible(page, "knowledge list")


async def test_an_inquiry_goes_out_on_a_contact_sheet_and_is_called_back(personas, phone, screens, chromium,
                                                                            live_server):
    from tests.e2e.conftest import PHONE, _phone_context
    from server.inquiries.tables import ContactSheet, InquiryCallback
    from tests.inquiries.test_sheets import department

    sales = await department(personas, "sally", "销售公司")
    prop = await department(personas, "percy", "万家物业", kind="property_company", role="property")
    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto("/inquiries/new")
    await page.fill("#f-asker_name", "李女士")
    await page.fill("#f-asker_phone", "13900000002")
    await page.fill("#f-question", "地下车位什么时候开始销售")
    async with page.expect_navigation():
        await page.click("form[action='/inquiries/new'] button[type=submit]")
    inquiry_id = (await Inquiry.objects().order_by(Inquiry.id, ascending=False).first().run()).id
    await page.check(f"[data-party='{sales}'] input[type=checkbox]")
    await page.check(f"[data-party='{prop}'] input[type=checkbox]")
    await page.fill("#f-request", "请答复车位销售时间")
    await assert_accessible(page, "inquiry with the contact sheet form")
    async with page.expect_navigation():
        await page.click(f"form[action='/inquiries/{inquiry_id}/escalate'] button[type=submit]")
    assert await page.locator("[data-sheet]").count() == 2
    sheets = await ContactSheet.objects().order_by(ContactSheet.id).run()
    for name, sheet, reply in (("sally", sheets[0], "明年三月开售。"), ("percy", sheets[1], "管理费另计。")):
        other = await _phone_context(chromium, live_server, PHONE)
        dept = await sign_in(other, name, PASSWORD)
        await dept.goto("/sheets")
        await dept.click(f"[data-sheet-row='{sheet.id}']")
        await dept.fill("#f-reply", reply)
        await assert_accessible(dept, "contact sheet reply")
        async with dept.expect_navigation():
            await dept.click(f"form[action='/sheets/{sheet.id}/reply'] button[type=submit]")
        await other.close()
    await page.goto(f"/inquiries/{inquiry_id}")
    await page.fill("#f-draft", "车位明年三月开售，管理费另计。")
    async with page.expect_navigation():
        await page.click(f"form[action='/inquiries/{inquiry_id}/draft'] button[type=submit]")
    boss_context = await _phone_context(chromium, live_server, PHONE)
    boss = await sign_in(boss_context, "alice", PASSWORD)
    await boss.goto(f"/inquiries/{inquiry_id}")
    async with boss.expect_navigation():
        await boss.click(f"form[action='/inquiries/{inquiry_id}/approve'] button[type=submit]")
    await boss_context.close()
    await page.goto(f"/inquiries/{inquiry_id}")
    await page.check("input[name=reached][value=yes]")
    await page.check("input[name=satisfied][value=yes]")
    async with page.expect_navigation():
        await page.click(f"form[action='/inquiries/{inquiry_id}/callback'] button[type=submit]")
    row = await Inquiry.objects().get(Inquiry.id == inquiry_id).run()
    assert (row.status, row.answer) == ("closed", "车位明年三月开售，管理费另计。")
    assert await InquiryCallback.count().run() == 1
    await screens.shot(page, "inquiry-closed")
    await assert_accessible(page, "closed inquiry")
