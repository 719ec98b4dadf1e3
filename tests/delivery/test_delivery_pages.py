"""Delivery pages over HTTP: batch set-up, printed notices with one-time codes,
owner sign-in with a code (once only), the owner's own homes, the check-in list."""
import re

from server.accounts.tables import UnitOwner
from server.audit.tables import AuditEntry
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


CODE = re.compile(r'class="code num">([A-Z2-9]{5}-[A-Z2-9]{5})<')


async def _issue_and_print(browser, batch_id):
    """The print button: POST issues the missing codes, then the notices page shows them."""
    r = await browser.post(f"/delivery/batches/{batch_id}/notices", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/delivery/batches/{batch_id}/notices"
    page = await browser.get(r.headers["location"])
    assert page.status_code == 200
    return CODE.findall(page.text), page.text


async def test_the_notices_page_only_shows_codes_and_the_print_button_issues_them(personas):
    setup = await ready_batch(personas, slots=False)
    batch_id = setup["batch"]["id"]
    carol = await personas.browser("carol")
    audits = await AuditEntry.count().where(AuditEntry.action == "owner_code_issue").run()
    page = await carol.get(f"/delivery/batches/{batch_id}/notices")
    assert page.status_code == 200 and CODE.findall(page.text) == []
    assert "4 位业主还没有登录验证码" in page.text and f'action="/delivery/batches/{batch_id}/notices"' in page.text
    assert await OwnerAccessCode.count().run() == 0  # looking issues nothing
    assert await AuditEntry.count().where(AuditEntry.action == "owner_code_issue").run() == audits

    codes, text = await _issue_and_print(carol, batch_id)
    assert len(codes) == 4 and "还没有登录验证码" not in text and "已为 4 位业主发放登录验证码。" in text
    assert await OwnerAccessCode.count().run() == 4
    issued = await AuditEntry.select(AuditEntry.actor_id, AuditEntry.object_id).where(
        AuditEntry.action == "owner_code_issue").run()
    owners = await UnitOwner.select(UnitOwner.user).where(UnitOwner.unit.is_in(setup["units"])).run()
    assert sorted(int(a["object_id"]) for a in issued) == sorted(o["user"] for o in owners)
    assert {a["actor_id"] for a in issued} == {personas.user("carol").id}  # a person's action

    # Printing again shows the same codes and issues nothing while they are unused.
    again, text = await _issue_and_print(carol, batch_id)
    assert again == codes and "未发放验证码" in text
    assert await OwnerAccessCode.count().run() == 4

    # An owner who signed in with theirs gets no new code from the print button.
    _owner, r = await _owner_browser(personas, PHONES[0], codes[0])
    assert r.status_code == 303
    after, text = await _issue_and_print(carol, batch_id)
    assert after == codes[1:] and await OwnerAccessCode.count().run() == 4
    assert "1 位业主已用验证码登录过" in text
    assert f'action="/delivery/batches/{batch_id}/units/{setup["units"][0]}/new-code"' in text


async def test_only_organisers_issue_codes(personas):
    setup = await ready_batch(personas, slots=False)
    paul = await personas.browser("paul")
    r = await paul.post(f"/delivery/batches/{setup['batch']['id']}/notices", follow_redirects=False)
    assert r.status_code == 403 and await OwnerAccessCode.count().run() == 0
    carol = await personas.browser("carol")
    r = await carol.post("/delivery/batches/999999/notices", follow_redirects=False)
    assert r.status_code == 404


async def test_an_owner_signs_in_once_with_the_printed_code_and_sees_only_their_home(personas):
    setup = await ready_batch(personas)
    carol = await personas.browser("carol")
    codes, _text = await _issue_and_print(carol, setup["batch"]["id"])
    assert len(codes) == 4

    wrong, r = await _owner_browser(personas, PHONES[1], codes[0])  # someone else's code
    assert r.status_code == 401 and "该验证码与手机号不匹配或已失效" in r.text
    assert r.text.count('value="%s"' % PHONES[1]) == 1  # what was typed is kept
    assert await OwnerAccessCode.count().where(OwnerAccessCode.used_at.is_not_null()).run() == 0
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
    checked = await Appointment.objects().get(Appointment.id == appointment.id).run()
    assert checked.status == "checked_in" and checked.queue_number == 1
    page = await browser.get(f"/delivery/appointments/{appointment.id}")
    assert f'action="/delivery/appointments/{appointment.id}/walkthrough"' in page.text  # the next step is offered


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
    old = (await _issue_and_print(carol, setup["batch"]["id"]))[0][0]
    r = await carol.post(f"/delivery/batches/{setup['batch']['id']}/units/{setup['units'][0]}/new-code",
                         follow_redirects=False)
    assert r.status_code == 303
    new = CODE.findall((await carol.get(f"/delivery/batches/{setup['batch']['id']}/notices")).text)[0]
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
