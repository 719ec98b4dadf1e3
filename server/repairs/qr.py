"""QR codes for the units of a building: each opens that unit's repair form
(an owner not signed in is asked for the one-time code first, then lands on
the form). Printed once per building and stuck by each door or on the notice.

segno (pinned in pyproject.toml) draws each code as inline SVG: no image
files, crisp at any print size. Drawing runs in a thread (CPU work).
"""
from __future__ import annotations

import asyncio

from server.org.tables import Unit
from server.settings import get_settings


def repair_form_url(unit_id: int) -> str:
    return f"{get_settings().base_url.rstrip('/')}/owner/units/{unit_id}/repairs/new"


def qr_available() -> bool:
    """Whether segno is installed (pyproject.toml pins it; a machine set up before it was added lacks it,
    and the sheet then says so instead of failing)."""
    try:
        import segno  # noqa: F401
    except ImportError:
        return False
    return True


def qr_svg(url: str) -> str | None:
    if not qr_available():
        return None
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=url)


async def building_sheet(building_id: int) -> list[dict]:
    """[{"unit_id", "number", "floor", "url", "svg"}] for every unit of the building, by floor and number."""
    rows = await Unit.select(Unit.id, Unit.number, Unit.floor).where(Unit.building == building_id).order_by(
        Unit.floor).order_by(Unit.number).run()
    urls = [repair_form_url(r["id"]) for r in rows]
    # A tower's few hundred codes take a noticeable while to draw: off the event loop,
    # so other requests are not held up behind the sheet.
    svgs = await asyncio.to_thread(lambda: [qr_svg(url) for url in urls])
    return [{"unit_id": r["id"], "number": r["number"], "floor": r["floor"], "url": url, "svg": svg}
            for r, url, svg in zip(rows, urls, svgs)]
