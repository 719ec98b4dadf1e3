"""A recorded delivery day is a legal record: the database refuses UPDATE and
DELETE on it, as it does for delivery confirmations and key handovers."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T15:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "immutable recorded deliveries"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS recorded_delivery_no_update BEFORE UPDATE ON recorded_delivery "
    "BEGIN SELECT RAISE(ABORT, 'recorded deliveries are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS recorded_delivery_no_delete BEFORE DELETE ON recorded_delivery "
    "BEGIN SELECT RAISE(ABORT, 'recorded deliveries are immutable'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS recorded_delivery_no_update",
               "DROP TRIGGER IF EXISTS recorded_delivery_no_delete"]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER recorded_delivery_immutable BEFORE UPDATE OR DELETE ON recorded_delivery "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="repairs", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
