async def test_a_token_signs_in_and_identifies_the_caller(client, personas):
    r = await client.post("/api/v1/auth/token", json={"username": "alice", "password": "correct-horse-42"})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["role"] == "admin"
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "alice"
