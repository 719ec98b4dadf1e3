"""A status change that is checked, atomic and audited, for any table with a
`status` column: compare-and-set on the status the caller read, so of two
concurrent changes one wins and the other is a 409 (never a silent
overwrite), and the audit line is written in the same transaction."""
from __future__ import annotations

from typing import Any

from piccolo.table import Table

from server.audit.services import audit_record
from server.errors import Conflict


async def compare_and_set(row: Table, target: str, *, actor: Any, object_type: str, action: str,
                          conflict_message: str, **changes: Any) -> None:
    """Move `row` from its current status to `target` (and set `changes`); call inside a write transaction."""
    table = type(row)
    values = {table.status: target, **{getattr(table, name): value for name, value in changes.items()}}
    updated = await table.update(values).where((table.id == row.id) & (table.status == row.status)).returning(
        table.id).run()
    if not updated:
        raise Conflict(conflict_message)
    await audit_record(actor=actor, object_type=object_type, object_id=row.id, action=action,
                       from_state=row.status, to_state=target)
    for name, value in changes.items():
        setattr(row, name, value)
    row.status = target
