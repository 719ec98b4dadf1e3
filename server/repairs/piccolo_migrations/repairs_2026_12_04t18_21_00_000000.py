"""Completions, sign-offs, quotes, quote decisions and return visits of a repair
are records: the database refuses UPDATE and DELETE on them, as it does for key
handovers and recorded deliveries."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-04T18:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "immutable repair closing records"

TABLES = ("repair_completion", "repair_signoff", "repair_quote", "repair_quote_decision", "repair_visit")

SQLITE = [
    statement
    for table in TABLES
    for statement in (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END",
    )
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_{what}" for table in TABLES for what in ("no_update", "no_delete")]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$ LANGUAGE plpgsql",
    *[f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
      "FOR EACH ROW EXECUTE FUNCTION refuse_change()" for table in TABLES],
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="repairs", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
