"""One record per home in real Chromium: the owner on a 360 px phone opens the
whole record of her home from 我的房屋 (newest first, no sideways scroll),
staff read the same home's record on a desk screen; axe-core finds no serious
violation on either."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import assert_accessible, sign_in
from tests.repairs.support import homes, report
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_the_owner_and_staff_read_a_homes_record(personas, chromium, phone360, live_server, screens):
    h = await homes(personas)
    carol = await personas.api("carol")
    assert (await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": "2024-03-01"})
            ).status_code == 201
    first = (await report(carol, h["mine"], description="客厅墙面有一道很长的裂缝，从窗角一直延伸到踢脚线")).json()
    assert (await carol.post(f"/api/v1/repairs/{first['id']}/triage", json={
        "component": "decoration", "urgency": "normal", "survey_needed": False})).status_code == 200
    assert (await report(carol, h["mine"])).status_code == 201

    page = await sign_in(phone360, "olga", PASSWORD)
    await page.goto("/owner")
    await expect(page.locator(f"#unit-{h['mine']} [data-event]")).to_have_count(4)
    await page.click(f"#unit-{h['mine']} a[data-home-record]")
    await expect(page.locator("[data-timeline] [data-event]")).to_have_count(4)
    titles = await page.locator("[data-timeline] .timeline__what").all_inner_texts()
    assert [t.strip() for t in titles] == ["提交报修", "报修：已受理", "提交报修",
                                           "已交付（系统启用前交付的房屋，补录交付日）"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scroll"
    await screens.shot(page, "owner-home-record-360")
    await assert_accessible(page, "owner's home record")
    assert (await page.goto(f"/owner/units/{h['theirs']}")).status == 404

    desk = await chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server)
    try:
        staff = await sign_in(desk, "carol", PASSWORD)
        await staff.goto(f"/repairs/{first['id']}")
        await staff.click("a[data-home-record]")
        await expect(staff.locator("[data-timeline] [data-event]")).to_have_count(4)
        await screens.shot(staff, "staff-home-record-desk")
        await assert_accessible(staff, "staff home record")
    finally:
        await desk.close()
