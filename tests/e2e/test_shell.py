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


async def test_the_app_is_installable_and_the_service_worker_controls_the_site(personas, live_server, tmp_path):
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    # A persistent profile: Chromium never offers to install from an incognito-like context.
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport=PHONE, base_url=live_server, locale="zh-CN")
        try:
            page = await context.new_page()
            await page.goto("/login")
            await page.evaluate("navigator.serviceWorker.ready")
            await page.reload()
            assert await page.evaluate("navigator.serviceWorker.controller !== null")
            assert await page.evaluate("navigator.serviceWorker.controller.scriptURL.endsWith('/sw.js')")
            cdp = await context.new_cdp_session(page)
            errors = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
            assert errors == [], errors
        finally:
            await context.close()
