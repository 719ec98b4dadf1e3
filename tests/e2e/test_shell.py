"""The shell in a real browser: sign in on a phone, Chinese by default, switch to English."""
from tests.e2e.conftest import assert_accessible, sign_in
from tests.support import PASSWORD


async def test_an_inspector_signs_in_on_a_phone_and_sees_chinese(personas, phone, screens):
    page = await phone.new_page()
    await page.goto("/")
    assert "/login" in page.url
    assert "登录" in await page.content()
    await screens.shot(page, "login")
    await assert_accessible(page, "login")
    page = await sign_in(phone, "ian", PASSWORD)
    await screens.shot(page, "home")
    await assert_accessible(page, "home")
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows a phone screen sideways"
