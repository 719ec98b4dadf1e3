"""Role guards for route handlers, and the caller helpers controllers use.

Object-level access (which project, which party, which unit) lives in each
context's `access.py`; a role that may not act answers 403, an object the
caller may not see answers 404.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.errors import Forbidden, Unauthenticated
from server.i18n import _


def current_user(connection: ASGIConnection) -> Any | None:
    return connection.scope.get("user")


# The guards are coroutines although they never wait: Litestar runs a plain function guard
# in a worker thread (sync_to_thread), a hand-over that cost a tenth of a 50-row API list.

async def signed_in(connection: ASGIConnection, handler: BaseRouteHandler | None = None) -> None:
    if current_user(connection) is None:
        raise Unauthenticated(_("Please sign in."))


def allow(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard that lets in only these roles (signed-in first)."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise Unauthenticated(_("Please sign in."))
        if user.role not in allowed:
            raise Forbidden(_("You do not have permission to do this."))

    guard.__name__ = "allow_" + "_".join(sorted(allowed))
    return guard
