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
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from python_multipart.multipart import MultipartParser, parse_options_header

from server.settings import Settings
from server.web.middleware import SESSION_COOKIE, request_cookies

CSRF_HEADER = "x-csrftoken"
TOKEN_FIELD = "_csrf_token"
TOKEN_SEARCH_BYTES = 256 * 1024
"""How far into a multipart body the token field is looked for (`csrf_field()` comes first in our forms)."""
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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
    return scope["path"].startswith("/api/") and SESSION_COOKIE not in request_cookies(scope)


def _sent_by_another_site(scope: Scope) -> bool:
    """A browser's own word that another site made this request (Fetch Metadata).

    The token already stops a forged form; this is the second lock, for a
    token that leaked or a cookie planted by a sibling subdomain. Only
    `cross-site` is refused: `same-origin` is us, `none` is the address bar."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    return Headers.from_scope(scope).get("sec-fetch-site", "").lower() == "cross-site"


async def _token_ahead(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The `_csrf_token` field of a multipart body, read as far as it, and a `receive` that gives the
    handler the whole body again (what was read, then the rest as it comes).

    Litestar's middleware would parse the whole multipart form to find the field: the body is then
    used up, and the handler that streams the upload (server/photos/upload.py) waits forever for it
    (a plain <form enctype="multipart/form-data"> without htmx hung on submit). Only the first part
    is read here, the files stay streamed, and nothing is held in memory beyond that part."""
    _, params = parse_options_header(Headers.from_scope(scope).get("content-type", ""))
    if not params.get(b"boundary"):
        return None, receive
    found: dict[str, bytearray] = {}
    name = bytearray()
    state = {"name": "", "header": b"", "done": False}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        if state["header"].strip().lower() == b"content-disposition":
            name.extend(data[start:end])

    def on_header_end() -> None:
        state["header"] = b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(bytes(name))
        state["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        name.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["name"] == TOKEN_FIELD:
            found.setdefault(TOKEN_FIELD, bytearray()).extend(data[start:end])

    def on_part_end() -> None:
        state["done"] = state["done"] or state["name"] == TOKEN_FIELD

    parser = MultipartParser(params[b"boundary"], {
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end})
    read: list[Message] = []
    size = 0
    while not state["done"] and size < TOKEN_SEARCH_BYTES:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        try:
            parser.write(chunk)
        except Exception:  # noqa: BLE001 - a malformed body has no token; the handler says what is wrong
            break
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    token = found.get(TOKEN_FIELD)
    return (token.decode("utf-8", "replace") if state["done"] and token else None), replay


class CSRFUnlessBearerMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _needs_no_token(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and _sent_by_another_site(scope):
            raise PermissionDeniedException("cross-site request refused")
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers.from_scope(scope)
            if not headers.get(CSRF_HEADER) and headers.get("content-type", "").lower().startswith(
                    "multipart/form-data"):
                token, receive = await _token_ahead(scope, receive)
                if token:  # checked by Litestar as if it came in the header; the body is left to the handler
                    scope["headers"] = [*scope["headers"], (CSRF_HEADER.encode(), token.encode())]
                    ScopeState.from_scope(scope).headers = Headers(scope["headers"])
        await super().__call__(scope, receive, send)
