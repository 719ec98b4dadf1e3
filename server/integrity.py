"""`python -m server verify-records`: is every signed legal record still what was signed?

The database refuses UPDATE and DELETE on legal records (triggers added by the
migrations), but someone with the database's password can drop or bypass a
trigger (`SET session_replication_role = replica`). So each signed record
also carries a SHA-256 of its canonical content, signature digests included,
and the audit trail (written in the same transaction) repeats that hash.
This checks, for every record:

1. its content still hashes to its `content_sha256`;
2. each signature image still exists and hashes to its stored digest;
3. its `content_sha256` is the one the audit trail recorded when it was made
   (someone who changed the content and wrote a new hash over it must also
   find and rewrite the audit entry);

and that every immutable table still has its triggers. It reads only.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from server.audit.tables import AuditEntry
from server.db import engine
from server.delivery.day import confirmation_fields
from server.delivery.tables import DeliveryConfirmation
from server.handover.services import canonical_content, handover_fields
from server.handover.tables import KeyHandover
from server.photos.storage import read_bytes
from server.repairs.closing_tables import RepairSignoff
from server.repairs.signoff import signoff_fields

IMMUTABLE_TABLES = ("key_handover", "delivery_confirmation", "recorded_delivery", "repair_completion",
                    "repair_signoff", "repair_quote", "repair_quote_decision", "repair_visit", "tender_record",
                    "inquiry_callback")
"""Every table whose triggers refuse UPDATE and DELETE (see tests/support.py IMMUTABLE_MIGRATIONS)."""


@dataclass(frozen=True)
class SignedKind:
    table: type
    fields: Callable[[Any], dict]
    signatures: tuple[tuple[str, str], ...]
    """(storage key column, digest column) of each signature image."""
    audit_id_key: str
    """The key under which the audit entry's details name the record."""


SIGNED = (
    SignedKind(KeyHandover, handover_fields, (("giver_signature_key", "giver_signature_sha256"),
                                              ("receiver_signature_key", "receiver_signature_sha256")), "handover_id"),
    SignedKind(DeliveryConfirmation, confirmation_fields, (("signature_key", "signature_sha256"),), "confirmation_id"),
    SignedKind(RepairSignoff, signoff_fields, (("signature_key", "signature_sha256"),), "signoff_id"),
)

AUDITED_ACTIONS = ("key_handover", "delivery_confirmation", "sign_off_record", "refuse_record")


@dataclass(frozen=True)
class Finding:
    table: str
    record_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.table} #{self.record_id}" if self.record_id is not None else self.table
        return f"ALTERED {where}: {self.problem}"


@dataclass
class Report:
    checked: dict[str, int]
    findings: list[Finding]


async def _audited_hashes() -> dict[tuple[str, int], set[str]]:
    """(details id key, record id) -> the hashes the audit trail recorded for it."""
    rows = await AuditEntry.select(AuditEntry.details).where(AuditEntry.action.is_in(list(AUDITED_ACTIONS))).run()
    found: dict[tuple[str, int], set[str]] = {}
    for row in rows:
        details = row["details"] if isinstance(row["details"], dict) else json.loads(row["details"] or "{}")
        for kind in SIGNED:
            if kind.audit_id_key in details and details.get("sha256"):
                found.setdefault((kind.audit_id_key, int(details[kind.audit_id_key])), set()).add(details["sha256"])
    return found


async def _signature_problem(key: str, digest: str) -> str | None:
    try:
        data = await read_bytes(key)
    except Exception:  # noqa: BLE001 - whatever the storage says (local disk or a bucket), it is not there
        return f"signature image {key} is missing or unreadable"
    if hashlib.sha256(data).hexdigest() != digest:
        return f"signature image {key} does not match its SHA-256"
    return None


async def _check_record(kind: SignedKind, record: Any, audited: dict) -> list[str]:
    problems = []
    content = hashlib.sha256(canonical_content(kind.fields(record))).hexdigest()
    if content != record.content_sha256:
        problems.append("its content does not match its content_sha256")
    for key_column, digest_column in kind.signatures:
        key = getattr(record, key_column)
        if key:  # a refused repair sign-off has no signature
            problem = await _signature_problem(key, getattr(record, digest_column))
            if problem:
                problems.append(problem)
    recorded = audited.get((kind.audit_id_key, record.id))
    if recorded is None:
        problems.append("the audit trail has no entry with its hash")
    elif record.content_sha256 not in recorded:
        problems.append("its content_sha256 is not the hash the audit trail recorded when it was signed")
    return problems


async def _missing_triggers() -> list[str]:
    db = engine()
    if isinstance(db, PostgresEngine):
        rows = await db.run_ddl(
            "SELECT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'")
        guarded = {row["name"] for row in rows}
        return [table for table in IMMUTABLE_TABLES if table not in guarded]
    rows = await db.run_ddl("SELECT tbl_name AS name, sql FROM sqlite_master WHERE type = 'trigger'")
    missing = []
    for table in IMMUTABLE_TABLES:
        sql = " ".join(row["sql"].upper() for row in rows if row["name"] == table)
        if "BEFORE UPDATE" not in sql or "BEFORE DELETE" not in sql:
            missing.append(table)
    return missing


async def verify_records(batch: int = 500) -> Report:
    audited = await _audited_hashes()
    report = Report(checked={}, findings=[])
    for kind in SIGNED:
        name = kind.table._meta.tablename
        report.checked[name] = 0
        last_id = 0
        while True:  # in batches by id, so memory stays flat on a large install
            records = await kind.table.objects().where(kind.table.id > last_id).order_by(
                kind.table.id).limit(batch).run()
            if not records:
                break
            for record in records:
                report.checked[name] += 1
                for problem in await _check_record(kind, record, audited):
                    report.findings.append(Finding(name, record.id, problem))
            last_id = records[-1].id
    for table in await _missing_triggers():
        report.findings.append(Finding(table, None, "its immutability trigger is missing or disabled"))
    return report
