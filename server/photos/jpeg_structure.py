"""Checking that a JPEG upload is whole without decoding its 12 megapixels.

Decoding a phone photo to prove it is complete costs 25-30 ms of the web
process's CPU even at 1/8 scale (libjpeg must still Huffman-decode every
coefficient to find the end), the largest part of an upload's time
(bench/results/photos.md). What that decode proves, this proves more cheaply:

1. `scan_bounds` walks the file's marker segments (lengths checked) from SOI
   through every scan to the EOI of the first picture, jumping over the
   entropy-coded data with a C-speed search for the next marker. A file cut off
   anywhere has no EOI and is refused; so is one whose segments overrun the file.
   Bytes after the EOI (an MPO's second picture, a phone's trailer) are allowed,
   as libjpeg allows them; a ZIP appended there is refused by the caller.
2. `probe` is the file up to a little way into its first scan, closed with an
   EOI: decoding it at 1/8 scale (`imaging.inspect`) makes libjpeg read and
   check every table and the frame header it will decode with, and decode the
   first rows, in well under a millisecond.

The worker decodes every byte later; a file that passes this and still fails
there (its entropy data corrupted in the middle: libjpeg then only warns, and
Pillow's full decode accepted it too) is recorded `failed`, "could not be read".
"""
from __future__ import annotations

import mmap
import re
import struct

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
STANDALONE = {0x01, *range(0xD0, 0xD8)}
"""TEM and RST0-7 carry no length."""
PROBE_BYTES = 64 * 1024
"""Entropy-coded bytes of the first scan decoded by the probe: the first rows."""
# Inside entropy-coded data a 0xFF byte is followed by 0x00 (stuffing) or a restart
# marker; anything else starts the next marker segment (0xFF fill bytes may precede it).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


class NotWhole(Exception):
    """The JPEG's structure is broken or cut off."""


def scan_bounds(data: bytes | mmap.mmap) -> tuple[int, int, int]:
    """(start of the first scan's entropy-coded data, its end, end of the EOI marker) of
    the first picture in `data`; raise NotWhole when the segments do not lead to an EOI."""
    if data[:2] != b"\xff\xd8":
        raise NotWhole("no SOI")
    size, pos = len(data), 2
    first_scan: tuple[int, int] | None = None
    while True:
        if pos < size and data[pos] != 0xFF:
            # Junk between segments: libjpeg skips it to the next marker with a warning; so do we.
            pos = data.find(b"\xff", pos)
        if pos < 0 or pos >= size:
            raise NotWhole("cut off between segments")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise NotWhole("cut off in a marker")
        marker = data[pos]
        pos += 1
        if marker == EOI:
            if first_scan is None:
                raise NotWhole("EOI before any scan")
            return first_scan[0], first_scan[1], pos
        if marker in STANDALONE:
            continue
        if marker == SOI or pos + 2 > size:
            raise NotWhole(f"bad marker {marker:#x} at {pos - 1}")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > size:
            raise NotWhole(f"segment {marker:#x} at {pos - 1} overruns the file")
        pos += length
        if marker == SOS:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                raise NotWhole("scan data without an end")
            if first_scan is None:
                first_scan = (pos, found.start())
            pos = found.start()


def probe(data: bytes | mmap.mmap, first_scan: int, first_scan_end: int) -> bytes:
    """The file up to PROBE_BYTES into its first scan (never past that scan), closed with an EOI."""
    return bytes(data[:min(first_scan_end, first_scan + PROBE_BYTES)]) + b"\xff\xd9"
