"""Sizes shared by both render paths (server/photos/imaging.py with Pillow,
server/photos/imaging_vips.py with libvips): one definition, so both make the
same display and thumbnail sizes."""
from __future__ import annotations


def fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled down so its longest side is at most `max_side`; never up."""
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))
