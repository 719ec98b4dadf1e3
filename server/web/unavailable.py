"""The 503 of a database that went away, wherever in a request it shows.

`server.web.errors.database_unavailable_handler` answers it when a route fails. Two
cases need more than a handler, and this middleware (inside the request id and the
language, outside everything that reads the database) covers them:

- The read transaction and the caller's session or token are read by middlewares,
  before any route runs. What they raise passes Litestar's per-route handling, and
  the access log would record a 500 before Litestar's outermost handler answered.
  Here it is answered in place: the access line says 503, with the request's id.
- An upload answered before its body was read (the token check failed at once): a
  server that answers and closes while the phone is still sending resets the
  connection, and the phone sees a network error instead of the 503. The rest of
  the body is read and dropped first (at most the largest accepted upload, for at
  most DRAIN_SECONDS), as nginx's lingering close does.
"""
from __future__ import annotations

import asyncio
import logging

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.db import DatabaseUnavailable
from server.settings import get_settings
from server.web.errors import database_unavailable_handler

log = logging.getLogger("server.errors")

DRAIN_SECONDS = 10.0
"""How long a refused upload's body is read for, at most: a slow phone is not waited for."""


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of the request body."""
    limit = get_settings().upload_max_bytes + 1024 * 1024
    received = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while received <= limit:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the caller hung up
                received += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        pass


class DatabaseUnavailableMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = started = finished = False

        async def receive_watching() -> Message:
            nonlocal body_read
            message = await receive()
            body_read = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_draining(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 503 and not body_read:
                    await _drain(receive_watching)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive_watching, send_draining)
        except DatabaseUnavailable as exc:
            if finished:
                # The read transaction's COMMIT after a complete answer (its 503, usually):
                # a read has nothing to keep, and the caller has its answer.
                log.info("Database unavailable after %s %s was answered: %s", scope["method"], scope["path"], exc)
                return
            if started:
                raise  # a stream cut half-way must end the connection, not look complete
            request = scope["litestar_app"].request_class(scope=scope, receive=receive_watching, send=send_draining)
            response = database_unavailable_handler(request, exc)
            await response.to_asgi_response(app=None, request=request)(scope, receive_watching, send_draining)
