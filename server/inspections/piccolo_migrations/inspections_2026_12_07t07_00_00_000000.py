"""PostgreSQL: NOTIFY reference_changed with every change to a project, a building, a unit type,
a party or a trade assignment.

Each web process remembers those rows between requests only while nothing changed
(server/reference_cache.py, server/postgres_changes.py). Here, in the inspections app, because
trade_assignment is created by the inspections migrations, after org's tables. SQLite needs
nothing here: its processes share a mapped file instead (server/sqlite_engine.py _Generation).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from server.postgres_changes import REFERENCE_TRIGGER_STATEMENTS

ID = "2026-12-07T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reference_changed_notify"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in REFERENCE_TRIGGER_STATEMENTS:
                await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
