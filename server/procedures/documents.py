"""Documents attached to procedure steps: what we accept, found by looking at the bytes.

A client's file name and Content-Type are never trusted: the first bytes say
what a file is (PDF, an Office file, or a photo), and only those kinds are
kept. Files go to the same storage backend as photos (`server.photos.storage`)
under keys, never paths, so an object store can replace the local disk.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from server import clock
from server.errors import Invalid
from server.i18n import _
from server.photos.errors import TooLarge, UnsupportedMedia
from server.photos.storage import get_storage
from server.settings import get_settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Old binary Office files share one container format; the name's extension picks the label.
OLE_TYPES = {"xls": "application/vnd.ms-excel", "doc": "application/msword"}
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp"})
"""Shown in the browser; everything else downloads."""


@dataclass(frozen=True)
class Kind:
    media_type: str
    extension: str


def max_bytes() -> int:
    """The largest document accepted: the same limit as a photo (UPLOAD_MAX_BYTES)."""
    return get_settings().upload_max_bytes


def too_large() -> TooLarge:
    return TooLarge(_("The file is larger than %(n)s MB.", n=max(1, max_bytes() // (1024 * 1024))))


def _office_kind(path: Path) -> Kind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    if "xl/workbook.xml" in names:
        return Kind(XLSX, "xlsx")
    if "word/document.xml" in names:
        return Kind(DOCX, "docx")
    return None


def sniff(path: Path, filename: str) -> Kind | None:
    """What the file is, from its first bytes (and, for a zip, its contents); None if not accepted."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"%PDF-"):
        return Kind("application/pdf", "pdf")
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("image/png", "png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind("image/webp", "webp")
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return Kind("image/heic", "heic")
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        extension = extension if extension in OLE_TYPES else "xls"
        return Kind(OLE_TYPES[extension], extension)
    return None


def clean_filename(filename: str, kind: Kind) -> str:
    """The client's name for display and download: no path, no control characters, our extension."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    stem = name.rsplit(".", 1)[0].strip() if "." in name else name
    return f"{(stem or 'document')[:150]}.{kind.extension}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Stored:
    key: str
    kind: Kind
    filename: str
    size: int
    sha256: str


async def store(path: Path, size: int, filename: str) -> Stored:
    """Check a received file and move it into storage. Refuses empty, oversize and unknown files."""
    if size == 0:
        raise Invalid(_("The file is empty."), field_errors={"file": _("The file is empty.")})
    if size > max_bytes():
        raise too_large()
    kind = await asyncio.to_thread(sniff, path, filename)
    if kind is None:
        raise UnsupportedMedia(_("This kind of file is not accepted. Upload a PDF, an Excel or Word file, "
                                 "or a photo."))
    sha256 = await asyncio.to_thread(_sha256, path)
    today = clock.today()
    key = f"documents/{today:%Y/%m}/{secrets.token_hex(16)}.{kind.extension}"
    await get_storage().put_file(key, path)
    return Stored(key=key, kind=kind, filename=clean_filename(filename, kind), size=size, sha256=sha256)
