"""Issue 10.1 on the unit page: finishing with items left lists them by room,
整间合格 and its undo, not applicable with a reason, and the counters that
follow every mark without a reload (htmx out-of-band swaps). Read in
English (the `lang` cookie), like the other page tests."""
from __future__ import annotations

import re

from server import clock
from server.audit.tables import AuditEntry
from server.inspections.tables import Inspection, ItemResult
from tests.inspections.support import defect_form, photo_files, unit_under_inspection
from tests.pages.test_inspection_pages import HX, app, browser  # noqa: F401 - the app fixture, reused


async def rooms_of(inspection_id: int) -> list[dict]:
    from server.inspections.services import checklist_of

    return await checklist_of(await Inspection.objects().get(Inspection.id == inspection_id).run())


def oob(html: str, element_id: str) -> str:
    """The text of an out-of-band element in an htmx answer."""
    match = re.search(rf'id="{element_id}" hx-swap-oob="true">\s*([^<]*?)\s*<', html)
    assert match, (element_id, html[-1500:])
    return match.group(1)


async def test_finishing_with_items_left_lists_them_by_room_and_only_cs_may_finish_anyway(personas):
    unit, inspection = await unit_under_inspection(personas)
    url = f"/inspections/{inspection['id']}"
    ian = await browser(personas, "ian")
    rooms = await rooms_of(inspection["id"])
    # Every room but the first checked; in the first, one item OK.
    api = await personas.api("ian")
    for room in rooms[1:]:
        assert (await api.post(f"/api/v1{url}/rooms/{room['id']}/ok")).status_code == 200
    await api.post(f"/api/v1{url}/items/{rooms[0]['items'][0]['id']}", json={"result": "ok"})
    left = rooms[0]["items"][1:]

    page = (await ian.get(url)).text
    assert "data-confirm" not in page.split('id="finish-actions"')[1].split("</form>")[0]  # no question yet
    refused = await ian.post(f"{url}/finish", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == f"{url}?unchecked=1#unchecked"
    page = (await ian.get(f"{url}?unchecked=1")).text
    listed = page.split('id="unchecked"')[1].split("</section>")[0]
    assert f"{len(left)} checklist items are not checked yet" in listed
    assert re.findall(r'<h3 class="unchecked__room">([^<]+?) <', listed) == [rooms[0]["name"]]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', listed)
    room_q = re.escape(rooms[0]["name"]) if rooms[0]["name"].isascii() else "%"
    assert [title for _, title in links] == [i["title"] for i in left]
    assert all(re.fullmatch(rf"{url}\?room={room_q}.*#item-{i['id']}", href) for (href, _), i in zip(links, left))
    assert "Finish anyway" not in listed  # an inspector may not
    assert (await Inspection.objects().get(Inspection.id == inspection["id"]).run()).status == "in_progress"
    # Marking from that page refreshes the list out of band: one item fewer.
    listing = {**HX, "HX-Current-URL": f"http://testserver.local{url}?unchecked=1"}
    marked = await ian.post(f"{url}/items/{left[0]['id']}", headers=listing)
    fresh = marked.text.split('id="unchecked"')[1]
    assert fresh.startswith(' aria-labelledby="unchecked-title" hx-swap-oob="true">')
    assert len(left) == 2 and "1 checklist item is not checked yet: check it before finishing." in fresh
    assert 'id="unchecked"' not in (await ian.post(f"{url}/items/{left[0]['id']}", headers=HX)).text

    carol = await browser(personas, "carol")
    listed = (await carol.get(f"{url}?unchecked=1")).text.split('id="unchecked"')[1]
    assert "Finish anyway" in listed and 'name="override_reason"' in listed
    typed = "x" * 501
    too_long = await carol.post(f"{url}/finish", data={"override_reason": typed})
    assert too_long.status_code == 400
    assert "At most 500 characters." in too_long.text and f">{typed}</textarea>" in too_long.text
    assert 'id="unchecked"' in too_long.text  # the list stays in view
    empty = await carol.post(f"{url}/finish", data={"override_reason": " "})
    assert empty.status_code == 400 and "Say why the inspection is finished unchecked." in empty.text
    done = await carol.post(f"{url}/finish", data={"override_reason": "业主已确认，余项次日补查"},
                            follow_redirects=False)
    assert done.status_code == 303
    assert (await Inspection.objects().get(Inspection.id == inspection["id"]).run()).status == "passed"
    entry = await AuditEntry.objects().get(AuditEntry.action == "complete_override").run()
    assert entry.actor_id == personas.user("carol").id
    history = (await carol.get(f"{url}/history", headers=HX)).text
    assert "Finished with unchecked items: 业主已确认，余项次日补查" in history


async def test_whole_room_ok_and_its_undo_swap_the_room_and_the_counters(personas):
    _, inspection = await unit_under_inspection(personas)
    url = f"/inspections/{inspection['id']}"
    ian = await browser(personas, "ian")
    rooms = await rooms_of(inspection["id"])
    room = rooms[0]
    total = sum(r["total"] for r in rooms)
    page = (await ian.get(url)).text
    assert f'id="room-count-{room["id"]}">0/{room["total"]}<' in page
    assert f"0 of {total} items checked" in page

    marked = await ian.post(f"{url}/rooms/{room['id']}/ok", headers=HX)

    assert marked.status_code == 200 and "<html" not in marked.text
    assert marked.text.lstrip().startswith(f'<div class="room-body" id="room-body-{room["id"]}">')
    assert f"{room['total']} items marked OK." in marked.text and "/undo" in marked.text
    assert oob(marked.text, f"room-count-{room['id']}") == f"{room['total']}/{room['total']}"
    assert oob(marked.text, "checklist-total") == f"{room['total']} of {total} items checked"
    assert 'id="finish-actions" hx-swap-oob="true"' in marked.text
    assert await ItemResult.count().where(ItemResult.result == "ok").run() == room["total"]

    undo = re.search(r'hx-post="([^"]+/undo)"', marked.text).group(1)
    undone = await ian.post(undo, headers=HX)
    assert undone.status_code == 200
    assert f"{room['total']} items are unchecked again." in undone.text
    assert oob(undone.text, f"room-count-{room['id']}") == f"0/{room['total']}"
    assert await ItemResult.count().run() == 0

    # Without JavaScript: back to the page, which offers the undo in that room.
    plain = await ian.post(f"{url}/rooms/{room['id']}/ok", follow_redirects=False)
    assert plain.status_code == 303 and "&undo=" in plain.headers["location"]
    page = (await ian.get(plain.headers["location"].split("#")[0])).text
    body = page.split(f'id="room-body-{room["id"]}"')[1]
    assert f"{room['total']} items marked OK." in body and "/undo" in body


async def test_not_applicable_needs_a_reason_and_a_defect_counts_as_checked(personas):
    _, inspection = await unit_under_inspection(personas)
    url = f"/inspections/{inspection['id']}"
    ian = await browser(personas, "ian")
    room = (await rooms_of(inspection["id"]))[0]
    first, second = room["items"][0], room["items"][1]

    refused = await ian.post(f"{url}/items/{first['id']}", data={"result": "na", "note": ""}, headers=HX)
    assert refused.status_code == 400
    assert "Say why this item does not apply." in refused.text and 'aria-invalid="true"' in refused.text
    assert refused.text.lstrip().startswith(f'<div class="check-item" id="item-{first["id"]}">')
    too_long = "无" * 201
    kept = await ian.post(f"{url}/items/{first['id']}", data={"result": "na", "note": too_long}, headers=HX)
    assert kept.status_code == 400 and f'value="{too_long}"' in kept.text and "At most 200 characters." in kept.text
    assert await ItemResult.count().run() == 0

    marked = await ian.post(f"{url}/items/{first['id']}", data={"result": "na", "note": "本户型无燃气"}, headers=HX)
    assert marked.status_code == 200
    assert "Not applicable" in marked.text and "Does not apply: 本户型无燃气" in marked.text
    assert oob(marked.text, f"room-count-{room['id']}") == f"1/{room['total']}"

    api = await personas.api("ian")
    r = await api.post(f"/api/v1/inspections/{inspection['id']}/defects", files=photo_files(1), data=defect_form(
        personas.parties["builder_a"].id, room=room["name"], checklist_item_id=str(second["id"])))
    assert r.status_code == 201
    page = (await ian.get(url)).text
    assert f'id="room-count-{room["id"]}">2/{room["total"]}<' in page


async def test_today_counts_an_item_with_a_defect_as_checked_once(personas):
    """今日任务's "Checked n/N": marks and items with defects, an item with both counted once."""
    import datetime as dt

    _, inspection = await unit_under_inspection(personas)
    await Inspection.update({Inspection.scheduled_for: clock.today()}).where(
        Inspection.id == inspection["id"]).run()
    room = (await rooms_of(inspection["id"]))[0]
    total = sum(r["total"] for r in await rooms_of(inspection["id"]))
    api = await personas.api("ian")
    first, second = room["items"][0], room["items"][1]
    await api.post(f"/api/v1/inspections/{inspection['id']}/items/{first['id']}", json={"result": "ok"})
    for item in (first, second):  # a defect on the item marked OK, and one on an unmarked item
        r = await api.post(f"/api/v1/inspections/{inspection['id']}/defects", files=photo_files(1), data=defect_form(
            personas.parties["builder_a"].id, room=room["name"], checklist_item_id=str(item["id"])))
        assert r.status_code == 201
    page = (await (await browser(personas, "ian")).get("/inspections")).text
    assert f"Checked 2/{total}" in page
