"""A manager's dashboard on a 360 px phone in Chromium: from the list of
projects to the project's figures, then drilled down to a contractor. No
sideways scroll, every chart drawn (SVG) beside its table; a screenshot of
each step (and of a desk screen) and no serious axe-core violation."""
import pytest

from tests.e2e.conftest import NARROW, assert_accessible, sign_in
from tests.reports.known import build
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def _fits(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], "no sideways scroll"


async def test_a_manager_drills_from_the_project_to_a_contractor_on_a_phone(personas, phone360, screens):
    ids = await build()
    page = await sign_in(phone360, "carol", PASSWORD)
    await page.goto("/dashboards")
    await page.click(f"a[href='/dashboards/projects/{ids['project']}']")
    await page.wait_for_selector("[data-pass-rate]")
    assert "60.00%" in await page.inner_text("[data-pass-rate]")
    assert await page.locator("section.dash-figure svg.dash-chart").count() == 11
    await _fits(page)
    chart = await page.locator("#fig-open_by_contractor svg").bounding_box()
    assert 250 < chart["width"] <= NARROW["width"]  # the chart fills the phone's width, no wider
    await screens.shot(page, "dashboard-360")
    await assert_accessible(page, "dashboard-360")

    async with page.expect_navigation():
        await page.click("#fig-open_by_contractor table a:text('甲公司')")
    assert f"contractor_id={ids['甲公司']}" in page.url
    assert "80.00%" in await page.inner_text("[data-pass-rate]")
    assert await page.locator("#fig-open_by_contractor tbody tr").count() == 1
    await _fits(page)
    await screens.shot(page, "dashboard-360-contractor")
    await assert_accessible(page, "dashboard-360-contractor")

    await page.set_viewport_size({"width": 1280, "height": 900})
    chart = await page.locator("#fig-pass_rate svg").bounding_box()
    table = await page.locator("#fig-pass_rate .dash-table").bounding_box()
    assert table["x"] > chart["x"] + chart["width"] - 1  # side by side on a desk screen
    await screens.shot(page, "dashboard-desk")


async def test_sla_and_satisfaction_read_on_a_phone_and_a_month_drills_down(personas, phone360, screens):
    ids = await build()
    page = await sign_in(phone360, "carol", PASSWORD)
    await page.goto(f"/dashboards/projects/{ids['project']}")
    for key in ("sla_attainment", "satisfaction_trend"):
        figure = page.locator(f"#fig-{key}")
        await figure.scroll_into_view_if_needed()
        box = await figure.locator("svg.dash-chart").bounding_box()
        assert 250 < box["width"] <= NARROW["width"], key
        # The table fits the phone: no scrolling sideways inside it either.
        region = figure.locator(".dash-table")
        assert await region.evaluate("e => e.scrollWidth <= e.clientWidth"), key
        await figure.screenshot(path=str(screens.dir / f"sla-{key}-360.png"))
    await _fits(page)
    sla = await page.inner_text("#fig-sla_attainment table")
    assert "报修：紧急" in sla and "50.00" in sla and "客户咨询（答复）" in sla
    await assert_accessible(page, "dashboard-360-service")

    async with page.expect_navigation():
        await page.click("#fig-satisfaction_trend table a:text('2026-02')")
    assert "date_from=2026-02-01" in page.url and "date_to=2026-02-28" in page.url
    assert await page.input_value("#f-date_from") == "2026-02-01"
    assert await page.locator("#fig-satisfaction_trend tbody tr").count() == 1
    assert "3.50" in await page.inner_text("#fig-satisfaction_trend table")
    await _fits(page)
    await screens.shot(page, "dashboard-360-february")

    # Drilled to 甲公司: its repairs only (R1, done in 3 of 4 hours).
    await page.goto(f"/dashboards/projects/{ids['project']}?contractor_id={ids['甲公司']}")
    rows = await page.locator("#fig-sla_attainment tbody tr").all_inner_texts()
    assert any(r.startswith("报修：紧急") and "100.00" in r for r in rows), rows
