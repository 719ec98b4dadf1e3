"""The repair pages: the owner's 报修 form (without JavaScript: its fallback post),
their requests and a request's page; the CS list, its form for a phone or paper
request, and triage. Bad input: a Chinese message, what was typed kept, nothing stored."""
from __future__ import annotations

import datetime as dt
import re

from server.clock import today
from server.repairs.tables import RepairRequest
from tests.inspections.support import photo_files
from tests.repairs.support import homes, multipart, new_id, report


def ids_listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-repair="(\d+)"', html)]


async def test_the_owner_reports_from_her_home_page_and_follows_it(personas):
    h = await homes(personas)
    olga = await personas.browser("olga")
    home = await olga.get("/owner")
    assert f'href="/owner/units/{h["mine"]}/repairs/new"' in home.text
    page = await olga.get(f"/owner/units/{h['mine']}/repairs/new")
    assert page.status_code == 200 and "漏水、渗水（屋面、卫生间、外墙）" in page.text
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', page.text).group(1)
    assert (await olga.get(f"/owner/units/{h['theirs']}/repairs/new")).status_code == 404
    # bad input: said in Chinese beside the fields, what was typed kept, nothing stored
    fields = {"client_id": client_id, "component": "", "location": "卫生间", "description": "顶棚一直滴水",
              "preferred_times": "周六上午"}
    r = await olga.post(f"/owner/units/{h['mine']}/repairs", files=multipart(fields))
    assert r.status_code == 400
    assert "请选择需要维修的部位。" in r.text and ">顶棚一直滴水</textarea>" in r.text
    assert '>周六上午</textarea>' in r.text and 'value="卫生间" checked' in r.text
    assert await RepairRequest.count().run() == 0
    r = await olga.post(f"/owner/units/{h['mine']}/repairs", files=multipart(
        {**fields, "component": "waterproofing"}, photo_files(1)), follow_redirects=False)
    assert r.status_code == 303
    repair = await RepairRequest.objects().first().run()
    assert r.headers["location"] == f"/owner/repairs/{repair.id}"
    assert (repair.channel, repair.component, str(repair.client_id)) == ("owner_app", "waterproofing", client_id)
    detail = await olga.get(f"/owner/repairs/{repair.id}")
    assert "房屋尚未交付业主，不属于保修范围" in detail.text
    assert "已报修" in re.search(r"<ol class=\"history\".*?</ol>", detail.text, re.S).group(0)
    # her list shows her requests, not another home's
    carol = await personas.api("carol")
    other = (await report(carol, h["theirs"])).json()["id"]
    listed = ids_listed((await olga.get("/owner/repairs")).text)
    assert listed == [repair.id] and other not in listed
    assert (await olga.get(f"/owner/repairs/{other}")).status_code == 404


async def test_a_text_file_as_a_photo_is_refused_beside_the_photos(personas):
    h = await homes(personas)
    olga = await personas.browser("olga")
    fields = {"client_id": new_id(), "component": "decoration", "description": "墙面开裂"}
    r = await olga.post(f"/owner/units/{h['mine']}/repairs",
                        files=multipart(fields, [("photos", ("note.txt", b"hello", "text/plain"))]))
    assert r.status_code == 415
    assert "不支持此文件格式" in r.text and ">墙面开裂</textarea>" in r.text
    assert await RepairRequest.count().run() == 0


async def test_cs_records_a_paper_request_and_triages_it(personas):
    h = await homes(personas)
    carol = await personas.browser("carol")
    page = await carol.get("/repairs/new")
    assert page.status_code == 200
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', page.text).group(1)
    fields = {"client_id": client_id, "building_id": str(h["building"]), "number": "999", "channel": "paper",
              "reported_on": "2025-01-05", "component": "pipes_electrical", "description": "厨房下水管漏水"}
    r = await carol.post("/repairs/new", files=multipart(fields))
    assert r.status_code == 400 and "这栋楼没有这个房号。" in r.text and ">厨房下水管漏水</textarea>" in r.text
    future = (today() + dt.timedelta(days=2)).isoformat()
    from server.org.tables import Unit
    number = (await Unit.objects().get(Unit.id == h["theirs"]).run()).number
    r = await carol.post("/repairs/new", files=multipart({**fields, "number": number, "reported_on": future}))
    assert r.status_code == 400 and "这一天还没有到。" in r.text and f'value="{future}"' in r.text
    assert await RepairRequest.count().run() == 0
    r = await carol.post("/repairs/new", files=multipart({**fields, "number": number}), follow_redirects=False)
    assert r.status_code == 303
    repair = await RepairRequest.objects().first().run()
    assert (repair.unit, repair.channel, repair.reported_on, repair.reported_by) == (
        h["theirs"], "paper", dt.date(2025, 1, 5), personas.user("carol").id)
    # triage: a missing urgency is said, then it moves
    r = await carol.post(f"/repairs/{repair.id}/triage", data={"component": "pipes_electrical", "survey_needed": "no"})
    assert r.status_code == 400 and "请选择紧急程度。" in r.text
    r = await carol.post(f"/repairs/{repair.id}/triage", data={
        "component": "pipes_electrical", "urgency": "normal", "survey_needed": "no"}, follow_redirects=False)
    assert r.status_code == 303
    repair = await RepairRequest.objects().get(RepairRequest.id == repair.id).run()
    assert (repair.status, repair.urgency, repair.survey_needed) == ("triaged", "normal", False)


async def test_the_cs_list_filters_and_pages(personas):
    h = await homes(personas)
    api = await personas.api("carol")
    mine = [(await report(api, h["mine"])).json()["id"] for _ in range(3)]
    elsewhere = (await report(api, h["elsewhere"])).json()["id"]
    await api.post(f"/api/v1/repairs/{mine[0]}/triage", json={"component": "waterproofing", "urgency": "normal",
                                                              "survey_needed": False})
    carol = await personas.browser("carol")
    assert ids_listed((await carol.get("/repairs")).text) == [elsewhere, *reversed(mine)]
    assert ids_listed((await carol.get(f"/repairs?project_id={h['other_project']}")).text) == [elsewhere]
    assert ids_listed((await carol.get("/repairs?status=triaged")).text) == [mine[0]]
    assert ids_listed((await carol.get("/repairs?limit=2&offset=2")).text) == [mine[1], mine[0]]
    for name in ("olga", "bob", "ian"):
        assert (await (await personas.browser(name)).get("/repairs", follow_redirects=False)).status_code == 403


async def test_the_quality_center_reads_the_list_without_the_cs_centers_buttons(personas):
    h = await homes(personas)
    listed = f"/repairs?project_id={h['project']}"
    cs_only = ('href="/repairs/new"', f'href="/repairs/buildings/{h["building"]}/qr"',
               f'href="/repairs/projects/{h["project"]}/settings"')
    carol_page = (await (await personas.browser("carol")).get(listed)).text
    assert all(link in carol_page for link in cs_only)
    quinn = await personas.browser("quinn")
    page = await quinn.get(listed)
    assert page.status_code == 200 and [link for link in cs_only if link in page.text] == []
    for url in ("/repairs/new", f"/repairs/buildings/{h['building']}/qr", f"/repairs/projects/{h['project']}/settings"):
        assert (await quinn.get(url)).status_code == 403, url
