"""Each document as PDF, end to end (issue 13, "PDF documents"): a person presses
"Download PDF", a real arq worker (burst mode) renders it with WeasyPrint, the
progress turns into the download, and the PDF is opened: its text holds the
Chinese unit number, descriptions and amounts, the legal records their SHA-256,
the inspection report its photos. Access is the page's: 403 for a wrong role,
404 for a foreign object, the download and the progress included."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.dataset import build
from tests.reports.support import FILE_RE, PROGRESS_RE, ask_pdf, fetch_pdf, pdf_fonts, pdf_image_count, pdf_text

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "reports"


def _flat(text: str) -> str:
    return "".join(text.split())


def _keep_png(data: bytes, name: str) -> Path:
    """The first page as PNG under test-output/ (PDFium), for a person to look at."""
    import pypdfium2

    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{name}.pdf").write_bytes(data)
    page = pypdfium2.PdfDocument(data)[0]
    path = OUTPUT / f"{name}.png"
    page.render(scale=1.5).to_pil().save(path)
    return path


async def test_every_document_renders_with_its_chinese_text_hashes_and_photos(personas):
    from server.delivery.tables import ConfirmedArea, DeliveryConfirmation
    from server.handover.tables import KeyHandover
    from server.inspections.tables import RectificationNotice
    from server.org.tables import Unit

    data = await build(personas)
    await ConfirmedArea(unit=data["unit_id"], registered_area=Decimal("92.18"), source="确权面积.xlsx").save().run()
    carol = await personas.browser("carol")
    unit = await Unit.objects().get(Unit.id == data["unit_id"]).run()

    report, _ = await fetch_pdf(carol, f"/documents/inspection-report/{data['inspection_id']}")
    text = pdf_text(report)
    assert "验房报告" in text and "墙面空鼓" in text and "地漏堵塞" in text
    assert pdf_image_count(report) == 4  # the defects' three photos and the floor plan with their pins
    assert all("CS-Noto-Sans-SC" in name for name in pdf_fonts(report))
    assert _keep_png(report, "inspection-report").stat().st_size > 10_000

    notice_row = await RectificationNotice.objects().get(RectificationNotice.id == data["notice_id"]).run()
    notice, _ = await fetch_pdf(carol, f"/documents/rectification-notice/{data['notice_id']}")
    text = _flat(pdf_text(notice))
    assert "整改通知单" in text and notice_row.number in text and "墙面空鼓" in text and "BuilderA" in text
    assert pdf_image_count(notice) >= 2

    handover = await KeyHandover.objects().get(KeyHandover.id == data["handover_id"]).run()
    receipt, _ = await fetch_pdf(carol, f"/documents/key-handover-receipt/{handover.id}")
    text = _flat(pdf_text(receipt))
    assert "钥匙交接单" in text and unit.number in text
    assert handover.content_sha256 in text
    assert pdf_image_count(receipt) >= 2  # both signatures

    confirmation = await DeliveryConfirmation.objects().get(DeliveryConfirmation.id == data["confirmation_id"]).run()
    confirmed, _ = await fetch_pdf(carol, f"/documents/delivery-confirmation/{confirmation.id}")
    text = _flat(pdf_text(confirmed))
    assert "交付确认书" in text and "业主1" in text and "卧室门把手松动" in text
    assert confirmation.content_sha256 in text

    from server.delivery.statement import statement_sha256, unit_statement

    statement, _ = await fetch_pdf(carol, f"/documents/settlement-statement/{data['unit_id']}")
    text = _flat(pdf_text(statement))
    digest = statement_sha256(await unit_statement(data["unit_id"]))
    assert "面积差价结算单" in text and unit.number in text and digest in text
    # 89.50 m² contracted, 92.18 registered (+2.99 %), 30,000 yuan/m²: the buyer pays 80,400.00.
    assert "80,400.00" in text and "92.18" in text
    # The monthly inquiry summary: its figures and top questions as text, not its forms.
    summary, _ = await fetch_pdf(carol, f"/documents/inquiry-summary/{data['summary_id']}")
    text = _flat(pdf_text(summary))
    assert "卫生间漏水怎么办" in text and "阳光花园" in text and "保存" not in text
    assert (await ask_pdf(await personas.browser("bob"), f"/documents/inquiry-summary/{data['summary_id']}")
            ).status_code == 403
    # The page shows the same digest.
    page = await carol.get(f"/delivery/units/{data['unit_id']}/statement")
    assert digest in page.text and "/documents/settlement-statement/" in page.text


async def test_access_is_the_pages_own(personas):
    data = await build(personas)
    carol, bob, ian = [await personas.browser(n) for n in ("carol", "bob", "ian")]
    report = f"/documents/inspection-report/{data['inspection_id']}"
    r = await ask_pdf(carol, report)
    digest = PROGRESS_RE.search(r.text).group(1).rsplit("/", 1)[1]

    # A contractor never sees inspection reports (the page's role guard): 403, nothing queued.
    assert (await ask_pdf(bob, report)).status_code == 403
    assert (await bob.get(f"{report}/progress/{digest}")).status_code == 403
    assert (await bob.get(report)).status_code == 403
    # Builder B's contractor may read notices, but not Builder A's: 404.
    bert = await personas.browser("bert")
    notice = f"/documents/rectification-notice/{data['notice_id']}"
    assert (await ask_pdf(bert, notice)).status_code == 404
    assert (await ask_pdf(bob, notice)).status_code == 200
    # A unit that does not exist, and another owner's statement: 404.
    assert (await ask_pdf(carol, "/documents/inspection-report/999999")).status_code == 404
    owner = data["owner_browser"]
    owner_csrf = owner.cookies.get("csrftoken")
    if owner_csrf:
        owner.headers["X-CSRFToken"] = owner_csrf
    other = await _other_unit(data["unit_id"])
    assert (await owner.get(f"/documents/settlement-statement/{other}/progress/{digest}")).status_code == 404
    assert (await ask_pdf(owner, f"/documents/settlement-statement/{other}")).status_code == 404

    # The file is checked too: made for carol, fetched by a signed-out client and by the contractor.
    pdf_data, digest = await fetch_pdf(carol, report)
    file_url = f"{report}/file/{digest}"
    assert (await bob.get(file_url)).status_code == 403
    assert (await ian.get(file_url)).status_code == 200
    anonymous = personas.app and (await personas.api("olga"))
    assert (await anonymous.get(file_url)).status_code == 403
    assert (await carol.get(f"{report}/file/{'0' * 64}")).status_code == 404


async def _other_unit(unit_id: int) -> int:
    from server.org.tables import Unit

    row = await Unit.select(Unit.id).where(Unit.id != unit_id).order_by(Unit.id).first().run()
    return row["id"]
