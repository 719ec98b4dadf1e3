"""Composite unique indexes.

Piccolo's Unique constraint is added with ALTER TABLE, which SQLite cannot
do; a unique index means the same on both databases.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T11:14:50:409669"
VERSION = "1.38.0"
DESCRIPTION = "unique_indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS unit_owner_user_unit_uniq ON unit_owner (\"user\", unit)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
