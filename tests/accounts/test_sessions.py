"""Sign-in by session cookie: fixation, unknown ids, logout, CSRF, Secure cookies."""
from tests.support import csrf, login, make_client


async def test_login_issues_a_fresh_session_id_and_ignores_a_client_chosen_one(app, personas):
    async with make_client(app) as victim:
        victim.cookies.set("sid", "attacker-chosen-session-id", domain="testserver.local")
        response = await login(victim, "carol")
        assert response.status_code == 303
        issued = victim.cookies.get("sid")
        assert issued and issued != "attacker-chosen-session-id"
    # The attacker's id never became a session.
    async with make_client(app) as attacker:
        attacker.cookies.set("sid", "attacker-chosen-session-id", domain="testserver.local")
        page = await attacker.get("/account", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_a_session_id_the_server_never_issued_is_refused(app, personas):
    async with make_client(app) as c:
        c.cookies.set("sid", "made-up", domain="testserver.local")
        r = await c.get("/api/v1/auth/me")
        assert r.status_code == 401


async def test_signing_in_again_replaces_the_old_session(app, personas):
    async with make_client(app) as c:
        await login(c, "carol")
        first = c.cookies.get("sid")
        await login(c, "carol")
        second = c.cookies.get("sid")
        assert first != second
    async with make_client(app) as other:
        other.cookies.set("sid", first, domain="testserver.local")
        assert (await other.get("/api/v1/auth/me")).status_code == 401


async def test_logout_ends_the_session(app, personas):
    async with make_client(app) as c:
        await login(c, "ian")
        sid = c.cookies.get("sid")
        assert (await c.get("/api/v1/auth/me")).status_code == 200
        r = await c.post("/logout", follow_redirects=False)
        assert r.status_code == 303
    async with make_client(app) as replay:
        replay.cookies.set("sid", sid, domain="testserver.local")
        assert (await replay.get("/api/v1/auth/me")).status_code == 401


async def test_a_form_post_without_the_csrf_token_is_refused(app, personas):
    async with make_client(app) as c:
        await login(c, "ian")
        del c.headers["X-CSRFToken"]
        r = await c.post("/logout", follow_redirects=False)
        assert r.status_code == 403
        assert (await c.get("/api/v1/auth/me")).status_code == 200  # still signed in


async def test_a_wrong_password_keeps_the_typed_user_name(client, personas):
    await csrf(client)
    r = await client.post("/login", data={"username": "carol", "password": "nope", "next": "/"})
    assert r.status_code == 401
    assert 'value="carol"' in r.text


async def test_cookies_are_secure_when_served_over_https(client, personas):
    await csrf(client)
    r = await client.post("/login", data={"username": "carol", "password": "correct-horse-42", "next": "/"},
                          headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert r.status_code == 303
    sid_cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("sid=")][0]
    assert "Secure" in sid_cookie and "HttpOnly" in sid_cookie


async def test_cookies_are_not_marked_secure_over_plain_http(client, personas):
    r = await login(client, "carol")
    sid_cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("sid=")][0]
    assert "Secure" not in sid_cookie


async def test_sign_in_redirects_only_to_paths_on_this_site(client, personas):
    await csrf(client)
    r = await client.post("/login", data={"username": "carol", "password": "correct-horse-42",
                                          "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"


async def test_signing_in_does_not_need_redis(app, personas, redis_server):
    redis_server.stop()
    try:
        async with make_client(app) as c:
            r = await login(c, "carol")
            assert r.status_code == 303
            assert (await c.get("/api/v1/auth/me")).json()["username"] == "carol"
    finally:
        redis_server.start()
