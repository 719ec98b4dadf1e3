"""The fast paths of issue 15 against naive Pillow: the worker's renderers (libvips for RGB
JPEGs when installed, Pillow for the rest and as the fallback) give the same sizes and
orientation and stay within 40 dB PSNR of naive Pillow; the upload check that does not
decode a JPEG's megapixels still refuses every broken one the full decode refused."""
from __future__ import annotations

import io
import math
import random

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter, ImageOps, ImageStat

from server.photos import imaging, imaging_vips, jpeg_structure
from tests.photos import images

needs_vips = pytest.mark.skipif(not imaging_vips.AVAILABLE, reason="pyvips / libvips not installed")
RENDERERS = ["pillow", pytest.param("vips", marks=needs_vips)]
MIN_PSNR = 40.0


def photo_like(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Smooth colour fields, hard edges and grain, as bench/photos.py makes them (smaller)."""
    rng = random.Random(seed)
    im = Image.frombytes("RGB", (8, 6), rng.randbytes(8 * 6 * 3)).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle((x, y, x + rng.randrange(40, 700), y + rng.randrange(40, 500)),
                       outline=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(2, 10))
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).filter(ImageFilter.GaussianBlur(0.7))
    return Image.blend(im.filter(ImageFilter.GaussianBlur(1.2)), noise.convert("RGB"), 0.2)


@pytest.fixture(scope="module")
def phone_photo() -> Image.Image:
    # 12 MP, as issue 15 measures: both paths decode at 1/2 scale, then resize 1.25x.
    return photo_like((4000, 3000))


def as_jpeg(im: Image.Image, orientation: int = 1, **options) -> bytes:
    exif = Image.Exif()
    exif[imaging.EXIF_ORIENTATION] = orientation
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92, exif=exif.tobytes(), **options)
    return out.getvalue()


def naive(data: bytes) -> tuple[Image.Image, Image.Image]:
    """What naive Pillow makes: the whole picture decoded, turned, LANCZOS to each size, and
    saved at the same JPEG qualities (as bench/photos.py compares them)."""
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    made = []
    for side, quality in ((imaging.DISPLAY_MAX_SIDE, imaging.DISPLAY_QUALITY),
                          (imaging.THUMB_MAX_SIDE, imaging.THUMB_QUALITY)):
        out = io.BytesIO()
        upright.resize(imaging.fitted_size(upright.size, side), Image.Resampling.LANCZOS).save(
            out, "JPEG", quality=quality)
        made.append(decoded(out.getvalue()))
    return made[0], made[1]


def psnr(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    rms = math.sqrt(sum(r * r for r in ImageStat.Stat(ImageChops.difference(a, b)).rms) / 3)
    return float("inf") if rms == 0 else 20 * math.log10(255 / rms)


def decoded(jpeg: bytes) -> Image.Image:
    return Image.open(io.BytesIO(jpeg)).convert("RGB")


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_each_path_is_within_40_db_of_naive_pillow_on_a_12_mp_photo(phone_photo, renderer, orientation):
    data = as_jpeg(phone_photo, orientation)
    naive_display, naive_thumb = naive(data)
    rendered = imaging.render(io.BytesIO(data), renderer=renderer)
    assert (rendered.display_size, rendered.thumb_size) == (naive_display.size, naive_thumb.size)
    assert (rendered.width, rendered.height) == imaging.upright_size((4000, 3000), orientation)
    assert psnr(decoded(rendered.display), naive_display) >= MIN_PSNR
    assert psnr(decoded(rendered.thumb), naive_thumb) >= MIN_PSNR


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("orientation", range(1, 9))
def test_each_path_turns_and_flips_as_naive_pillow_does(renderer, orientation):
    data = as_jpeg(photo_like((2000, 1500), seed=orientation), orientation)
    naive_display, naive_thumb = naive(data)
    rendered = imaging.render(io.BytesIO(data), renderer=renderer)
    assert (rendered.display_size, rendered.thumb_size) == (naive_display.size, naive_thumb.size)
    # The picture is not symmetric: a wrong turn or flip scores below 20 dB, the right one above 30.
    assert psnr(decoded(rendered.display), naive_display) >= 30
    assert psnr(decoded(rendered.thumb), naive_thumb) >= 30


@needs_vips
@pytest.mark.parametrize("size", [(4000, 3000), (3024, 4032), (4001, 2999), (1601, 1201), (1600, 1200),
                                  (800, 600), (3200, 2400), (6000, 999), (17, 4000)])
@pytest.mark.parametrize("orientation", [1, 6, 5])
def test_the_libvips_path_gives_pillows_sizes_whatever_the_shape(size, orientation):
    data = as_jpeg(Image.new("RGB", size, (120, 60, 30)), orientation)
    by_pillow = imaging.render(io.BytesIO(data), renderer="pillow")
    by_vips = imaging.render(io.BytesIO(data), renderer="vips")
    assert (by_vips.display_size, by_vips.thumb_size) == (by_pillow.display_size, by_pillow.thumb_size)
    assert decoded(by_vips.display).size == by_vips.display_size
    assert decoded(by_vips.thumb).size == by_vips.thumb_size
    assert (by_vips.width, by_vips.height, by_vips.captured_at) == (by_pillow.width, by_pillow.height,
                                                                      by_pillow.captured_at)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_sideways_phone_photo_comes_out_upright_and_bare_on_either_path(renderer):
    rendered = imaging.render(io.BytesIO(images.phone_jpeg((1200, 1600))), renderer=renderer)
    display = Image.open(io.BytesIO(rendered.display))
    assert display.size == (1200, 1600)
    assert display.convert("RGB").getpixel((600, 100))[0] > 200  # red on top: upright
    assert display.convert("RGB").getpixel((600, 1500))[2] > 200  # blue below
    assert not display.getexif() and "xmp" not in display.info and "comment" not in display.info
    assert rendered.captured_at is not None


@needs_vips
def test_the_libvips_path_keeps_an_rgb_icc_profile_and_only_that():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    photo_like((2000, 1500)).save(out, "JPEG", quality=90, icc_profile=icc)
    rendered = imaging.render(io.BytesIO(out.getvalue()), renderer="vips")
    for jpeg in (rendered.display, rendered.thumb):
        assert Image.open(io.BytesIO(jpeg)).info.get("icc_profile") == icc


@needs_vips
def test_jpegs_libvips_should_not_take_go_through_pillow(tmp_path):
    """Grey and CMYK JPEGs, and every other format, take the Pillow path even when libvips is the default."""
    grey, cmyk = io.BytesIO(), io.BytesIO()
    Image.new("L", (2000, 1000), 90).save(grey, "JPEG")
    Image.new("CMYK", (2000, 1000), (0, 80, 80, 0)).save(cmyk, "JPEG")
    for data in (grey.getvalue(), cmyk.getvalue(), images.transparent_png()):
        rendered = imaging.render(io.BytesIO(data), renderer="vips")
        assert Image.open(io.BytesIO(rendered.display)).mode == "RGB"
        assert rendered.display_size == imaging.render(io.BytesIO(data), renderer="pillow").display_size


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_cut_off_original_is_an_error_on_either_path(renderer):
    data = as_jpeg(photo_like((2000, 1500)))
    with pytest.raises(Exception):  # noqa: B017 - each library its own; the worker records "could not be read"
        imaging.render(io.BytesIO(data[: len(data) * 2 // 3]), renderer=renderer)


# ---------------------------------------------------------------- the upload check

def whole_jpegs() -> dict[str, bytes]:
    im = photo_like((800, 600))
    second = as_jpeg(im.resize((160, 120)))
    fill = bytearray(as_jpeg(im))
    sos = fill.index(b"\xff\xda")
    return {
        "baseline": as_jpeg(im),
        "progressive": as_jpeg(im, progressive=True),
        "restart markers": as_jpeg(im, restart_marker_blocks=2),
        "a second picture after the EOI (MPO, motion photo)": as_jpeg(im) + second,
        "fill bytes before a marker": bytes(fill[:sos] + b"\xff\xff\xff" + fill[sos:]),
        "a phone's trailer after the EOI": as_jpeg(im) + b"\x00" * 100 + b"SAMSUNG TRAILER",
    }


@pytest.mark.parametrize("name", list(whole_jpegs()))
def test_whole_jpegs_pass_the_check_without_a_full_decode(tmp_path, name):
    path = tmp_path / "photo.jpg"
    path.write_bytes(whole_jpegs()[name])
    assert imaging.inspect(path, max_pixels=10**8) == imaging.ImageFacts("JPEG", 800, 600)


@pytest.mark.parametrize("name", ["baseline", "progressive", "restart markers"])
def test_a_jpeg_cut_off_anywhere_is_refused(tmp_path, name):
    data = whole_jpegs()[name]
    path = tmp_path / "cut.jpg"
    for keep in (0.999, 0.9, 0.5, 0.2, 0.05):
        path.write_bytes(data[:int(len(data) * keep)])
        with pytest.raises(imaging.ImageRejected) as caught:
            imaging.inspect(path, max_pixels=10**8)
        assert caught.value.reason == imaging.ImageRejected.BROKEN, keep


def test_broken_tables_are_refused_by_the_decode_of_the_first_rows(tmp_path):
    data = bytearray(whole_jpegs()["baseline"])
    dht = data.index(b"\xff\xc4")
    data[dht + 5:dht + 21] = b"\xff" * 16  # Huffman code counts that cannot be
    path = tmp_path / "tables.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(imaging.ImageRejected) as caught:
        imaging.inspect(path, max_pixels=10**8)
    assert caught.value.reason == imaging.ImageRejected.BROKEN


def test_the_structure_walk_finds_the_first_pictures_end():
    data = whole_jpegs()["a second picture after the EOI (MPO, motion photo)"]
    first = whole_jpegs()["baseline"]
    scan, scan_end, end = jpeg_structure.scan_bounds(data)
    assert end == len(first)
    assert first[scan - 2 - 12:scan].startswith(b"\xff\xda") or b"\xff\xda" in first[:scan]
    assert scan < scan_end < end
    with pytest.raises(jpeg_structure.NotWhole):
        jpeg_structure.scan_bounds(first[:-2])  # no EOI
    with pytest.raises(jpeg_structure.NotWhole):
        jpeg_structure.scan_bounds(b"\x89PNG" + first)
