"""Pure image code: checking an upload, and rendering the
display image and thumbnail. No database, no storage, no HTTP, no i18n:
callers hand in a path or file object and get bytes and facts back, so the
web app (validation) and the worker (rendering) share it, and the benchmark
times exactly what the worker runs.

Validation (`inspect`) decodes PNG, WebP and HEIF; a JPEG, nearly every upload, is
checked without decoding its megapixels (server/photos/jpeg_structure.py), which
took 25-30 ms of the web process's CPU per 12-MP photo.

Rendering: an RGB JPEG goes through libvips when it is installed
(server/photos/imaging_vips.py, a third faster: its resize is vectorised); the
rest, and everything without libvips, through Pillow, shaped as below.

Why the Pillow pipeline is shaped the way it is (measured, see bench/results/photos.md):
- A JPEG is decoded at reduced scale with `draft()`. libjpeg can only scale
  by 1/2, 1/4 or 1/8 and Pillow picks the largest factor that keeps BOTH
  sides >= the size asked for, so we must ask for the fitted size
  (1600x1200 for a 4:3 photo); asking for 1600x1600 would decode at full size.
- Rotation (EXIF orientation) is applied after resizing: rotating 2 MP
  instead of 12 MP.
- The thumbnail is made from the display image with LANCZOS (after a 2x
  box pre-shrink, see THUMB_REDUCING_GAP); a box `reduce()` alone is cheaper
  but visibly aliased.
- Output is always JPEG. Transparent PNG/WebP (floor plans drawn on a
  transparent canvas) is flattened onto white, which is what a plan printed
  on paper looks like, so every variant has one media type.
- Nothing of the original's metadata is copied: no EXIF (GPS, camera
  serials), no XMP, no comments. Only an RGB ICC profile is kept, because
  dropping a Display-P3 profile would shift the colours.
"""
from __future__ import annotations

import io
import mmap
import os
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any

import pillow_heif
from PIL import Image, ImageFile, UnidentifiedImageError

from server.clock import CHINA
from server.photos import imaging_vips, jpeg_structure
from server.photos.geometry import fitted_size

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
DISPLAY_MAX_SIDE = 1600
THUMB_MAX_SIDE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 80
FLATTEN_BACKGROUND = (255, 255, 255)
# Pillow first shrinks by an integer factor with a box filter, then
# LANCZOS-resizes the rest; at a gap of 3 the result is indistinguishable
# from a pure LANCZOS resize (Pillow docs) and much faster for big PNGs.
DISPLAY_REDUCING_GAP = 3.0
# After libjpeg's DCT scaling a JPEG is less than 2x its display size (2000 -> 1600 for
# 12 MP): for so small a step BICUBIC is 10 % faster than LANCZOS (11 ms a photo) and
# as close to naive Pillow (41.5 vs 42.0 dB PSNR, bench/results/photos.md). Other
# formats are not drafted and may shrink 5x or more: they keep LANCZOS.
DRAFTED_DISPLAY_FILTER = Image.Resampling.BICUBIC
# The thumbnail is a 5x reduction of the display image: Pillow first halves
# it with a box filter, then LANCZOS does the remaining 2.5x. That takes
# ~6 ms instead of ~16 ms, and differs from a pure LANCZOS thumbnail by
# ~44 dB PSNR once encoded (bench/results/photos.md): invisible at 320 px. A box
# `reduce(5)` alone would be cheaper still, but aliases visibly.
THUMB_REDUCING_GAP = 2.0
# The JPEG check's decode of the first rows (jpeg_structure.probe) runs at 1/8
# scale: libjpeg still checks every table, and allocates 1/64 of the pixels.
VALIDATION_DRAFT_SCALE = 8
# The EXIF standard keeps EXIF in one JPEG APP1 segment, so no camera writes
# more than 64 KB of it (thumbnail included); more, in a PNG/WebP/HEIF chunk
# or spread over several segments, is a file made to hurt the EXIF reader.
MAX_EXIF_BYTES = 64 * 1024

# Phones in China write local time without an offset; when
# OffsetTimeOriginal is missing we assume China Standard Time (UTC+8),
# which is where this product's photos are taken.
DEFAULT_CAPTURE_TZ = CHINA

EXIF_ORIENTATION = 0x0112
EXIF_IFD = 0x8769
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_OFFSET_TIME_ORIGINAL = 0x9011

# EXIF orientation -> the transpose that makes the picture upright.
UPRIGHT_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRejected(Exception):
    """The file is not an image we accept; `reason` is one of the constants."""

    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    BROKEN = "broken"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_MUCH_METADATA = "too_much_metadata"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImageFacts:
    format: str
    """One of ACCEPTED_FORMATS."""
    width: int
    """As stored (before EXIF orientation)."""
    height: int


