"""One record per home (issue 11, point 12): the staff unit page and the
owner's show the unit's whole life in one timeline, newest first; the owner's
leaves out what is internal; another home is a 404, a role without the page a 403."""
from __future__ import annotations

import re

from server.accounts.tables import UnitOwner
from server.inspections.tables import Inspection
from tests.dataset import OWNER, build


def events(html: str) -> list[str]:
    """Each event's time and title, in the page's order."""
    found = re.findall(r'<li data-kind="(\w+)" data-event>\s*<div class="timeline__meta"><time class="num" '
                       r'datetime="([^"]+)">.*?<div class="timeline__what">.*?</span>\s*(?:<a href="[^"]*">)?([^<]+)',
                       html, re.S)
    return [(kind, at, title.strip()) for kind, at, title in found]


async def test_the_unit_page_shows_the_whole_life_newest_first_and_the_owner_sees_less(personas):
    data = await build(personas)
    unit = data["unit_id"]
    carol = await personas.api("carol")
    assert (await carol.post(f"/api/v1/repairs/{data['repair_id']}/triage", json={
        "component": "waterproofing", "urgency": "normal", "survey_needed": False})).status_code == 200
    staff = await personas.browser("carol")
    page = await staff.get(f"/units/{unit}")
    assert page.status_code == 200
    seen = events(page.text)
    titles = [title for _, _, title in seen]
    for title in ("业主交付验房开始", "业主交付验房结束", "已记录问题", "钥匙移交客服中心", "钥匙交给业主",
                  "业主签字确认交付", "提交报修", "报修：已受理"):
        assert title in titles, (title, titles)
    assert [at for _, at, _ in seen] == sorted((at for _, at, _ in seen), reverse=True)  # newest first
    assert titles[0] == "报修：已受理" and titles.index("提交报修") < titles.index("业主签字确认交付")
    assert "卧室门把手松动" in page.text and "王客服" in page.text  # staff see the names
    assert f'href="/repairs/{data["repair_id"]}"' in page.text

    owner = data["owner_browser"]
    mine = await owner.get(f"/owner/units/{unit}")
    assert mine.status_code == 200
    owner_titles = [title for _, _, title in events(mine.text)]
    for title in ("业主交付验房开始", "已记录问题", "钥匙交给业主", "业主签字确认交付", "提交报修", "报修：已受理"):
        assert title in owner_titles, (title, owner_titles)
    assert "钥匙移交客服中心" not in owner_titles  # between the builder and the CS center: internal
    assert "王客服" not in mine.text and "Builder A" not in mine.text  # no staff or contractor names
    assert f'href="/owner/repairs/{data["repair_id"]}"' in mine.text and 'href="/repairs/' not in mine.text
    home = await owner.get("/owner")
    assert "这套房子的最新记录" in home.text and f'href="/owner/units/{unit}"' in home.text
    assert len(events(home.text)) == 5  # the latest five; the rest on the record page

    # Another home: 404 for the owner; the staff page is not theirs (403), nor a contractor's.
    assert (await owner.get(f"/units/{unit}")).status_code == 403
    assert (await (await personas.browser("bob")).get(f"/units/{unit}")).status_code == 403
    assert (await staff.get("/units/999999")).status_code == 404


async def test_an_owner_sees_the_acceptance_inspection_as_its_result_not_its_defects(personas):
    data = await build(personas)
    inspected = (await Inspection.objects().get(Inspection.id == data["inspection_id"]).run()).unit
    assert (await data["owner_browser"].get(f"/owner/units/{inspected}")).status_code == 404  # not hers (yet)
    staff = await personas.browser("carol")
    staff_titles = [t for _, _, t in events((await staff.get(f"/units/{inspected}")).text)]
    assert "分户验收开始" in staff_titles and staff_titles.count("已记录问题") >= 2
    owner_user = personas.users[OWNER]
    await UnitOwner(unit=inspected, user=owner_user.id).save().run()
    page = await data["owner_browser"].get(f"/owner/units/{inspected}")
    assert page.status_code == 200
    owner_titles = [t for _, _, t in events(page.text)]
    assert "已记录问题" not in owner_titles and "分户验收开始" not in owner_titles
    assert "问题已整改" not in owner_titles and "复验通过" not in owner_titles
