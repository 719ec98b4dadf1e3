"""iPhone: no install prompt, so Safari's tab shows a short "添加到主屏幕" hint (until
dismissed), and the pages carry the tags an installed web app needs on iOS."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import PHONE, sign_in
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


async def test_safari_on_iphone_is_told_how_to_add_the_app_to_the_home_screen(personas, chromium, live_server, screens):
    iphone = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                        base_url=live_server, user_agent=IPHONE_SAFARI)
    android = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                         base_url=live_server)
    try:
        page = await sign_in(iphone, "ian", PASSWORD)
        hint = page.locator("[data-ios-install]")
        await expect(hint).to_be_visible()
        await expect(hint).to_contain_text("添加到主屏幕")
        assert await page.get_attribute("meta[name=apple-mobile-web-app-capable]", "content") == "yes"
        assert await page.get_attribute("meta[name=apple-mobile-web-app-title]", "content") == "客服中心"
        assert await page.get_attribute("link[rel=apple-touch-icon]", "href")
        await screens.shot(page, "iphone-hint")
        await page.click("[data-ios-install-close]")
        await expect(hint).to_be_hidden()
        await page.reload()
        await expect(page.locator("[data-ios-install]")).to_be_hidden()  # dismissed stays dismissed

        other = await sign_in(android, "ian", PASSWORD)
        await expect(other.locator("[data-ios-install]")).to_be_hidden()  # Android has its own install prompt
    finally:
        await iphone.close()
        await android.close()
