"""Steps of a repair's life as people take them on their phones, shared by the repair e2e tests
(test_repairs.py, test_repair_jobs.py, test_repair_life.py): each drives one page through one step."""
from __future__ import annotations

from playwright.async_api import expect


async def fill_repair_form(page, photos: list[str], description: str) -> None:
    """The owner's 报修 form: photos from the gallery, a leak in the bathroom, a preferred time."""
    await page.set_input_files("input[data-gallery]", photos)
    await page.locator("input[name=component][value=waterproofing]").check(force=True)
    await page.locator("input[name=location][value=卫生间]").check(force=True)
    await page.fill("#f-description", description)
    await page.fill("#f-preferred_times", "周六上午")


async def survey_and_plan(page, repair_id: int, photo: str, plan_file: str) -> None:
    """The quality center, on the request's page: the survey (findings, a photo), then the plan with its file."""
    await page.goto(f"/repairs/{repair_id}")
    await page.fill("#f-job-findings", "卫生间防水层破损，楼板渗水")
    await page.set_input_files("#f-survey-photos", [photo])
    await page.click("form[action$='/survey'] button[type=submit]")
    await expect(page.locator("[data-survey]")).to_have_text("卫生间防水层破损，楼板渗水")
    await page.fill("#f-job-text", "凿除地面，重做防水层，闭水试验48小时")
    await page.set_input_files("#f-plan-documents", [plan_file])
    await page.click("form[action$='/plan'] button[type=submit]")
    await expect(page.locator("[data-plan]")).to_contain_text("重做防水层")
    await expect(page.locator("[data-plan]")).to_contain_text("方案.pdf")


async def approve_plan(page, repair_id: int) -> None:
    """CS approves the quality center's plan."""
    await page.goto(f"/repairs/{repair_id}")
    async with page.expect_navigation():
        await page.click("button[name=decision][value=approve]")
    await expect(page.locator("[data-plan]")).to_contain_text("已审核")


async def dispatch(page, party_id: int, visit_at: str) -> None:
    """CS, on the request's page: the repair unit and the visit time agreed with the owner."""
    await page.select_option("#f-job-party_id", str(party_id))
    await page.fill("#f-job-visit_at", visit_at)


async def send_job(page) -> None:
    async with page.expect_navigation():
        await page.click("form[data-assign-form] button[type=submit]")
