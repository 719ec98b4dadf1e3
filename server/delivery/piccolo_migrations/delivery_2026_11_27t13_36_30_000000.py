"""Delivery confirmations are legal records: the database itself refuses
UPDATE and DELETE on them, as it does for key handovers."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-27T13:36:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "immutable confirmations"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS delivery_confirmation_no_update BEFORE UPDATE ON delivery_confirmation "
    "BEGIN SELECT RAISE(ABORT, 'delivery confirmations are immutable'); END",
    "CREATE TRIGGER IF NOT EXISTS delivery_confirmation_no_delete BEFORE DELETE ON delivery_confirmation "
    "BEGIN SELECT RAISE(ABORT, 'delivery confirmations are immutable'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS delivery_confirmation_no_update",
               "DROP TRIGGER IF EXISTS delivery_confirmation_no_delete"]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER delivery_confirmation_immutable BEFORE UPDATE OR DELETE ON delivery_confirmation "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="delivery", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
