"""The tender's legal facts (winner, filings, contract dates: tender_record) are
never changed: the database refuses UPDATE and DELETE on them, as it does for
delivery confirmations and key handovers. A correction is a newer record."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "immutable tender records"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS tender_record_no_update BEFORE UPDATE ON tender_record "
    "BEGIN SELECT RAISE(ABORT, 'tender records are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS tender_record_no_delete BEFORE DELETE ON tender_record "
    "BEGIN SELECT RAISE(ABORT, 'tender records are immutable'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS tender_record_no_update",
               "DROP TRIGGER IF EXISTS tender_record_no_delete"]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER tender_record_immutable BEFORE UPDATE OR DELETE ON tender_record "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="procedures", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
