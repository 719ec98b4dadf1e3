"""A repair job on phones in real Chromium (390×844): the quality center records the site survey with a
photo and issues the repair plan with an attachment; CS approves it and dispatches it to a repair unit with
the agreed visit time; the repair unit opens its signed link, without signing in, and sees that job.
axe-core finds no serious violation on these pages."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from server.notifications.tables import InboxMessage
from server.repairs.job_tables import RepairAssignment, RepairPlan, RepairSurvey
from tests.e2e.conftest import PHONE, _phone_context, assert_accessible, sign_in
from tests.e2e.repair_steps import approve_plan, dispatch, send_job, survey_and_plan
from tests.photos.images import plain_jpeg
from tests.repairs.jobs_support import PDF, repair_unit, triaged
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_survey_plan_dispatch_and_the_units_link(personas, chromium, live_server, screens, tmp_path):
    party, _ = await repair_unit(personas)
    _h, repair_id = await triaged(personas)
    photo, plan_file = tmp_path / "s.jpg", tmp_path / "方案.pdf"
    photo.write_bytes(plain_jpeg(size=(1200, 900)))
    plan_file.write_bytes(PDF)

    cs = await _phone_context(chromium, live_server)
    qc = await _phone_context(chromium, live_server)
    unit = await _phone_context(chromium, live_server)
    try:
        carol = await sign_in(cs, "carol", PASSWORD)
        await carol.goto(f"/repairs/{repair_id}")
        async with carol.expect_navigation():
            await carol.click("button[data-send-survey]")
        await expect(carol.locator("[data-surveys]")).to_have_count(0)

        quinn = await sign_in(qc, "quinn", PASSWORD)
        await survey_and_plan(quinn, repair_id, str(photo), str(plan_file))
        assert await RepairSurvey.count().run() == 1 and await RepairPlan.count().run() == 1
        await assert_accessible(quinn, "survey and plan")
        await screens.shot(quinn, "repair-plan")
        width = await quinn.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width

        await approve_plan(carol, repair_id)
        await dispatch(carol, party.id, "2030-05-01T09:30")
        await assert_accessible(carol, "dispatch")
        await send_job(carol)
        await expect(carol.locator("[data-party]")).to_have_text("修缮公司")
        await expect(carol.locator("[data-visit]")).to_contain_text("2030-05-01 09:30")
        assert (await RepairAssignment.objects().first().run()).party == party.id

        link = (await InboxMessage.objects().where(InboxMessage.party == party.id).first().run()).link
        page = await unit.new_page()
        await page.goto(link)
        await expect(page.locator("[data-description]")).to_have_text("卫生间顶棚漏水，滴到地面")
        await expect(page.locator("[data-plan]")).to_contain_text("重做防水层")
        await expect(page.locator("button[data-start]")).to_be_visible()
        await assert_accessible(page, "job link")
        await screens.shot(page, "repair-job-link")
        broken = await page.goto(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"))
        assert broken.status == 410
    finally:
        for context in (cs, qc, unit):
            await context.close()
