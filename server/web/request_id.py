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
        failure = None
        status = 499  # nginx's "client closed the request": the caller left before any answer was sent
        answered = gone_before_answer = False

        async def receive_watching() -> Message:
            nonlocal gone_before_answer
            message = await receive()
            if message["type"] == "http.disconnect" and not answered:
                gone_before_answer = True
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                answered = True
                # A caller that hung up mid-body gets Litestar's 500, which goes nowhere: logged as 499.
                status = 499 if gone_before_answer else message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive_watching, send_with_id)
        except BaseException as exc:
            if not answered and not gone_before_answer:
                status = 500  # the app failed before it answered
            failure = type(exc).__name__
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                log_access(scope["method"], scope["path"], status, round((time.perf_counter() - started) * 1000, 1),
                           failure)
            request_id.reset(token)


def log_access(method: str, path: str, status: int, took: float, failure: str | None) -> None:
    """The request's access line, as `access_log.info` makes it, less its search of the stack for
    the caller's file and line, which no format of ours prints (server/logs.py): every request
    writes one, and logging's every step counts at a few thousand a second."""
    access_log.handle(access_log.makeRecord(
        access_log.name, logging.INFO, __file__, 0, "%s %s %s %s ms", (method, path, status, took), None,
        extra={"method": method, "path": path, "status": status, "duration_ms": took, "error": failure}))
