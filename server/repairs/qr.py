"""QR codes for the units of a building: each opens that unit's repair form
(an owner not signed in is asked for the one-time code first, then lands on
the form). Printed once per building and stuck by each door or on the notice.

segno (pinned in pyproject.toml) draws each code as inline SVG: no image
files, crisp at any print size.
"""
from __future__ import annotations

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
    return [{"unit_id": r["id"], "number": r["number"], "floor": r["floor"], "url": repair_form_url(r["id"]),
             "svg": qr_svg(repair_form_url(r["id"]))} for r in rows]
