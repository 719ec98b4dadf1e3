"""Writing and reading the audit trail.

Services call `audit_record` inside the same transaction as the change it
describes, so a change and its trail line commit or roll back together.
"""
from __future__ import annotations

from typing import Any, Sequence

from server.audit.tables import AuditEntry


async def audit_record(
    *,
    actor: Any | None,
    object_type: str,
    object_id: Any,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    details: dict | None = None,
) -> None:
    await audit_records(actor=actor, object_type=object_type, action=action, from_state=from_state,
                        to_state=to_state, entries=[(object_id, details)])


async def audit_records(*, actor: Any | None, object_type: str, action: str, entries: Sequence[tuple[Any, dict | None]],
                        from_state: str | None = None, to_state: str | None = None) -> None:
    """One line per (object_id, details) of `entries`, the same change done to
    many objects at once, in one INSERT."""
    if not entries:
        return
    actor_name = (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else ""
    await AuditEntry.insert(*[
        AuditEntry(actor_id=getattr(actor, "id", None), actor_name=actor_name, object_type=object_type,
                   object_id=str(object_id), action=action, from_state=from_state, to_state=to_state,
                   details=details or {})
        for object_id, details in entries
    ]).run()


async def audit_timeline(object_type: str, object_id: Any, limit: int = 200) -> list[dict]:
    """Newest first: who did what to one object, and when."""
    return (
        await AuditEntry.select()
        .where((AuditEntry.object_type == object_type) & (AuditEntry.object_id == str(object_id)))
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .run()
    )
