"""The pure image code, without the web app or a worker around it."""
from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from server.photos import imaging
from tests.photos import images
from tests.photos.support import media_files, new_client_id, photo_count, post_floor_plan


@pytest.mark.parametrize(("size", "fitted"), [
    ((4000, 3000), (1600, 1200)),
    ((3000, 4000), (1200, 1600)),
    ((1600, 900), (1600, 900)),
    ((800, 600), (800, 600)),  # never enlarged
    ((10000, 10), (1600, 2)),
    ((20000, 1), (1600, 1)),  # never below one pixel
])
def test_sizes_fit_the_longest_side(size, fitted):
    assert imaging.fitted_size(size, 1600) == fitted


def test_quarter_turns_swap_width_and_height():
    assert imaging.upright_size((4000, 3000), 6) == (3000, 4000)
    assert imaging.upright_size((4000, 3000), 3) == (4000, 3000)


def test_pillows_bomb_warning_is_a_rejection(tmp_path):
    # 100 MP is above Pillow's warning threshold (89 MP) but below its error (179 MP).
    path = tmp_path / "warn.png"
    path.write_bytes(images.huge_png(10_000, 10_000))
    with pytest.raises(imaging.ImageRejected) as caught:
        imaging.inspect(path, max_pixels=10**12)  # our own limit out of the way
    assert caught.value.reason == imaging.ImageRejected.TOO_MANY_PIXELS


def test_a_cut_off_jpeg_is_refused_even_after_the_pdf_renderer_loosened_pillow(tmp_path):
    from PIL import ImageFile

    import weasyprint  # noqa: F401 - its import sets LOAD_TRUNCATED_IMAGES for the whole process

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as weasyprint leaves it, whichever test imported it first
    data = images.phone_jpeg((600, 800))
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(imaging.ImageRejected) as caught:
        imaging.inspect(path, max_pixels=10**8)
    assert caught.value.reason == imaging.ImageRejected.BROKEN


def test_our_pixel_limit_applies_below_pillows(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(images.plain_jpeg((2000, 1000)))
    with pytest.raises(imaging.ImageRejected) as caught:
        imaging.inspect(path, max_pixels=1_000_000)
    assert caught.value.reason == imaging.ImageRejected.TOO_MANY_PIXELS


def _exif(taken: str | None, offset: str | None = None) -> Image.Exif:
    exif = Image.Exif()
    sub = exif.get_ifd(imaging.EXIF_IFD)
    if taken is not None:
        sub[imaging.EXIF_DATETIME_ORIGINAL] = taken
    if offset is not None:
        sub[imaging.EXIF_OFFSET_TIME_ORIGINAL] = offset
    return exif


@pytest.mark.parametrize(("taken", "offset", "expected"), [
    ("2025:03:14 09:26:53", "-05:00", datetime(2025, 3, 14, 14, 26, 53, tzinfo=timezone.utc)),
    ("2025:03:14 09:26:53", None, datetime(2025, 3, 14, 1, 26, 53, tzinfo=timezone.utc)),  # China time
    ("2025:03:14 09:26:53", "garbage", datetime(2025, 3, 14, 1, 26, 53, tzinfo=timezone.utc)),
    ("0000:00:00 00:00:00", None, None),
    ("yesterday", None, None),
    (None, None, None),
])
def test_capture_time(taken, offset, expected):
    assert imaging.captured_at(_exif(taken, offset)) == expected


def test_16_bit_greys_and_palettes_render(tmp_path):
    grey = tmp_path / "grey16.png"
    Image.new("I;16", (64, 32), 40000).save(grey)
    shade = Image.open(io.BytesIO(imaging.render(grey).display)).convert("L").getpixel((1, 1))
    assert 150 < shade < 162  # 40000/65535 of white, not clipped to white
    palette = tmp_path / "palette.png"
    Image.new("P", (64, 32), 3).save(palette)
    assert imaging.render(palette).display_size == (64, 32)


def test_the_jpeg_draft_asks_for_the_fitted_size(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(images.plain_jpeg((4000, 3000)))
    with Image.open(path) as im:  # what render() does: 1600x1200 lets libjpeg decode at 1/2 scale
        im.draft("RGB", imaging.fitted_size(im.size, imaging.DISPLAY_MAX_SIDE))
        assert im.size == (2000, 1500)
    with Image.open(path) as im:  # a square request would decode at full size
        im.draft("RGB", (1600, 1600))
        assert im.size == (4000, 3000)


async def test_the_same_client_id_twice_at_once_makes_one_photo(alice, unit_type):
    client_id = new_client_id()
    before = await media_files()
    first, second = await asyncio.gather(
        post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id=client_id),
        post_floor_plan(alice, unit_type.id, images.plain_jpeg(), client_id=client_id),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["photo"]["id"] == second.json()["photo"]["id"]
    assert await photo_count() == 1
    assert len(set(await media_files()) - set(before)) == 1  # one original; the loser's file was removed
    assert timedelta(0) <= datetime.now(timezone.utc) - datetime.fromisoformat(first.json()["photo"]["created_at"])
