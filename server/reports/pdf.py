"""HTML to PDF (WeasyPrint), for the documents of server/reports/documents.py.

The HTML is a page template rendered for paper (server.web.templating.render_for_paper);
this module only turns it into a PDF, and keeps the PDFs:

- **Fonts.** Every text is set in Noto Sans SC, loaded by @font-face from
  static/vendor/noto-sans-sc/ (static/css/pdf.css), so Chinese renders on a machine
  without any CJK font installed. WeasyPrint embeds only the glyphs a document uses.
- **What the HTML may load.** Files under static/ (the page's CSS), and the images the
  document named in `images` ({url: [storage key, printed width in mm]}). Anything else
  (a link to the network, a file path) is refused, so a description typed by a user can
  never make the renderer fetch something.
- **Photos for print.** Each image is downscaled to ~150 dpi at its printed width
  (Pillow), so a report with 200 photos stays small.
- **Cache.** A PDF is stored (MEDIA_ROOT or the bucket) as reports/<kind>/<object>/<hash>.pdf, the
  hash over the HTML, the images and the renderer's version: an unchanged document is
  not rendered twice. When a document's content changes, its new PDF supersedes the
  old one, which is deleted: reports/<kind>/<object>/current-<language> names the
  newest hash per language (the same record in Chinese and in English is two
  documents, both kept), so the cache holds one PDF per document and language.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import mimetypes
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from PIL import Image, ImageOps

from server.photos.storage import get_storage
from server.settings import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"
PDF_CSS = STATIC_DIR / "css" / "pdf.css"
PRINT_DPI = 150
CACHE_VERSION = "1"
"""Change it when a change of the renderer (fonts, pdf.css) must make every PDF again."""

renders = 0
"""How many PDFs this process has rendered (the cache test counts them)."""
_count_lock = threading.Lock()


def renderer_version() -> str:
    import weasyprint

    return f"{CACHE_VERSION}/weasyprint-{weasyprint.__version__}/{hashlib.sha256(PDF_CSS.read_bytes()).hexdigest()}"


def content_hash(html: str, images: dict[str, list]) -> str:
    """The SHA-256 a document's PDF is cached under."""
    digest = hashlib.sha256(renderer_version().encode())
    digest.update(b"\x00" + html.encode())
    digest.update(b"\x00" + json.dumps(images, sort_keys=True).encode())
    return digest.hexdigest()


def pdf_key(kind: str, object_id: int, digest: str) -> str:
    return f"reports/{kind}/{int(object_id)}/{digest}.pdf"


def failed_key(kind: str, object_id: int, digest: str) -> str:
    return f"reports/{kind}/{int(object_id)}/{digest}.failed"


def current_key(kind: str, object_id: int, language: str) -> str:
    """Names the newest hash of a document in one language (its text is the hash)."""
    safe = "".join(c for c in language if c.isalnum() or c in "_-") or "any"
    return f"reports/{kind}/{int(object_id)}/current-{safe}"


def is_digest(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def print_image(data: bytes, width_mm: float) -> bytes:
    """A JPEG of at most PRINT_DPI at `width_mm` printed width (never enlarged)."""
    most = max(1, round(width_mm / 25.4 * PRINT_DPI))
    with Image.open(io.BytesIO(data)) as image:
        # A JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that is still at least twice the
        # target (libjpeg's DCT scaling): a 1600 px display image costs a fraction of a full decode.
        image.draft("RGB", (most * 2, most * 2))
        image = ImageOps.exif_transpose(image)
        if image.width > most:
            image = image.resize((most, max(1, round(image.height * most / image.width))), Image.LANCZOS,
                                 reducing_gap=2.0)
        if image.mode in ("RGBA", "LA", "P", "PA"):  # a signature: its transparent paper is white
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, dpi=(PRINT_DPI, PRINT_DPI))
        return out.getvalue()


def _fetcher(images: dict[str, list], read: Callable[[str], bytes] | None):
    """A WeasyPrint fetcher that answers files under static/ and the document's images, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static = STATIC_DIR.resolve()

    class DocumentFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise ValueError(f"not part of the document: {url}")
            path = unquote(parts.path)
            image = images.get(path)
            if image is not None and read is not None:
                return URLFetcherResponse(url, print_image(read(image[0]), float(image[1])),
                                          {"Content-Type": "image/jpeg"})
            local = (static / path[len("/static/"):] if path.startswith("/static/") else Path(path)).resolve()
            if not local.is_relative_to(static) or not local.is_file():
                raise ValueError(f"not part of the document: {url}")
            kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, local.read_bytes(), {"Content-Type": kind})

    return DocumentFetcher()


def render_pdf(html: str, images: dict[str, list], read: Callable[[str], bytes] | None = None) -> bytes:
    """The PDF of a document's HTML (synchronous and CPU-bound: the worker runs it in its executor).
    `read(key)` answers a stored image's bytes, one at a time, as WeasyPrint asks for them."""
    global renders
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetch = _fetcher(images, read)
    # Relative to the project: "/static/a.css" is file:///static/a.css, "/photos/1/thumb" is
    # file:///photos/1/thumb (an image the document named); the fetcher maps them.
    base = "file:///"
    stylesheet = CSS(filename=str(PDF_CSS), font_config=fonts, url_fetcher=fetch)
    pdf = HTML(string=html, base_url=base, url_fetcher=fetch, media_type="print").write_pdf(
        stylesheets=[stylesheet], font_config=fonts)
    with _count_lock:
        renders += 1
    return pdf


async def store(kind: str, object_id: int, digest: str, html: str, images: dict[str, list],
                executor: Executor | None, language: str = "") -> bool:
    """Render (in `executor`) and keep the PDF unless it is kept already; True when it rendered. The
    document's PDF of an older hash in the same language is deleted (superseded)."""
    storage = get_storage()
    key = pdf_key(kind, object_id, digest)
    if await storage.exists(key):
        return False
    loop = asyncio.get_running_loop()

    def read(image_key: str) -> bytes:
        # Called by WeasyPrint in the executor thread: the storage is async and lives on the loop.
        return asyncio.run_coroutine_threadsafe(storage.read_bytes(image_key), loop).result(timeout=120)

    try:
        await storage.put_bytes(key, await loop.run_in_executor(executor, render_pdf, html, images, read))
    except Exception:
        await storage.put_bytes(failed_key(kind, object_id, digest), b"")
        raise
    await storage.delete(failed_key(kind, object_id, digest))
    await supersede(kind, object_id, digest, language)
    return True


async def supersede(kind: str, object_id: int, digest: str, language: str) -> None:
    """Make `digest` the document's newest PDF in `language`; the one it replaces is deleted.
    A page still offering the old download then answers 404, and asking again gives the new one."""
    storage = get_storage()
    pointer = current_key(kind, object_id, language)
    previous = ""
    try:
        previous = (await storage.read_bytes(pointer))[:64].decode("ascii", "replace")
    except FileNotFoundError:
        pass
    await storage.put_bytes(pointer, digest.encode())
    if previous != digest and is_digest(previous):
        await storage.delete(pdf_key(kind, object_id, previous))
        await storage.delete(failed_key(kind, object_id, previous))
