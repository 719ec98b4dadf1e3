"""Real image bytes for the photo tests, made with Pillow and pillow_heif."""
from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

RED, BLUE = (230, 20, 20), (20, 20, 230)
GPS_IFD = 0x8825


def upright_red_over_blue(size: tuple[int, int]) -> Image.Image:
    """As the viewer should see it: top half red, bottom half blue."""
    im = Image.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0], size[1] // 2))
    return im


def phone_jpeg(upright: tuple[int, int] = (3000, 4000), *, orientation: int = 6,
               taken: str | None = "2025:03:14 09:26:53", offset: str | None = "+08:00") -> bytes:
    """A portrait photo the way a phone stores it: pixels sideways plus an
    EXIF orientation, with capture time, GPS, an XMP packet and a comment."""
    stored = upright_red_over_blue(upright)
    if orientation == 6:  # the viewer turns it 90 degrees clockwise, so it is stored turned back
        stored = stored.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    sub = exif.get_ifd(0x8769)
    if taken:
        sub[0x9003] = taken
    if offset:
        sub[0x9011] = offset
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 14.0, 5.5), "E", (121.0, 28.0, 12.25)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>31,14.09N</exif:GPSLatitude></x:xmpmeta>'
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=90, exif=exif.tobytes(), xmp=xmp, comment=b"secret site notes")
    return out.getvalue()


def plain_jpeg(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (90, 140, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=85)
    return out.getvalue()


def transparent_png(size: tuple[int, int] = (2400, 1200)) -> bytes:
    """A floor plan drawn on a transparent canvas: left half transparent, right half dark lines."""
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    im.paste((40, 40, 40, 255), (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def heic(size: tuple[int, int] = (1200, 900)) -> bytes:
    out = io.BytesIO()
    upright_red_over_blue(size).save(out, "HEIF", quality=70)
    return out.getvalue()


def webp(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "WEBP", quality=80)
    return out.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size, written row by row: 30000x30000 is
    about 110 kB on disk and would be 900 MP (2.7 GB as RGB) decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's header segments, up to the image data
    (0xE0 APP0/JFIF, 0xE1 APP1/EXIF or XMP, 0xE2 APP2/ICC, 0xFE comment...)."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while i < len(data):
        assert data[i] == 0xFF
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        i += 2 + length
    return markers


def color_at(data: bytes, where: tuple[float, float]) -> tuple[int, int, int]:
    im = Image.open(io.BytesIO(data)).convert("RGB")
    return im.getpixel((int(where[0] * (im.width - 1)), int(where[1] * (im.height - 1))))


def looks_red(rgb: tuple[int, int, int]) -> bool:
    return rgb[0] > 180 and rgb[2] < 80


def looks_blue(rgb: tuple[int, int, int]) -> bool:
    return rgb[2] > 180 and rgb[0] < 80
