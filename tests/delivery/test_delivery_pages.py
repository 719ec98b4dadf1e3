"""Delivery pages over HTTP: batch set-up, printed notices with one-time codes,
owner sign-in with a code (once only), the owner's own homes, the check-in list."""
import re

from server.delivery.tables import Appointment, OwnerAccessCode
from tests.delivery.support import PHONES, ready_batch
from tests.support import csrf, make_client


async def _owner_browser(personas, mobile, code):
    client = make_client(personas.app)
    await client.__aenter__()
    personas._clients.append(client)
    await csrf(client)
    r = await client.post("/owner/sign-in", data={"mobile": mobile, "code": code}, follow_redirects=False)
    return client, r


async def test_staff_create_a_batch_from_a_building_and_see_what_units_lack(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.browser("carol")
    page = await carol.get(f"/delivery/batches/{setup['batch']['id']}")
    assert page.status_code == 200
    assert "未通过验收" in page.text and "1</strong> / <span class=\"num\">4" in page.text
    bad = await carol.post("/delivery/batches", data={"project_id": str(setup["project_id"]), "name": "二期",
                                                      "starts_on": "2026-12-09", "ends_on": "2026-12-01",
                                                      "place": "售楼处"})
    assert bad.status_code == 400 and 'value="售楼处"' in bad.text
    bob = await personas.browser("bob")
    assert (await bob.get(f"/delivery/batches/{setup['batch']['id']}")).status_code == 403


async def test_an_owner_signs_in_once_with_the_printed_code_and_sees_only_their_home(personas):
    setup = await ready_batch(personas)
    carol = await personas.browser("carol")
    notices = await carol.get(f"/delivery/batches/{setup['batch']['id']}/notices")
    assert notices.status_code == 200
    codes = re.findall(r'class="code num">([A-Z2-9]{5}-[A-Z2-9]{5})<', notices.text)
    assert len(codes) == 4
    # Printing again shows the same codes (nothing new issued while they are unused).
    again = await carol.get(f"/delivery/batches/{setup['batch']['id']}/notices")
    assert re.findall(r'class="code num">([A-Z2-9]{5}-[A-Z2-9]{5})<', again.text) == codes
    assert await OwnerAccessCode.count().run() == 4

    wrong, r = await _owner_browser(personas, PHONES[1], codes[0])  # someone else's code
    assert r.status_code == 401 and "验证码" in r.text or "code" in r.text
    owner, r = await _owner_browser(personas, PHONES[0], codes[0].lower().replace("-", " "))
    assert r.status_code == 303 and r.headers["location"] == "/owner"
    home = await owner.get("/owner")
    assert home.status_code == 200 and "1号楼大堂" in home.text and 'name="slot_id"' in home.text
    reuse, r = await _owner_browser(personas, PHONES[0], codes[0])
    assert r.status_code == 401  # a code works once

    # Book through the page; another unit's booking and statement answer 404.
    slot_id = re.search(r'name="slot_id" value="(\d+)"', home.text).group(1)
    r = await owner.post(f"/owner/units/{setup['units'][0]}/appointment", data={"slot_id": slot_id},
                         follow_redirects=False)
    assert r.status_code == 303 and await Appointment.count().run() == 1
    assert (await owner.post(f"/owner/units/{setup['units'][1]}/appointment",
                             data={"slot_id": slot_id})).status_code == 404
    assert (await owner.get(f"/delivery/units/{setup['units'][1]}/statement")).status_code == 404
    assert (await owner.get(f"/delivery/batches/{setup['batch']['id']}")).status_code == 403


async def test_the_check_in_list_shows_the_day_in_order(personas):
    setup = await ready_batch(personas)
    carol = await personas.api("carol")
    slots = (await carol.get(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots")).json()["items"]
    for unit_id, slot in zip(setup["units"][:2], slots):
        assert (await carol.post(f"/api/v1/units/{unit_id}/appointment",
                                 json={"slot_id": slot["id"]})).status_code == 201
    browser = await personas.browser("carol")
    day = slots[0]["starts_at"][:10]
    page = await browser.get(f"/delivery/batches/{setup['batch']['id']}/day?on={day}")
    assert page.status_code == 200 and page.text.count('class="weui-cell weui-cell_access queue-row"') == 2
    appointment = await Appointment.objects().order_by(Appointment.id).first().run()
    r = await browser.post(f"/delivery/appointments/{appointment.id}/check-in", follow_redirects=False)
    assert r.status_code == 303
    page = await browser.get(f"/delivery/appointments/{appointment.id}")
    assert "开始陪同验房" in page.text or "walkthrough" in page.text


async def test_the_batch_page_pages_its_units(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.browser("carol")
    first = await carol.get(f"/delivery/batches/{setup['batch']['id']}?limit=3")
    assert first.text.count('class="weui-cell readiness"') == 3 and 'rel="next"' in first.text
    rest = await carol.get(f"/delivery/batches/{setup['batch']['id']}?limit=3&offset=3",
                           headers={"HX-Request": "true"})
    assert rest.text.count('class="weui-cell readiness"') == 1 and "<html" not in rest.text
    not_ready = await carol.get(f"/delivery/batches/{setup['batch']['id']}?show=not_ready")
    assert not_ready.text.count('class="weui-cell readiness"') == 3


async def test_the_batch_list_links_each_batch(personas):
    setup = await ready_batch(personas, slots=False)
    page = await (await personas.browser("paul")).get("/delivery")
    assert page.status_code == 200 and f'href="/delivery/batches/{setup["batch"]["id"]}"' in page.text
    assert 'href="/delivery/batches/new"' not in page.text  # only organisers set batches up
    assert (await (await personas.browser("bob")).get("/delivery")).status_code == 403


async def test_a_lost_notice_gets_a_new_code_and_the_old_one_stops_working(personas):
    setup = await ready_batch(personas)
    carol = await personas.browser("carol")
    notices = (await carol.get(f"/delivery/batches/{setup['batch']['id']}/notices")).text
    old = re.findall(r'class="code num">([A-Z2-9]{5}-[A-Z2-9]{5})<', notices)[0]
    r = await carol.post(f"/delivery/batches/{setup['batch']['id']}/units/{setup['units'][0]}/new-code",
                         follow_redirects=False)
    assert r.status_code == 303
    new = re.findall(r'class="code num">([A-Z2-9]{5}-[A-Z2-9]{5})<',
                     (await carol.get(f"/delivery/batches/{setup['batch']['id']}/notices")).text)[0]
    assert new != old
    _client, r = await _owner_browser(personas, PHONES[0], old)
    assert r.status_code == 401
    _client, r = await _owner_browser(personas, PHONES[0], new)
    assert r.status_code == 303


async def test_guessing_codes_is_throttled(personas):
    await ready_batch(personas, slots=False)
    statuses = []
    for guess in range(7):
        _client, r = await _owner_browser(personas, PHONES[0], f"AAAAA-AAAA{guess + 2}")
        statuses.append(r.status_code)
    assert statuses[0] == 401 and statuses[-1] == 429