@dataclass(frozen=True)
class Rendered:
    display: bytes
    thumb: bytes
    display_size: tuple[int, int]
    thumb_size: tuple[int, int]
    width: int
    """Upright size of the original."""
    height: int
    captured_at: datetime | None


def _strict_decoding() -> None:
    # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that. We make the
    # warning an exception. Not with `warnings.catch_warnings()`: it swaps the
    # process-wide filter list and is not thread-safe, and this runs in
    # threads. Adding the same filter again is idempotent (it moves to the front).
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    # WeasyPrint (imported by this same process to render PDFs) sets Pillow's
    # process-wide LOAD_TRUNCATED_IMAGES at import, after which a cut-off JPEG
    # would decode "fine" with a grey bottom. Validation must refuse it.
    ImageFile.LOAD_TRUNCATED_IMAGES = False


# ---------------------------------------------------------------- geometry

def orientation_of(exif: Any) -> int:
    value = exif.get(EXIF_ORIENTATION, 1) if exif else 1
    return value if value in UPRIGHT_TRANSPOSE else 1


def upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Orientations 5-8 turn the picture by 90 degrees: width and height swap."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def captured_at(exif: Any) -> datetime | None:
    """DateTimeOriginal (+ OffsetTimeOriginal) as an aware datetime, or None."""
    if exif is None:
        return None
    try:
        sub = exif.get_ifd(EXIF_IFD)
        raw = str(sub.get(EXIF_DATETIME_ORIGINAL) or "").strip().rstrip("\x00")
        if not raw:
            return None
        moment = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
        offset = str(sub.get(EXIF_OFFSET_TIME_ORIGINAL) or "").strip().rstrip("\x00")
        tz = _parse_offset(offset) or DEFAULT_CAPTURE_TZ
    except (ValueError, TypeError, KeyError, OSError):
        return None  # cameras write "0000:00:00 00:00:00" and worse; no date then
    if moment.year < 1990:
        return None
    return moment.replace(tzinfo=tz)


