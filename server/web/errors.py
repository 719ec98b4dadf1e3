"""Turning every failure into a clear answer in the caller's language.

API paths answer JSON `{"detail", "status_code", "errors"?}`; pages answer a
translated error page (401 on a page redirects to sign-in instead). A 500
never shows a traceback; it is logged with the request path. A database that
cannot be reached is a 503 with Retry-After (see also server/web/unavailable.py).
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from server.db import DatabaseUnavailable
from server.errors import DomainError
from server.i18n import _
from server.web.middleware import is_api_path

log = logging.getLogger("server.errors")


def _generic_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood. Please check what you entered."),
        401: _("Please sign in."),
        403: _("You do not have permission to do this."),
        404: _("The page or record was not found."),
        405: _("This action is not available here."),
        409: _("This cannot be done in the record's current state."),
        413: _("The upload is too large."),
        415: _("This kind of file is not accepted."),
        422: _("Some of the information is not valid."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    return messages.get(status, _("Something went wrong on our side. Please try again later."))


def _answer(request: Request, status: int, message: str, field_errors: dict | None = None,
            report: list | None = None, extra: dict | None = None) -> Response:
    if is_api_path(request.url.path) or request.headers.get("accept", "").startswith("application/json"):
        body = {"detail": message, "status_code": status}
        if field_errors:
            body["errors"] = field_errors
        if report:
            body["report"] = report
        body.update(extra or {})
        return Response(content=body, status_code=status, media_type=MediaType.JSON)
    if status == 401:
        # An owner's page (a unit's repair form opened from its QR code) signs in with the one-time code.
        path = request.url.path
        sign_in = "/owner/sign-in" if path == "/owner" or path.startswith("/owner/") else "/login"
        target = sign_in + "?next=" + quote(request.url.path)
        if request.headers.get("hx-request") == "true":
            return Response(content="", status_code=200, headers={"HX-Redirect": target})
        return Redirect(path=target, status_code=303)
    from server.web.templating import render  # late: templating imports this package

    response = render(request, "errors/error.html", status_code=status, status=status, message=message,
                      field_errors=field_errors or {})
    if request.headers.get("hx-request") == "true":
        # Let htmx show the message where the request was made from.
        response.headers["HX-Reswap"] = "none"
        response.headers["HX-Trigger"] = '{"app:error": {"status": %d}}' % status
    return response


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    return _answer(request, exc.status_code, exc.message, exc.field_errors, exc.report, exc.extra)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    field_errors = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        field_errors = {}
        for item in exc.extra:
            if isinstance(item, dict) and item.get("key"):
                field_errors[str(item["key"])] = _("This value is not valid.")
        status = 400
    response = _answer(request, status, _generic_message(status), field_errors)
    if status == 403 and "CSRF" in str(exc.detail) and isinstance(response.content, dict):
        # The offline outbox tells an expired form token from a refusal: it
        # asks the inspector to sign in again instead of giving up the record.
        response.content["reason"] = "csrf"
    return response


RETRY_AFTER_SECONDS = 5
"""Told to a caller while the database is away: PostgreSQL restarts in seconds."""


def database_unavailable_handler(request: Request, exc: DatabaseUnavailable) -> Response:
    """The database is not there (stopped, restarting, crashed): 503 and "try again later"
    in the caller's language, not a 500. Nothing half-written was kept: the transaction
    died with its connection. The same answer on a page, a JSON API or an htmx request."""
    log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
    response = _answer(request, 503, _("The service is unavailable: the database cannot be reached. "
                                       "Please try again later."))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("Unhandled error on %s %s", request.method, request.url.path)
    return _answer(request, 500, _generic_message(500))


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    DatabaseUnavailable: database_unavailable_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
