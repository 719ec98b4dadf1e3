"""Which statements change what a web process remembers between requests.

Two kinds of rows are remembered, each under a generation that any process committing a
change to them moves on (server/sqlite_engine.py, server/postgres_engine.py):
- CREDENTIALS: users, sessions and tokens, what a sign-in is read from (server/accounts/);
- REFERENCE: projects, buildings, unit types, parties and trade assignments, read on
  most pages and seldom written (server/reference_cache.py).
A remembered value is never trusted past a change of its kind's generation.
"""
from __future__ import annotations

import re

CREDENTIALS = "credentials"
REFERENCE = "reference"

CREDENTIAL_TABLES = re.compile(r"\b(app_user|user_session|api_token)\b")
"""The tables a sign-in is read from (accounts.tables User, Session, ApiToken)."""

REFERENCE_TABLE_NAMES = ("project", "building", "unit_type", "party", "trade_assignment")
"""org.tables Project, Building, UnitType, Party; inspections.tables TradeAssignment."""

_REFERENCE_WRITE = re.compile(
    r'\b(?:INTO|UPDATE|FROM|TABLE)\s+"?(?:' + "|".join(REFERENCE_TABLE_NAMES) + r')"?(?!\w)', re.IGNORECASE)
"""A statement naming a reference table where a write names its target. Matched on table
position, not anywhere: "project" is also a column of many tables, whose writes would
otherwise throw the remembered rows away for nothing. A FROM inside a write's subquery
matches too, which only costs a needless reload."""


def is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


def writes_credentials(query: str) -> bool:
    return not is_read(query) and CREDENTIAL_TABLES.search(query) is not None


def writes_reference(query: str) -> bool:
    if is_read(query):
        return False
    return query.lstrip()[:8].upper() == "TRUNCATE" or _REFERENCE_WRITE.search(query) is not None


def kinds_written(query: str) -> tuple[str, ...]:
    """The kinds of remembered rows this statement may change (none for a SELECT)."""
    if is_read(query):
        return ()
    return tuple(kind for kind, writes in ((CREDENTIALS, writes_credentials), (REFERENCE, writes_reference))
                 if writes(query))
