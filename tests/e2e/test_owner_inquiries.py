"""On a 360 px phone in real Chromium: an owner's questions, the one past its deadline marked red with the word
已逾期 (never colour alone), the steps inside the CS center read as one; the owner opens it and reads that no
answer has come yet. No sideways scroll, axe-core clean."""
from __future__ import annotations

from tests.e2e.conftest import assert_accessible, sign_in
from tests.inquiries.test_owner_inquiries import _asked
from tests.support import PASSWORD


async def test_an_owner_sees_the_late_question_in_red_on_a_phone(personas, phone360, screens):
    carol = await personas.api("carol")
    olga = personas.user("olga")
    late = await _asked(carol, olga.id, "阳台的地漏一直返味，物业什么时候来处理？", "open", days_ago=10)
    await _asked(carol, olga.id, "交房时能领几把钥匙", "answered")
    await _asked(carol, olga.id, "车位什么时候开始销售", "escalated")
    page = await sign_in(phone360, "olga", PASSWORD)
    await page.goto("/owner/inquiries")
    card = page.locator(f"[data-inquiry='{late}']")
    assert await card.get_attribute("class") == "app-card app-card_overdue"
    assert "已逾期" in await card.inner_text()
    border = await card.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert border not in ("rgba(0, 0, 0, 0)", "rgb(0, 0, 0)"), border
    assert await page.locator(".app-card_overdue").count() == 1
    assert "客服正在处理" in await page.inner_text("#my-inquiries")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scroll"
    await screens.shot(page, "owner-inquiries")
    await assert_accessible(page, "owner inquiries")
    async with page.expect_navigation():
        await card.locator("a").click()
    assert await page.inner_text("[data-overdue]") == "已逾期"
    assert "客服尚未答复。" in await page.inner_text("main")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await screens.shot(page, "owner-inquiry")
    await assert_accessible(page, "owner inquiry")
