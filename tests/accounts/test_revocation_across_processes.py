"""Signing out and deactivation end a sign-in at once in every web process (issue 15).

Two granian workers serve the app, as `make run` may; each request comes on a
new connection, so the kernel spreads them over both workers. Whatever a
worker remembers to make the sign-in check fast, the next request after the
revocation, on either worker, must already be refused.
"""
from __future__ import annotations

import httpx
import pytest

from server.accounts.services import session_create, token_create
from tests.serving import granian

ROUNDS = 12


@pytest.fixture
def two_workers():
    with granian(workers=2) as (url, _pid):
        yield url


def statuses(url: str, headers: dict[str, str]) -> set[int]:
    """`GET /api/v1/auth/me` ROUNDS times, each on a new connection (either worker)."""
    return {httpx.get(f"{url}/api/v1/auth/me", headers=headers, timeout=10).status_code for _ in range(ROUNDS)}


async def test_signing_out_ends_every_session_and_token_in_every_worker(personas, two_workers):
    carol = personas.user("carol")
    token = {"Authorization": f"Bearer {await token_create(carol)}"}
    other_token = {"Authorization": f"Bearer {await token_create(carol)}"}
    browser = {"Cookie": f"sid={await session_create(carol)}"}
    for headers in (token, other_token, browser):
        assert statuses(two_workers, headers) == {200}  # known to both workers now

    assert httpx.delete(f"{two_workers}/api/v1/auth/token", headers=token, timeout=10).status_code == 204

    for headers in (token, other_token, browser):
        assert statuses(two_workers, headers) == {401}


async def test_a_deactivated_account_is_refused_at_once_in_every_worker(personas, two_workers):
    alice = {"Authorization": f"Bearer {await token_create(personas.user('alice'))}"}
    carol = personas.user("carol")
    token = {"Authorization": f"Bearer {await token_create(carol)}"}
    browser = {"Cookie": f"sid={await session_create(carol)}"}
    for headers in (token, browser):
        assert statuses(two_workers, headers) == {200}

    answer = httpx.patch(f"{two_workers}/api/v1/users/{carol.id}", json={"is_active": False}, headers=alice,
                         timeout=10)
    assert answer.status_code == 200

    for headers in (token, browser):
        assert statuses(two_workers, headers) == {401}


async def test_a_new_role_holds_from_the_next_request_in_every_worker(personas, two_workers):
    alice = {"Authorization": f"Bearer {await token_create(personas.user('alice'))}"}
    carol = personas.user("carol")
    token = {"Authorization": f"Bearer {await token_create(carol)}"}
    assert statuses(two_workers, token) == {200}

    answer = httpx.patch(f"{two_workers}/api/v1/users/{carol.id}", json={"role": "inspector"}, headers=alice,
                         timeout=10)
    assert answer.status_code == 200

    roles = {httpx.get(f"{two_workers}/api/v1/auth/me", headers=token, timeout=10).json()["role"]
             for _ in range(ROUNDS)}
    assert roles == {"inspector"}
