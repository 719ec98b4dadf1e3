"""API tokens and the createsuperuser command."""
import os
import subprocess
import sys

from tests.support import PASSWORD


async def test_wrong_credentials_answer_401_with_a_chinese_message(client, personas):
    r = await client.post("/api/v1/auth/token", json={"username": "alice", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["detail"] == "用户名或密码错误。"


async def test_english_is_available_to_api_callers(client, personas):
    r = await client.post("/api/v1/auth/token", json={"username": "alice", "password": "nope"},
                          headers={"Accept-Language": "en"})
    assert r.json()["detail"] == "Wrong user name or password."


async def test_a_made_up_token_is_401(client, personas):
    r = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


async def test_a_revoked_token_stops_working(client, personas):
    token = (await client.post("/api/v1/auth/token", json={"username": "ian", "password": PASSWORD})).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_disabling_a_user_ends_their_tokens(personas):
    admin = await personas.api("alice")
    ian = await personas.api("ian")
    assert (await ian.get("/api/v1/auth/me")).status_code == 200
    r = await admin.patch(f"/api/v1/users/{personas.user('ian').id}", json={"is_active": False})
    assert r.status_code == 200
    assert (await ian.get("/api/v1/auth/me")).status_code == 401
    r = await admin.post("/api/v1/auth/token", json={"username": "ian", "password": PASSWORD})
    assert r.status_code == 401


async def test_createsuperuser_works_without_prompts(client):
    result = subprocess.run(
        [sys.executable, "-m", "server", "createsuperuser", "--username", "root", "--password", "s3cret-pass"],
        env=dict(os.environ), capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    r = await client.post("/api/v1/auth/token", json={"username": "root", "password": "s3cret-pass"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "admin"


def test_createsuperuser_refuses_a_short_password():
    result = subprocess.run(
        [sys.executable, "-m", "server", "createsuperuser", "--username", "root2", "--password", "short"],
        env=dict(os.environ), capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )
    assert result.returncode != 0
    assert "password" in result.stderr
