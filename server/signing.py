"""Signed, expiring tokens for links that work without a password
(a contractor opening a rectification notice from WeCom or email).

token = base64url(payload) "." base64url(HMAC-SHA256(SECRET_KEY, purpose + payload))
The purpose is part of what is signed, so a token made for one kind of link
never opens another.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from server.settings import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, payload: bytes) -> bytes:
    return hmac.new(get_settings().secret_key.encode(), purpose.encode() + b"\x00" + payload, hashlib.sha256).digest()


def sign(purpose: str, data: dict, max_age_seconds: int) -> str:
    payload = json.dumps({**data, "exp": int(time.time()) + max_age_seconds}, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(purpose, payload))}"


def unsign(purpose: str, token: str) -> dict | None:
    """The signed data, or None when the token is forged, altered or expired."""
    try:
        payload_part, mac_part = token.split(".", 1)
        payload = _unb64(payload_part)
        if not hmac.compare_digest(_unb64(mac_part), _mac(purpose, payload)):
            return None
        data = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("exp", 0) < time.time():
        return None
    return data
