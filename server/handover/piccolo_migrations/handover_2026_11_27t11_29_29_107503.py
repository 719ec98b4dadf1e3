"""Key handovers are legal records: the database itself refuses UPDATE and
DELETE on them, whatever code (or person with a SQL prompt) tries."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-27T11:29:29:107503"
VERSION = "1.38.0"
DESCRIPTION = "immutable"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS key_handover_no_update BEFORE UPDATE ON key_handover "
    "BEGIN SELECT RAISE(ABORT, 'key handovers are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS key_handover_no_delete BEFORE DELETE ON key_handover "
    "BEGIN SELECT RAISE(ABORT, 'key handovers are immutable'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS key_handover_no_update", "DROP TRIGGER IF EXISTS key_handover_no_delete"]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER key_handover_immutable BEFORE UPDATE OR DELETE ON key_handover "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="handover", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
