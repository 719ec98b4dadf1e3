"""CSRF protection: Litestar's double-submit token, skipped for bearer-token calls.

Browsers send the token in the `X-CSRFToken` header (htmx and our scripts do
it for every request, see templates/base.html) or in the `_csrf_token` form
field. A call with `Authorization: Bearer` cannot be forged by another site
(browsers do not add that header on their own), and `AuthMiddleware` then
ignores cookies, so it needs no token.
"""
from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Headers
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from server.settings import Settings
from server.web.middleware import SESSION_COOKIE, cookies_of

CSRF_HEADER = "x-csrftoken"


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name="csrftoken",
        header_name=CSRF_HEADER,
        cookie_samesite="lax",
        exclude=["^/static/", "^/sw.js$", "^/api/v1/auth/token$"],
    )


def _needs_no_token(scope: Scope) -> bool:
    headers = Headers.from_scope(scope)
    if headers.get("authorization", "").lower().startswith("bearer "):
        return True
    # An API call carrying no session cookie cannot ride on a victim's
    # session: it is simply unauthenticated, and should hear 401, not 403.
    return scope["path"].startswith("/api/") and SESSION_COOKIE not in cookies_of(headers)


def _sent_by_another_site(scope: Scope) -> bool:
    """A browser's own word that another site made this request (Fetch Metadata).

    The token already stops a forged form; this is the second lock, for a
    token that leaked or a cookie planted by a sibling subdomain. Only
    `cross-site` is refused: `same-origin` is us, `none` is the address bar."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    return Headers.from_scope(scope).get("sec-fetch-site", "").lower() == "cross-site"


class CSRFUnlessBearerMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _needs_no_token(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and _sent_by_another_site(scope):
            raise PermissionDeniedException("cross-site request refused")
        await super().__call__(scope, receive, send)
