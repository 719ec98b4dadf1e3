"""The procedure page on a phone: steps in order, overdue in red, a document uploaded and the step completed."""
import datetime as dt

from server import clock
from server.procedures import services
from tests.e2e.conftest import assert_accessible, sign_in
from tests.support import PASSWORD


async def test_cs_staff_uploads_a_document_and_completes_a_step_on_a_phone(personas, phone, screens, tmp_path):
    from server.org.services import project_create

    await services.templates_ensure()
    project = await project_create(actor=None, name="阳光花园")
    procedure = await services.start_procedure("delivery_preparation", "project", project.id, project.id,
                                               clock.today() - dt.timedelta(days=25), personas.user("carol"))
    page = await sign_in(phone, "carol", PASSWORD)
    await page.goto(f"/procedures/{procedure.id}")
    assert "逾期 5 天" in await page.inner_text("#steps")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows sideways"
    await page.locator("article.proc-step").first.screenshot(path=str(screens.dir / "first-step.png"))
    await screens.shot(page, "procedure")
    await assert_accessible(page, "procedure")
    first = page.locator("article.proc-step").first
    pdf = tmp_path / "说明书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    await first.locator("details.proc-act summary").click()  # the project department's step: carol stands in
    await first.locator("input[type=file]").set_input_files(str(pdf))
    await first.locator("form[action$='/documents'] button[type=submit]").click()  # htmx swaps the steps
    first = page.locator("article.proc-step").first
    await first.get_by_text("说明书.pdf").wait_for()
    assert "资料已上传" in await first.inner_text()
    await first.locator("form[action$='/complete'] button[type=submit]").click()
    first = page.locator("article.proc-step").first
    await first.get_by_text("步骤已完成").wait_for()
    assert "已完成 1 / 10 步" in await page.inner_text(".proc-head")
    await first.screenshot(path=str(screens.dir / "step-done.png"))
    await page.goto(f"/procedures?project={project.id}")
    await screens.shot(page, "list")
    await assert_accessible(page, "list")
