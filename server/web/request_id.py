"""The request id (server/logs.py) for each HTTP request, and one access line per request.

Outermost middleware: the caller's X-Request-ID (a reverse proxy's: nginx
`proxy_set_header X-Request-ID $request_id`) when it is a sane token, else a
new one; set for everything the request runs (its log lines, the jobs it
queues) and returned in the response's X-Request-ID header.
"""
from __future__ import annotations

import logging
import time

from litestar.datastructures import Headers
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import accepted_request_id, request_id

HEADER = "x-request-id"
access_log = logging.getLogger("server.access")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = accepted_request_id(Headers.from_scope(scope).get(HEADER))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what the caller gets if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            took = round((time.perf_counter() - started) * 1000, 1)
            access_log.info("%s %s %s %s ms", scope["method"], scope["path"], status, took,
                            extra={"method": scope["method"], "path": scope["path"], "status": status,
                                   "duration_ms": took})
            request_id.reset(token)
