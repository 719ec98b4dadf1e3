"""In Chromium on a phone, a manager opens a unit's inspection, then its report
(验房报告), presses "下载 PDF", sees it being made (the arq job, run here by a real
worker in burst mode), then downloads it; the PDF holds the unit and its defects."""
import pytest

from tests.e2e.conftest import assert_accessible, sign_in
from tests.photos.support import run_worker
from tests.reports.support import pdf_image_count, pdf_text
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_a_manager_downloads_the_inspection_report_of_a_unit_on_a_phone(personas, phone, screens):
    from server.inspections.tables import Inspection
    from server.org.tables import Unit
    from tests.dataset import build
    from workers.settings import WorkerSettings

    data = await build(personas)
    inspection = await Inspection.objects().get(Inspection.id == data["inspection_id"]).run()
    unit = await Unit.objects().get(Unit.id == inspection.unit).run()
    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto(f"/inspections/{inspection.id}")
    async with page.expect_navigation():
        await page.click(f"a[href='/documents/inspection-report/{inspection.id}']")
    assert "墙面空鼓" in await page.inner_text("main")
    await screens.shot(page, "report-page")
    await assert_accessible(page, "inspection report")

    await page.click("#pdf-panel button[type=submit]")
    await page.wait_for_selector("#pdf-panel >> text=正在生成 PDF")
    await screens.shot(page, "report-making")
    await run_worker(WorkerSettings)
    link = page.locator("#pdf-panel a[download]")
    await link.wait_for(timeout=10_000)  # the page polls every second
    await screens.shot(page, "report-ready")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    data = open(await download.path(), "rb").read()
    text = "".join(pdf_text(data).split())
    assert "验房报告" in text and unit.number in text and "墙面空鼓" in text and "地漏堵塞" in text
    assert pdf_image_count(data) >= 3
    assert download.suggested_filename.endswith(".pdf")
