"""The QR sheet of a building: one code per unit, each the unit's repair form; an owner
who scans it without being signed in gives the one-time code and lands on that form."""
from __future__ import annotations

import re

import pytest

from server.org.tables import Unit
from server.settings import get_settings
from tests.repairs.support import homes, owner_with_code
from tests.support import csrf, make_client


async def test_the_sheet_has_one_code_per_unit_linking_to_its_repair_form(personas):
    pytest.importorskip("segno")  # pinned in pyproject.toml
    h = await homes(personas)
    carol = await personas.browser("carol")
    # The sheets of the chosen project's buildings; all projects at once list none (a large developer
    # has a thousand buildings) but say how to get them.
    everything = (await carol.get("/repairs")).text
    assert "/qr" not in everything and "先在上方选择项目，这里会列出其各楼栋的二维码页。" in everything
    assert f'href="/repairs/buildings/{h["building"]}/qr"' in (await carol.get(f"/repairs?project_id={h['project']}")).text
    r = await carol.get(f"/repairs/buildings/{h['building']}/qr")
    assert r.status_code == 200
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == h["building"]).run()]
    assert sorted(int(x) for x in re.findall(r'data-qr-unit="(\d+)"', r.text)) == sorted(units)
    base = get_settings().base_url.rstrip("/")
    for unit_id in units:
        assert f"<title>{base}/owner/units/{unit_id}/repairs/new</title>" in r.text
    assert r.text.count("<svg") == len(units)
    for name in ("olga", "bob", "ian"):
        assert (await (await personas.browser(name)).get(f"/repairs/buildings/{h['building']}/qr")).status_code == 403
    assert (await carol.get("/repairs/buildings/999999/qr")).status_code == 404


async def test_an_owner_not_signed_in_signs_in_with_the_code_and_lands_on_the_form(personas):
    from server.delivery import owner_codes

    h = await homes(personas)
    owner, code = await owner_with_code(h["theirs"])
    form = f"/owner/units/{h['theirs']}/repairs/new"
    async with make_client(personas.app) as phone:
        r = await phone.get(form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/owner/sign-in?next={form}"
        page = await phone.get(r.headers["location"])
        assert f'name="next" value="{form}"' in page.text
        await csrf(phone)
        r = await phone.post("/owner/sign-in", data={"mobile": "13900000009", "code": code, "next": form},
                             follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == form
        assert (await phone.get(form)).status_code == 200
    async with make_client(personas.app) as other:  # another host is never a target
        await csrf(other)
        code = await owner_codes.issue(actor=None, user_id=owner.id, unit_id=h["theirs"])
        r = await other.post("/owner/sign-in", data={"mobile": "13900000009", "code": code,
                                                     "next": "//evil.example/owner/"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/owner"


async def test_the_owner_home_opened_signed_out_asks_for_the_owner_sign_in(personas):
    async with make_client(personas.app) as phone:
        r = await phone.get("/owner", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/owner/sign-in?next=/owner"
        staff = await phone.get("/inspections", follow_redirects=False)
        assert staff.status_code == 303 and staff.headers["location"] == "/login?next=/inspections"
