"""Sign-in throttling behind a reverse proxy (TRUSTED_PROXIES): counted per real client, not per proxy."""
import pytest

from tests.support import PASSWORD, make_client

PROXY = "10.0.0.1"


@pytest.fixture
def behind_a_proxy(monkeypatch):
    from server.settings import reset_settings

    monkeypatch.setenv("TRUSTED_PROXIES", f"{PROXY}, 10.0.0.2")
    reset_settings()
    yield
    monkeypatch.delenv("TRUSTED_PROXIES")
    reset_settings()


async def _sign_in(client, forwarded: str, password: str, username: str = "ian"):
    return await client.post("/api/v1/auth/token", json={"username": username, "password": password},
                             headers={"X-Forwarded-For": forwarded})


async def test_one_guesser_behind_the_proxy_does_not_lock_out_everyone_else(app, personas, behind_a_proxy):
    async with make_client(app, client_ip=PROXY) as proxy:
        for i in range(20):
            assert (await _sign_in(proxy, "203.0.113.9", "wrong", f"user{i}")).status_code == 401
        assert (await _sign_in(proxy, "203.0.113.9", PASSWORD)).status_code == 429
        # Another phone through the same proxy signs in.
        assert (await _sign_in(proxy, "198.51.100.7", PASSWORD)).status_code == 200
        # A guesser cannot escape by prepending made-up hops: the proxy appends the real one on the right.
        assert (await _sign_in(proxy, "192.0.2.1, 203.0.113.9", PASSWORD)).status_code == 429
        # Through two of our proxies, the client is the first address that is not ours.
        assert (await _sign_in(proxy, "203.0.113.9, 10.0.0.2", PASSWORD)).status_code == 429


async def test_x_forwarded_for_from_anyone_else_is_not_believed(app, personas, behind_a_proxy):
    async with make_client(app, client_ip="10.9.9.9") as guesser:
        for i in range(20):
            assert (await _sign_in(guesser, f"203.0.113.{i}", "wrong", f"user{i}")).status_code == 401
        assert (await _sign_in(guesser, "198.51.100.7", PASSWORD)).status_code == 429


def test_a_malformed_proxy_address_stops_the_app_with_its_name(monkeypatch):
    from server.settings import SettingsError, load_settings

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, nginx")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings()
