"""Tampering (issue 14, figure 10): a signed record altered directly in the database,
past its trigger as an attacker with the database's password would, is found by
`python -m server verify-records`, which exits 1 naming it. On SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from importlib import import_module

from server.db import engine, write_transaction
from server.delivery.tables import DeliveryConfirmation
from server.handover.tables import KeyHandover
from server.photos.storage import get_storage
from server.repairs.closing_tables import RepairSignoff
from tests.dataset import build
from tests.support import IMMUTABLE_MIGRATIONS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def verify_records() -> subprocess.CompletedProcess:
    """The operator's command, as a process of its own on the test's database and media."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "server", "verify-records"], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    print(f"\nFIGURE verify-records: exit {result.returncode} in {time.monotonic() - started:.1f} s\n{result.stdout}")
    return result


def is_postgres() -> bool:
    return not os.environ["DATABASE_URL"].startswith("sqlite")


async def attack(table: type, sql: str, *values) -> None:
    """Run `sql` past the immutability trigger: PostgreSQL's replica role skips triggers for this
    transaction only; on SQLite the triggers are dropped and put back, so both look untouched after."""
    async with write_transaction():
        if is_postgres():
            await engine().run_ddl("SET LOCAL session_replication_role = replica")
            await table.raw(sql, *values).run()
            return
        migrations = [import_module(name) for name in IMMUTABLE_MIGRATIONS]
        for statement in (s for m in migrations for s in m.SQLITE_DROP):
            await engine().run_ddl(statement)
        await table.raw(sql, *values).run()
        for statement in (s for m in migrations for s in m.SQLITE):
            await engine().run_ddl(statement)


def altered_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("ALTERED ")]


async def test_untouched_records_pass_and_each_alteration_is_named(personas):
    data = await build(personas)
    clean = verify_records()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert altered_lines(clean) == []
    assert "every record matches" in clean.stdout
    counts = {KeyHandover: await KeyHandover.count().run(), DeliveryConfirmation: await DeliveryConfirmation.count().run(),
              RepairSignoff: await RepairSignoff.count().run()}
    assert all(count >= 1 for count in counts.values()), counts
    assert (f"Checked {counts[KeyHandover]} key_handover, {counts[DeliveryConfirmation]} delivery_confirmation, "
            f"{counts[RepairSignoff]} repair_signoff") in clean.stdout

    # 1. A key handover's receiver renamed; its hash left as it was.
    handover = data["handover_id"]
    await attack(KeyHandover, "UPDATE key_handover SET receiver_name = {} WHERE id = {}", "冒名顶替", handover)
    result = verify_records()
    assert result.returncode == 1, result.stdout + result.stderr
    assert altered_lines(result) == [f"ALTERED key_handover #{handover}: its content does not match its content_sha256"]

    # 2. A delivery confirmation's owner renamed, with a new hash computed over the new content:
    #    the record agrees with itself, but not with the audit trail.
    from server.delivery.day import confirmation_fields
    from server.handover.services import canonical_content

    confirmation = data["confirmation_id"]
    record = await DeliveryConfirmation.objects().get(DeliveryConfirmation.id == confirmation).run()
    record.owner_name = "另一个人"
    forged = hashlib.sha256(canonical_content(confirmation_fields(record))).hexdigest()
    await attack(DeliveryConfirmation, "UPDATE delivery_confirmation SET owner_name = {}, content_sha256 = {} "
                                       "WHERE id = {}", "另一个人", forged, confirmation)
    result = verify_records()
    assert result.returncode == 1
    assert altered_lines(result) == [
        f"ALTERED key_handover #{handover}: its content does not match its content_sha256",
        f"ALTERED delivery_confirmation #{confirmation}: its content_sha256 is not the hash the audit trail "
        "recorded when it was signed"]

    # 3. The owner's signature image on a repair sign-off replaced in storage.
    signoff = await RepairSignoff.objects().get(RepairSignoff.id == data["signoff_id"]).run()
    assert signoff.signature_key
    await get_storage().put_bytes(signoff.signature_key, b"\x89PNG\r\n\x1a\n another drawing")
    result = verify_records()
    assert result.returncode == 1
    assert altered_lines(result)[2:] == [
        f"ALTERED repair_signoff #{signoff.id}: signature image {signoff.signature_key} does not match its SHA-256"]


async def test_a_dropped_trigger_is_named(personas):
    drop = ("DROP TRIGGER tender_record_immutable ON tender_record" if is_postgres()
            else "DROP TRIGGER tender_record_no_update")
    restore = import_module("server.procedures.piccolo_migrations.procedures_2026_12_04t18_40_00_000000")
    await engine().run_ddl(drop)
    try:
        result = verify_records()
    finally:
        for statement in restore.POSTGRES[1:] if is_postgres() else restore.SQLITE:
            await engine().run_ddl(statement)
    assert result.returncode == 1, result.stdout + result.stderr
    assert altered_lines(result) == ["ALTERED tender_record: its immutability trigger is missing or disabled"]
    assert verify_records().returncode == 0
