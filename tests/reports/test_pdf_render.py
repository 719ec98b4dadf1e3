"""The renderer alone (server/reports/pdf.py): Chinese in the PDF's text, set in
the font from the font package (embedded, subset), even where the machine has
no font at all; photos downscaled to ~150 dpi at their printed width."""
import io
import os
import subprocess
import sys
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image

from tests.reports.support import pdf_fonts, pdf_text

ROOT = Path(__file__).resolve().parents[2]
FONT = ROOT / "static/vendor/noto-sans-sc/NotoSansSC_400Regular.ttf"
HTML = '<html lang="zh-CN"><body><h1>验房报告</h1><p>1号楼 101 墙面空鼓，金额 1,234.50 元</p></body></html>'

SCRIPT = f"""
import sys
from server.reports.pdf import render_pdf
sys.stdout.buffer.write(render_pdf({HTML!r}, {{}}))
"""


def test_chinese_renders_in_the_packaged_font_without_any_system_font(tmp_path):
    # A fontconfig that knows no font at all: only the @font-face of static/css/pdf.css is left.
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>')
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    data = done.stdout
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "验房报告" in text and "墙面空鼓，金额 1,234.50 元" in text
    fonts = pdf_fonts(data)
    assert fonts and all("CS-Noto-Sans-SC" in name for name in fonts), fonts
    # The embedded font is Noto Sans SC from the package, subset: a few glyphs, not its ~30,000.
    font_file = next(iter(fonts.values()))
    embedded = TTFont(io.BytesIO(font_file))
    packaged = TTFont(FONT)
    assert embedded["name"].getDebugName(1) == packaged["name"].getDebugName(1) == "Noto Sans SC"
    assert embedded["head"].fontRevision == packaged["head"].fontRevision
    assert len(font_file) < 1_000_000 < 10 * 1_000_000 < FONT.stat().st_size  # subset: its glyphs only
    assert len(data) < 100_000


def test_a_photo_is_downscaled_to_150_dpi_at_its_printed_width():
    from server.reports.pdf import print_image

    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(big, "JPEG")
    small = Image.open(io.BytesIO(print_image(big.getvalue(), 40)))
    assert small.size == (236, 177)  # 40 mm at 150 dpi = 236 px
    tiny = io.BytesIO()
    Image.new("RGBA", (100, 50), (0, 0, 0, 0)).save(tiny, "PNG")
    kept = Image.open(io.BytesIO(print_image(tiny.getvalue(), 85)))
    assert kept.size == (100, 50)  # never enlarged
    assert kept.getpixel((5, 5)) == (255, 255, 255)  # a signature's transparent paper prints white


def test_the_renderer_fetches_nothing_the_document_did_not_name():
    from server.reports.pdf import render_pdf

    html = ('<p>文本</p><img src="https://example.invalid/x.png"><img src="/etc/hostname">'
            '<img src="/photos/1/display"><link rel="stylesheet" href="file:///etc/passwd">')
    data = render_pdf(html, {})
    assert "文本" in pdf_text(data)
    from tests.reports.support import pdf_image_count

    assert pdf_image_count(data) == 0