def _parse_offset(text: str) -> timezone | None:
    """"+08:00" / "-05:30" -> timezone; anything else -> None."""
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if text[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# ---------------------------------------------------------------- validation

def inspect(path: str | os.PathLike, *, max_pixels: int) -> ImageFacts:
    """Prove that `path` is a whole JPEG/PNG/WebP/HEIF image of acceptable
    size; raise ImageRejected otherwise. Names and MIME types the client sent
    are never trusted. PNG, WebP and HEIF are decoded; a JPEG (nearly every
    upload) is checked without decoding its megapixels: its structure through
    to the EOI, and a 1/8-scale decode of its first rows (server/photos/jpeg_structure.py)."""
    if os.path.getsize(path) == 0:
        raise ImageRejected(ImageRejected.EMPTY)
    _strict_decoding()
    try:
        with Image.open(path, formats=ACCEPTED_FORMATS) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageRejected(ImageRejected.TOO_MANY_PIXELS, f"{width}x{height}")
            image_format = "JPEG" if im.format == "MPO" else im.format
            if image_format == "JPEG":
                _check_jpeg(path, (width, height))
            else:
                im.load()
            exif_bytes = _exif_size(im)
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected(ImageRejected.TOO_MANY_PIXELS, str(exc)) from None
    except UnidentifiedImageError as exc:
        raise ImageRejected(ImageRejected.UNSUPPORTED, str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - each decoder fails its own way (OSError, SyntaxError, ValueError...)
        raise ImageRejected(ImageRejected.BROKEN, f"{type(exc).__name__}: {exc}") from None
    if image_format not in ACCEPTED_FORMATS:
        raise ImageRejected(ImageRejected.UNSUPPORTED, str(image_format))
    if exif_bytes > MAX_EXIF_BYTES:
        raise ImageRejected(ImageRejected.TOO_MUCH_METADATA, f"{exif_bytes} bytes of EXIF")
    if zipfile.is_zipfile(path):
        # An image that is also an archive (a ZIP, JAR, DOCX... appended after
        # the picture): whoever downloads the "photo" could be handed the archive.
        raise ImageRejected(ImageRejected.UNSUPPORTED, "also a ZIP archive")
    return ImageFacts(format=image_format, width=width, height=height)


def _check_jpeg(path: str | os.PathLike, size: tuple[int, int]) -> None:
    """A whole JPEG (its segments lead to an EOI) whose tables and frame libjpeg accepts."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            scan, scan_end, _ = jpeg_structure.scan_bounds(data)
        except jpeg_structure.NotWhole as exc:
            raise ImageRejected(ImageRejected.BROKEN, str(exc)) from None
        probe = jpeg_structure.probe(data, scan, scan_end)
    with Image.open(io.BytesIO(probe), formats=("JPEG", "MPO")) as head:
        head.draft(None, (max(1, size[0] // VALIDATION_DRAFT_SCALE), max(1, size[1] // VALIDATION_DRAFT_SCALE)))
        head.load()


def _exif_size(im: Image.Image) -> int:
    """Bytes of EXIF the file carries: every JPEG APP1 EXIF segment, else the format's EXIF chunk or box."""
    segments = [data for marker, data in getattr(im, "applist", []) if marker == "APP1" and data[:6] == b"Exif\0\0"]
    if segments:
        return sum(len(data) for data in segments)
    exif = im.info.get("exif")
    return len(exif) if isinstance(exif, (bytes, bytearray)) else 0


# ---------------------------------------------------------------- rendering

RENDERERS = ("vips", "pillow")


def default_renderer() -> str:
    """libvips when its package and library are installed (the pinned dependencies), else Pillow."""
    return "vips" if imaging_vips.AVAILABLE else "pillow"


def render(source: str | os.PathLike | IO[bytes], *, renderer: str | None = None) -> Rendered:
    """Decode an accepted original and make the display image and thumbnail.

    An RGB JPEG (nearly every phone photo) goes through libvips when it is installed
    (`server.photos.imaging_vips`); everything else, and everything when it is not,
    through Pillow. Both give the same sizes and orientation (tests/photos/test_render_paths.py)."""
    _strict_decoding()
    renderer = renderer or default_renderer()
    with Image.open(source, formats=ACCEPTED_FORMATS) as im:
        exif = im.getexif()
        orientation = orientation_of(exif)
        stored_size = im.size
        icc = _rgb_icc_profile(im.info.get("icc_profile"))
        target = fitted_size(stored_size, DISPLAY_MAX_SIDE)
        if renderer == "vips" and im.format in ("JPEG", "MPO") and im.mode == "RGB":
            display_jpeg, thumb_jpeg, display_size, thumb_size = imaging_vips.render_jpeg(
                source, stored_size, target, orientation, THUMB_MAX_SIDE, (DISPLAY_QUALITY, THUMB_QUALITY), icc)
            width, height = upright_size(stored_size, orientation)
            return Rendered(display=display_jpeg, thumb=thumb_jpeg, display_size=display_size,
                            thumb_size=thumb_size, width=width, height=height, captured_at=captured_at(exif))
        display_filter = Image.Resampling.LANCZOS
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB", target)  # see the module docstring: the FITTED size
            display_filter = DRAFTED_DISPLAY_FILTER
        rgb = _to_rgb(im)
        # Resize while the file is open: resize() makes the new image, so an
        # RGB original needs no extra full-size copy (close() frees its pixels).
        display = rgb.copy() if rgb.size == target else rgb.resize(target, display_filter,
                                                                   reducing_gap=DISPLAY_REDUCING_GAP)
    if orientation in UPRIGHT_TRANSPOSE:
        display = display.transpose(UPRIGHT_TRANSPOSE[orientation])  # after the resize: 6x fewer pixels
    thumb = display.resize(fitted_size(display.size, THUMB_MAX_SIDE), Image.Resampling.LANCZOS,
                           reducing_gap=THUMB_REDUCING_GAP)
    width, height = upright_size(stored_size, orientation)
    return Rendered(
        display=encode_jpeg(display, DISPLAY_QUALITY, icc),
        thumb=encode_jpeg(thumb, THUMB_QUALITY, icc),
        display_size=display.size,
        thumb_size=thumb.size,
        width=width,
        height=height,
        captured_at=captured_at(exif),
    )


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB (`im` itself when it already is): alpha flattened onto white, 16-bit scaled to 8-bit."""
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, FLATTEN_BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def _rgb_icc_profile(icc: bytes | None) -> bytes | None:
    # Bytes 16-20 of an ICC header name its colour space; a CMYK or grey
    # profile would be wrong on the RGB output, so only an RGB one is kept.
    return icc if icc and len(icc) > 20 and icc[16:20] == b"RGB " else None


def encode_jpeg(im: Image.Image, quality: int, icc: bytes | None = None) -> bytes:
    im.info = {}  # resize() copies `info`, and Pillow writes info["comment"] back
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if icc:
        options["icc_profile"] = icc
    im.save(buffer, "JPEG", **options)
    return buffer.getvalue()
