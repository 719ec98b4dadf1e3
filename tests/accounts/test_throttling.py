"""Login throttling: per account and per client, answered 429."""
from server.accounts.tables import ApiToken, LoginAttempt, Session
from tests.support import PASSWORD, make_client


async def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(client, personas):
    for _ in range(5):
        r = await client.post("/api/v1/auth/token", json={"username": "carol", "password": "wrong"})
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/token", json={"username": "carol", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["detail"] == "登录失败次数过多，请几分钟后再试。"
    assert await ApiToken.count().run() == 0  # the right password made no token while locked
    assert await LoginAttempt.count().where(LoginAttempt.username == "carol").run() == 5


async def test_the_lock_is_per_account(client, personas):
    for _ in range(5):
        await client.post("/api/v1/auth/token", json={"username": "carol", "password": "wrong"})
    r = await client.post("/api/v1/auth/token", json={"username": "ian", "password": PASSWORD})
    assert r.status_code == 200


async def test_a_client_guessing_many_accounts_is_throttled(app, personas):
    async with make_client(app, client_ip="10.9.8.7") as guesser:
        for i in range(20):
            r = await guesser.post("/api/v1/auth/token", json={"username": f"user{i}", "password": "x"})
            assert r.status_code == 401
        r = await guesser.post("/api/v1/auth/token", json={"username": "ian", "password": PASSWORD})
        assert r.status_code == 429
    async with make_client(app, client_ip="10.9.8.8") as someone_else:
        r = await someone_else.post("/api/v1/auth/token", json={"username": "ian", "password": PASSWORD})
        assert r.status_code == 200


async def test_the_login_page_answers_429_too(client, personas):
    from tests.support import csrf

    await csrf(client)
    for _ in range(5):
        await client.post("/login", data={"username": "ian", "password": "bad"})
    r = await client.post("/login", data={"username": "ian", "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多，请几分钟后再试。" in r.text
    assert await Session.count().run() == 0
    assert 'value="ian"' in r.text
