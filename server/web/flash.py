"""One-shot messages shown on the next page (after a POST-redirect-GET).

Kept in a short-lived cookie rather than server state: a message is only
ever shown back to the browser that caused it, and it works signed out.
"""
from __future__ import annotations

import base64
import json

from litestar import Request, Response

FLASH_COOKIE = "flash"


def flash(response: Response, message: str, kind: str = "success") -> Response:
    payload = base64.urlsafe_b64encode(json.dumps([kind, message]).encode()).decode()
    response.set_cookie(FLASH_COOKIE, payload, max_age=60, httponly=True, samesite="lax", path="/")
    return response


def pop_flash(request: Request, response: Response) -> dict | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    response.delete_cookie(FLASH_COOKIE, path="/")
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return None
    if kind not in ("success", "warning", "error") or not isinstance(message, str):
        return None
    return {"kind": kind, "message": message[:500]}
