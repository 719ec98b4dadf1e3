"""The one-shot message after a form reaches the page it was meant for."""
from __future__ import annotations

from tests.support import csrf

HTMX = {"HX-Request": "true"}


async def test_the_tab_bar_refresh_after_an_htmx_post_leaves_the_message_for_the_next_page(personas):
    ian = await personas.browser("ian")
    token = await csrf(ian)
    posted = await ian.post("/inbox/read-all", data={"_csrf_token": token}, headers=HTMX)
    assert posted.headers["HX-Redirect"] == "/inbox"
    assert "flash" in ian.cookies

    # What the tab bar does at once (htmx:afterRequest), racing the browser's redirect:
    bar = await ian.get("/nav?path=/inbox", headers=HTMX)
    assert bar.status_code == 200
    assert 'id="app-nav"' in bar.text
    assert "已全部标为已读。" not in bar.text
    assert "flash" in ian.cookies

    page = await ian.get("/inbox")
    assert page.text.count("已全部标为已读。") == 1
    assert "flash" not in ian.cookies
    again = await ian.get("/inbox")
    assert "已全部标为已读。" not in again.text
