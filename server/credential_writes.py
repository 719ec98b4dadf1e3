"""Which statements change what a sign-in is read from. Both engines (server/sqlite_engine.py,
server/postgres_engine.py) count such a write of their own process in the credentials'
generation, so a remembered sign-in is never trusted past it (server/accounts/)."""
from __future__ import annotations

import re

CREDENTIAL_TABLES = re.compile(r"\b(app_user|user_session|api_token)\b")
"""The tables a sign-in is read from (accounts.tables User, Session, ApiToken)."""


def is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


def writes_credentials(query: str) -> bool:
    return not is_read(query) and CREDENTIAL_TABLES.search(query) is not None
