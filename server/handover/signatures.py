"""On-screen signatures: PNG data URLs from the signature pad, checked by decoding."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIDE = 4000
MIN_INK_PIXELS = 30
"""Fewer drawn pixels than this is an empty pad or an accidental tap, not a signature."""


class BadSignature(ValueError):
    pass


@dataclass(frozen=True)
class Signature:
    png: bytes
    sha256: str


def signature_from_data_url(value: object) -> Signature:
    """Decode and check one signature; raises BadSignature with a reason."""
    if not isinstance(value, str) or not value.startswith(DATA_URL_PREFIX):
        raise BadSignature("not a PNG data URL")
    try:
        png = base64.b64decode(value[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("not base64") from None
    if not png or len(png) > MAX_SIGNATURE_BYTES:
        raise BadSignature("empty or too large")
    try:
        with Image.open(io.BytesIO(png)) as im:
            if im.format != "PNG" or max(im.size) > MAX_SIDE:
                raise BadSignature("not a PNG of a sensible size")
            im.load()
            ink = _ink_pixels(im)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BadSignature("not a readable PNG") from None
    if ink < MIN_INK_PIXELS:
        raise BadSignature("blank")
    return Signature(png=png, sha256=hashlib.sha256(png).hexdigest())


def _ink_pixels(im: Image.Image) -> int:
    """Drawn pixels: opaque ones on a transparent pad, dark ones on an opaque pad."""
    if im.mode in ("RGBA", "LA") or "transparency" in im.info:
        alpha = im.convert("RGBA").getchannel("A")
        return sum(alpha.point(lambda a: 255 if a > 32 else 0).histogram()[255:])
    grey = im.convert("L")
    return sum(grey.point(lambda v: 255 if v < 128 else 0).histogram()[255:])
