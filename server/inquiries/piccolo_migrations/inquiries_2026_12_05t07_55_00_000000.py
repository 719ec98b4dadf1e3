"""A callback (the call to the customer: reached or not, satisfied or not) is a
record: the database refuses UPDATE and DELETE on inquiry_callback, as it does
for tender records and repair sign-offs. A correction is a new callback."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-05T07:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "immutable inquiry callbacks"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS inquiry_callback_no_update BEFORE UPDATE ON inquiry_callback "
    "BEGIN SELECT RAISE(ABORT, 'inquiry_callback rows are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS inquiry_callback_no_delete BEFORE DELETE ON inquiry_callback "
    "BEGIN SELECT RAISE(ABORT, 'inquiry_callback rows are immutable'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS inquiry_callback_no_update",
               "DROP TRIGGER IF EXISTS inquiry_callback_no_delete"]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER inquiry_callback_immutable BEFORE UPDATE OR DELETE ON inquiry_callback "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inquiries", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
