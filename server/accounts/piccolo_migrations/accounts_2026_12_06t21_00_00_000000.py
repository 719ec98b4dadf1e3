"""PostgreSQL: NOTIFY credentials_changed with every change to a user, a session or a token.

Each web process listens and remembers the sign-ins it has checked only while nothing
changed (server/postgres_changes.py). SQLite needs nothing here: its processes
share a mapped file instead (server/sqlite_engine.py _Generation).
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from server.postgres_changes import TRIGGER_STATEMENTS

ID = "2026-12-06T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "credentials_changed_notify"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in TRIGGER_STATEMENTS:
                await engine.run_ddl(statement)

    manager.add_raw(create_triggers)
    return manager
