"""The closing pages: the repairer completes on the repair's page (a refused form keeps the note and
says why in Chinese), the owner signs on the repairer's phone or their own, refuses with a reason, answers
a quote; CS works the return-visit call list (with its count in the menu)."""
from __future__ import annotations

import datetime as dt

from server.photos.tables import Photo
from server.repairs.closing_tables import RepairCompletion, RepairSignoff, RepairVisit
from tests.inspections.support import photo_files
from tests.repairs.closing_support import complete, in_repair, signature, status_of
from tests.repairs.support import multipart


async def test_the_repairer_completes_on_the_page_and_the_owner_signs_on_that_phone(personas):
    _h, rid = await in_repair(personas)
    staff = await personas.browser("carol")
    page = (await staff.get(f"/repairs/{rid}")).text
    assert f'action="/repairs/{rid}/complete"' in page
    r = await staff.post(f"/repairs/{rid}/complete", files=multipart(
        {"note": "已更换防水层"}, [("photos", ("after.jpg", b"just text", "image/jpeg"))]))
    assert r.status_code in (400, 415) and "已更换防水层" in r.text and 'role="alert"' in r.text
    r = await staff.post(f"/repairs/{rid}/complete", files=multipart({"note": "已更换防水层"}, []))
    assert r.status_code == 400 and "请至少添加一张维修完成后的照片" in r.text
    assert await RepairCompletion.count().run() == 0 and await Photo.count().run() == 0
    r = await staff.post(f"/repairs/{rid}/complete", files=multipart({"note": "已更换防水层"}, photo_files(1)),
                         follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/repairs/{rid}/sign"
    sign = (await staff.get(f"/repairs/{rid}/sign")).text
    assert 'data-signature="f-owner"' in sign and "已更换防水层" in sign
    r = await staff.post(f"/repairs/{rid}/sign", data={"outcome": "signed", "signer_name": "王业主"})
    assert r.status_code == 400 and "业主须在屏幕上签字" in r.text and "王业主" in r.text
    r = await staff.post(f"/repairs/{rid}/sign", data={"outcome": "signed", "signer_name": "王业主",
                                                       "signature": signature()}, follow_redirects=False)
    assert r.status_code == 303
    assert (await RepairSignoff.objects().first().run()).via == "screen"
    detail = (await staff.get(f"/repairs/{rid}")).text
    assert "data-signoff=" in detail and "已签字" in detail
    # the after-photo is shown once, with the completion, not again among the photos of the report
    assert 'id="photos-title"' not in detail and detail.count('aria-label="维修后照片"') == 1
    assert "已经确认过" in (await staff.get(f"/repairs/{rid}/sign")).text


async def test_the_owner_refuses_then_signs_on_her_own_phone(personas):
    _h, rid = await in_repair(personas)
    assert (await complete(await personas.api("carol"), rid)).status_code == 200
    owner = await personas.browser("olga")
    detail = (await owner.get(f"/owner/repairs/{rid}")).text
    assert f'href="/owner/repairs/{rid}/sign"' in detail
    r = await owner.post(f"/owner/repairs/{rid}/sign", data={"outcome": "refused", "reason": ""})
    assert r.status_code == 400 and "请说明不认可维修的原因" in r.text
    r = await owner.post(f"/owner/repairs/{rid}/sign", data={"outcome": "refused", "reason": "墙角仍有水渍"},
                         follow_redirects=False)
    assert r.status_code == 303 and await status_of(rid) == "in_repair"
    assert (await complete(await personas.api("carol"), rid)).status_code == 200
    r = await owner.post(f"/owner/repairs/{rid}/sign", data={"outcome": "signed", "signature": signature()},
                         follow_redirects=False)
    assert r.status_code == 303 and await status_of(rid) == "signed_off"
    assert [s["via"] for s in await RepairSignoff.select(RepairSignoff.via).run()] == ["owner_phone"] * 2
    # a stranger's phone: another owner's repair is not found; CS staff do not use the owner's pages
    assert (await (await personas.browser("carol")).get(f"/owner/repairs/{rid}/sign")).status_code == 403


async def test_the_call_list_page_its_count_and_a_two_star_call(personas):
    from server.repairs.visits import visits_list_due

    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    assert (await complete(carol, rid)).status_code == 200
    assert (await carol.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 201
    await visits_list_due(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3))
    staff = await personas.browser("carol")
    home = (await staff.get("/", headers={"Accept": "text/html"})).text
    assert 'href="/repairs/visits"' in home and 'data-count="1"' in home
    page = (await staff.get("/repairs/visits")).text
    assert f'data-visit-due="{rid}"' in page
    r = await staff.post(f"/repairs/{rid}/visit", data={"reached": "yes", "satisfaction": "6", "comment": "还漏"})
    assert r.status_code == 400 and "满意度" in r.text and "还漏" in r.text
    assert await RepairVisit.count().run() == 0
    r = await staff.post(f"/repairs/{rid}/visit", data={"reached": "yes", "satisfaction": "2", "comment": "还漏",
                                                        "follow_up": "reopen"}, follow_redirects=False)
    assert r.status_code == 303 and await status_of(rid) == "reopened"
    assert "data-empty" in (await staff.get("/repairs/visits")).text


async def test_a_plain_multipart_form_with_the_token_in_a_field_is_answered(personas):
    """The page's form without htmx sends the CSRF token as its first field, not in a header: it used to
    hang (the CSRF check read the whole body, the upload handler then waited for it)."""
    import asyncio

    _h, rid = await in_repair(personas)
    staff = await personas.browser("carol")
    token = staff.headers.pop("X-CSRFToken")
    r = await asyncio.wait_for(staff.post(f"/repairs/{rid}/complete", files=multipart(
        {"_csrf_token": token[:-2] + "xx", "note": "已更换防水层"}, photo_files(1))), 10)
    assert r.status_code == 403 and await RepairCompletion.count().run() == 0
    r = await asyncio.wait_for(staff.post(f"/repairs/{rid}/complete", files=multipart(
        {"_csrf_token": token, "note": "已更换防水层"}, photo_files(1)), follow_redirects=False), 10)
    assert r.status_code == 303 and await status_of(rid) == "completed"
    assert await Photo.count().where(Photo.stage == "after").run() == 1
