"""Request-scoped ASGI middleware: language, one DB connection per read, who is calling, Secure cookies.

Order in `server.app` (outermost first): SecureCookies, Locale, ReadTransaction, Auth, CSRF.
"""
from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts.services import user_for_session, user_for_token
from server.db import read_transaction
from server.i18n import current_locale, pick_locale
from server.settings import get_settings
from server.web.health import PROBE_PATHS

SESSION_COOKIE = "sid"
LANGUAGE_COOKIE = "lang"


def request_cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies (language, sign-in and CSRF all read them), as Litestar's `request.cookies`
    has them: parsed once a request and kept in its scope, by a parser that remembers the last thousand
    cookie headers (a signed-in browser sends the same one with every page). Read it, never change it."""
    return ASGIConnection(scope).cookies


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def client_address(scope: Scope) -> str:
    """Who is calling: the peer, or, when the peer is one of our TRUSTED_PROXIES, the nearest
    address in X-Forwarded-For that is not ours (the ones left of it could be made up by the client).
    Behind a proxy, the peer alone is the proxy: one guesser would lock every user out of sign-in."""
    client = scope.get("client")
    peer = client[0] if client else ""
    trusted = get_settings().trusted_proxies
    if peer not in trusted:
        return peer
    forwarded = Headers.from_scope(scope).get("x-forwarded-for", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if hop not in trusted:
            return hop
    return peer


class LocaleMiddleware:
    """Sets the request's language: the `lang` cookie, else (API callers only)
    Accept-Language, else the default (zh-CN)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        accept = headers.get("accept-language") if is_api_path(scope["path"]) else None
        locale = pick_locale(request_cookies(scope).get(LANGUAGE_COOKIE), accept, get_settings().default_language)
        token = current_locale.set(locale)
        scope.setdefault("state", {})["locale"] = locale
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)


class ReadTransactionMiddleware:
    """GET and HEAD run inside `read_transaction()`: on SQLite all their queries on one
    connection, in one read transaction (Piccolo's SQLite engine otherwise opens a
    connection per query); on PostgreSQL no transaction (see there why). Writes
    (other methods) use `write_transaction()` in the services instead, so a
    read transaction is never upgraded to a write half-way.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not scope["path"].startswith("/static/")
                and scope["path"] not in PROBE_PATHS):
            async with read_transaction():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class AuthMiddleware:
    """Sets scope["user"] (a User or None) and scope["auth_method"].

    API callers send `Authorization: Bearer <token>`; browsers send the
    session cookie. A bearer header, when present, is the only credential
    looked at (so a cookie never authenticates a request that skipped CSRF).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        user = None
        method = None
        if scope["path"] in PROBE_PATHS:  # a probe needs no user, and must not read sessions from the database
            scope["user"], scope["auth"] = None, None
            await self.app(scope, receive, send)
            return
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            method = "token"
            user = await user_for_token(authorization[7:].strip())
        else:
            raw = request_cookies(scope).get(SESSION_COOKIE)
            if raw:
                method = "session"
                user = await user_for_session(raw)
        scope["user"] = user
        scope["auth"] = method if user else None
        await self.app(scope, receive, send)


class SecureCookiesMiddleware:
    """Adds `Secure` to every cookie we set when the request came over HTTPS
    (directly, or through a proxy that says so with X-Forwarded-Proto)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        https = scope.get("scheme") == "https" or headers.get("x-forwarded-proto", "").lower() == "https"
        if not https:
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                new_headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"set-cookie" and b"secure" not in value.lower():
                        value = value + b"; Secure"
                    new_headers.append((name, value))
                message["headers"] = new_headers
            await send(message)

        await self.app(scope, receive, send_secure)
