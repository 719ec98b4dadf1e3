"""The owner's pages say what is wrong, beside what is wrong (issue 10.5): an
empty sign-in, a mobile number typed with spaces, a booking without a time;
and the statement link comes before the grid of times."""
import re

from server.accounts.tables import LoginAttempt
from server.delivery.tables import Appointment
from tests.delivery.support import PHONES, ready_batch
from tests.delivery.test_delivery_pages import _issue_and_print, _owner_browser


async def _codes(personas, setup) -> list[str]:
    return (await _issue_and_print(await personas.browser("carol"), setup["batch"]["id"]))[0]


async def test_an_empty_sign_in_names_each_missing_field_and_is_not_counted_as_a_guess(personas):
    await ready_batch(personas)
    _, r = await _owner_browser(personas, "", "")
    assert r.status_code == 400
    assert re.search(r'id="e-mobile">请输入手机号。<', r.text)
    assert re.search(r'id="e-code">请输入交付通知书上的验证码。<', r.text)
    _, r = await _owner_browser(personas, "1380000", "ABCDE-FGHJK")
    assert r.status_code == 400 and re.search(r'id="e-mobile">请输入 11 位手机号。<', r.text)
    assert 'value="ABCDE-FGHJK"' in r.text  # what was typed is kept
    assert await LoginAttempt.count().run() == 0


async def test_a_mobile_number_typed_with_spaces_signs_in(personas):
    setup = await ready_batch(personas)
    code = (await _codes(personas, setup))[0]
    spaced = f"{PHONES[0][:3]} {PHONES[0][3:7]} {PHONES[0][7:]}"
    owner, r = await _owner_browser(personas, spaced, code)
    assert r.status_code == 303 and r.headers["location"] == "/owner"
    assert (await owner.get("/owner")).status_code == 200


async def test_booking_without_a_time_says_so_beside_the_times_and_the_statement_comes_first(personas):
    setup = await ready_batch(personas)
    code = (await _codes(personas, setup))[0]
    owner, _ = await _owner_browser(personas, PHONES[0], code)
    home = (await owner.get("/owner")).text
    assert home.index(f'/delivery/units/{setup["units"][0]}/statement') < home.index('name="slot_id"')

    r = await owner.post(f"/owner/units/{setup['units'][0]}/appointment", data={})
    assert r.status_code == 400
    error = re.search(r'<div class="form-message" role="alert" id="booking-error-(\d+)" data-scroll-here>.*?<span>([^<]+)</span>',
                      r.text, re.S)
    assert error and error.groups() == (str(setup["units"][0]), "请从提供的时段中选择。")
    assert await Appointment.count().run() == 0
