"""Issue 14, figure 8: forged requests, fixed session ids and signing out, each refused.

CSRF: a signed-in browser's write without a token, with another browser's
token, and a cross-site form (another Origin, the browser's Fetch Metadata
saying `cross-site`) are refused with 403 and store nothing. Session
fixation: an id chosen before sign-in never becomes a session (staff and
owners). Signing out ends every session and API token of the account.
Throttling of sign-in is in test_throttling.py.
"""
from __future__ import annotations

from server.accounts.tables import ApiToken, Session
from server.knowledge.tables import KnowledgeEntry
from tests.support import PASSWORD, csrf, login, make_client

ENTRY = {"question": "门锁坏了怎么办", "answer": "联系客服报修。", "category": "报修"}
FORM = {"language": "en", "next": "/"}


async def _entries() -> int:
    return await KnowledgeEntry.count().run()


async def test_a_write_without_the_token_is_refused_and_stores_nothing(personas):
    carol = await personas.browser("carol")
    del carol.headers["X-CSRFToken"]
    r = await carol.post("/api/v1/knowledge", json=ENTRY)
    assert r.status_code == 403
    assert r.json()["detail"] == "您没有权限进行此操作。"
    assert await _entries() == 0


async def test_another_browsers_token_is_refused(app, personas):
    carol = await personas.browser("carol")
    async with make_client(app) as attacker:
        foreign = await csrf(attacker)  # a genuine token, signed by this server, for the attacker's browser
    assert foreign != carol.cookies["csrftoken"]
    r = await carol.post("/api/v1/knowledge", json=ENTRY, headers={"X-CSRFToken": foreign})
    assert r.status_code == 403
    r = await carol.post("/logout", data={"_csrf_token": foreign}, headers={"X-CSRFToken": ""},
                         follow_redirects=False)
    assert r.status_code == 403
    assert await _entries() == 0
    assert (await carol.get("/api/v1/auth/me")).status_code == 200  # still signed in


async def test_a_cross_site_form_is_refused_even_carrying_the_right_token(personas):
    carol = await personas.browser("carol")
    token = carol.headers.pop("X-CSRFToken")
    evil = {"Origin": "https://evil.example", "Referer": "https://evil.example/win-a-prize",
            "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    # What another site's <form method=post> can send: the victim's cookies, no header, no token.
    r = await carol.post("/logout", data={}, headers=evil, follow_redirects=False)
    assert r.status_code == 403
    # A token that leaked to the other site still does not make its form ours.
    r = await carol.post("/logout", data={"_csrf_token": token}, headers=evil, follow_redirects=False)
    assert r.status_code == 403
    r = await carol.post("/api/v1/knowledge", json=ENTRY, headers={**evil, "X-CSRFToken": token})
    assert r.status_code == 403
    assert await _entries() == 0
    assert (await carol.get("/api/v1/auth/me")).status_code == 200
    # The same request from our own page goes through: the refusals above were the site check.
    r = await carol.post("/api/v1/knowledge", json=ENTRY, headers={"Sec-Fetch-Site": "same-origin",
                                                                   "X-CSRFToken": token})
    assert r.status_code == 201
    assert await _entries() == 1


async def test_an_owner_sign_in_ignores_a_session_id_chosen_before_it(app, personas):
    from server.accounts.tables import UnitOwner, User
    from server.delivery import owner_codes
    from server.org.services import building_create, project_create, unit_create

    project = await project_create(actor=None, name="固定会话测试")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    unit = await unit_create(actor=None, building_id=building.id, number="101", floor=1)
    owner = User(username="13900000077", password_hash="!", role="owner", display_name="业主")
    await owner.save().run()
    await UnitOwner(unit=unit.id, user=owner.id).save().run()
    code = await owner_codes.issue(actor=personas.user("carol"), user_id=owner.id, unit_id=unit.id)
    async with make_client(app) as phone:
        phone.cookies.set("sid", "attacker-chosen-session-id", domain="testserver.local")
        await csrf(phone)
        r = await phone.post("/owner/sign-in", data={"mobile": owner.username, "code": code}, follow_redirects=False)
        assert r.status_code == 303
        issued = phone.cookies.get("sid")
        assert issued != "attacker-chosen-session-id"
        assert (await phone.get("/api/v1/auth/me")).json()["username"] == owner.username
    async with make_client(app) as attacker:
        attacker.cookies.set("sid", "attacker-chosen-session-id", domain="testserver.local")
        assert (await attacker.get("/api/v1/auth/me")).status_code == 401


async def _carol_everywhere(app, personas):
    """carol signed in on a laptop and a phone, with an API token; ian signed in too."""
    laptop, phone = make_client(app), make_client(app)
    for browser in (laptop, phone):
        await browser.__aenter__()
        personas._clients.append(browser)
        assert (await login(browser, "carol")).status_code == 303
    token = await personas.api("carol")
    ian = await personas.api("ian")
    for client in (laptop, phone, token, ian):
        assert (await client.get("/api/v1/auth/me")).status_code == 200
    return laptop, phone, token, ian


async def _signed_in(client) -> bool:
    return (await client.get("/api/v1/auth/me")).status_code == 200


async def test_signing_out_in_one_browser_ends_every_session_and_token_of_the_account(app, personas):
    laptop, phone, token, ian = await _carol_everywhere(app, personas)
    r = await laptop.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert [await _signed_in(c) for c in (laptop, phone, token)] == [False, False, False]
    carol = personas.user("carol").id
    assert await Session.count().where(Session.user == carol).run() == 0
    assert await ApiToken.count().where(ApiToken.user == carol).run() == 0
    assert await _signed_in(ian)  # another account is not touched
    page = await phone.get("/account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_revoking_the_api_token_signs_the_browsers_out_too(app, personas):
    laptop, phone, token, ian = await _carol_everywhere(app, personas)
    assert (await token.delete("/api/v1/auth/token")).status_code == 204
    assert [await _signed_in(c) for c in (laptop, phone, token)] == [False, False, False]
    assert await _signed_in(ian)
    # Signing in again works, with a new session.
    async with make_client(app) as again:
        assert (await login(again, "carol", PASSWORD)).status_code == 303
        assert await _signed_in(again)


async def test_signing_out_says_so_in_chinese(personas):
    carol = await personas.browser("carol")
    r = await carol.post("/logout", follow_redirects=True)
    assert r.status_code == 200 and "您已在所有设备上退出登录。" in r.text
