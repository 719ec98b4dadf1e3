"""Domain errors. Services raise these; `server.web.errors` maps them to HTTP.

Messages are translated when raised (the request's language is in a context
variable), so the same text reaches a page, a JSON client or a log.
"""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None,
                 report: list[dict] | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.report = report or []
        """Row-by-row problems of an import: [{"row": 3, "field": "...", "message": "..."}]."""
        self.extra = extra or {}
        """More for the caller, added to a JSON answer as is (e.g. the unchecked checklist items)."""


class Invalid(DomainError):
    """Bad input: the message (and per-field messages) say what to fix."""

    status_code = 400


class NotFound(DomainError):
    """Missing, or exists but the caller may not see it: both look the same."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """A state transition that is not allowed from the current state."""

    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429


class Unauthenticated(DomainError):
    status_code = 401
