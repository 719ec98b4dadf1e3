"""Helpers for the PDF document tests: asking for a PDF as a person does, and reading it."""
from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

PROGRESS_RE = re.compile(r'hx-get="(/documents/[^"]+/progress/[0-9a-f]{64})(?:\?polls=\d+)?"')
FILE_RE = re.compile(r'href="(/documents/[^"]+/file/([0-9a-f]{64}))"')


async def ask_pdf(browser: Any, url: str) -> Any:
    """Press "Download PDF" (htmx): the progress fragment, or the download at once."""
    return await browser.post(url, headers={"HX-Request": "true"})


async def fetch_pdf(browser: Any, url: str) -> tuple[bytes, str]:
    """Ask for the PDF, let a real worker make it, follow the progress to the file."""
    from tests.photos.support import run_worker
    from workers.settings import WorkerSettings

    r = await ask_pdf(browser, url)
    assert r.status_code == 200, r.text[:300]
    found = FILE_RE.search(r.text)
    if found is None:
        progress = PROGRESS_RE.search(r.text)
        assert progress, r.text[:500]
        await run_worker(WorkerSettings)
        r = await browser.get(progress.group(1), headers={"HX-Request": "true"})
        assert r.status_code == 200
        found = FILE_RE.search(r.text)
        assert found, r.text[:500]
    r = await browser.get(found.group(1))
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    return r.content, found.group(2)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> dict[str, bytes]:
    """{BaseFont: embedded font file} of every font the PDF uses."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor), None)
            fonts[str(font["/BaseFont"])] = embedded.get_object().get_data() if embedded is not None else b""
    return fonts


def pdf_image_count(data: bytes) -> int:
    """Distinct images in the PDF (WeasyPrint's pages share one resource dictionary)."""
    return len({image.indirect_reference.idnum if image.indirect_reference else image.name
                for page in PdfReader(io.BytesIO(data)).pages for image in page.images})
