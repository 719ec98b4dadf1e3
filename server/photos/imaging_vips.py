"""The libvips renderer of ordinary phone JPEGs: the same display image and
thumbnail as `imaging.render`'s Pillow path, in about two thirds of the time
(bench/results/photos.md). `imaging.render` decides which path a file takes and
reads the header facts (orientation, capture time, ICC profile) with Pillow for
both, so the two paths differ only in the pixels' way from file to JPEG.

Why libvips is faster here: the JPEG is decoded at reduced scale exactly as
Pillow's `draft()` does (libjpeg's DCT scaling, the same factor), but libvips's
LANCZOS3 resize is vectorised (Highway SIMD) where Pillow's is not, and the
resize is the biggest step (2000x1500 -> 1600x1200).

Geometry follows `imaging` to the pixel: the same fitted sizes (hscale and
vscale are given separately, so rounding cannot differ) and the same
EXIF transposes, spelled as libvips rotations and flips (tests/photos/test_render_paths.py).

Settings made at import, for the worker's sake:
- the operation cache is off: every photo is seen once, a cache only holds memory;
- one thread per pipeline (unless VIPS_CONCURRENCY says otherwise): the worker
  processes are one per core, and their threads would only fight.
"""
from __future__ import annotations

import os
from typing import Any

from server.photos.geometry import fitted_size  # the one definition of the sizes, shared with Pillow's path

try:
    import pyvips
except (ImportError, OSError):  # OSError: the Python package without the libvips library
    pyvips = None

if pyvips is not None:
    pyvips.cache_set_max(0)
    if not os.environ.get("VIPS_CONCURRENCY"):
        pyvips.concurrency_set(1)

AVAILABLE = pyvips is not None

# EXIF orientation -> the libvips steps that make the picture upright: the same
# result as imaging.UPRIGHT_TRANSPOSE's Pillow transposes. ("rot", angle) turns
# clockwise; Pillow's ROTATE_270 (counter-clockwise) is a clockwise quarter turn.
UPRIGHT_STEPS: dict[int, tuple[tuple[str, str], ...]] = {
    2: (("flip", "horizontal"),),
    3: (("rot", "d180"),),
    4: (("flip", "vertical"),),
    5: (("rot", "d90"), ("flip", "horizontal")),
    6: (("rot", "d90"),),
    7: (("rot", "d270"), ("flip", "horizontal")),
    8: (("rot", "d270"),),
}


def jpeg_shrink(stored: tuple[int, int], target: tuple[int, int]) -> int:
    """The DCT scale Pillow's `draft()` picks: the largest of 8, 4, 2, 1 that keeps both sides >= target."""
    scale = min(stored[0] // target[0], stored[1] // target[1])
    return next(s for s in (8, 4, 2, 1) if scale >= s)


def render_jpeg(source: Any, stored_size: tuple[int, int], display_size: tuple[int, int], orientation: int,
                thumb_max_side: int, qualities: tuple[int, int],
                icc: bytes | None) -> tuple[bytes, bytes, tuple[int, int], tuple[int, int]]:
    """(display JPEG, thumbnail JPEG, display size, thumbnail size) of an RGB JPEG.

    `source` is a path or a binary file; `display_size` is the fitted size as stored
    (before orientation). A truncated file raises (pyvips.Error), as Pillow's path does."""

    shrink = jpeg_shrink(stored_size, display_size)
    options = {"shrink": shrink, "fail_on": "truncated", "access": "sequential"}
    if isinstance(source, (str, os.PathLike)):
        loaded = pyvips.Image.jpegload(os.fspath(source), **options)
    else:
        source.seek(0)
        loaded = pyvips.Image.jpegload_buffer(source.read(), **options)
    if (loaded.width, loaded.height) != display_size:
        loaded = loaded.resize(display_size[0] / loaded.width, vscale=display_size[1] / loaded.height,
                               kernel="lanczos3")
    # In memory before turning it: a rotation reads the rows out of order, and the
    # thumbnail and the display encoder both read it (2 MP, about 6 MB).
    display = loaded.copy_memory()
    for step, arg in UPRIGHT_STEPS.get(orientation, ()):
        display = display.rot(arg) if step == "rot" else display.flip(arg)
    thumb_size = fitted_size((display.width, display.height), thumb_max_side)
    thumb = display.resize(thumb_size[0] / display.width, vscale=thumb_size[1] / display.height,
                           kernel="lanczos3")
    return (_encode(display, qualities[0], icc), _encode(thumb, qualities[1], icc),
            (display.width, display.height), (thumb.width, thumb.height))


def _encode(image: Any, quality: int, icc: bytes | None) -> bytes:
    """Baseline JPEG, 4:2:0, no metadata but the RGB ICC profile `imaging` chose (as Pillow's path writes)."""
    if icc:
        image = image.copy()
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
        return image.jpegsave_buffer(Q=quality, keep="icc", subsample_mode="on")
    return image.jpegsave_buffer(Q=quality, keep="none", subsample_mode="on")
