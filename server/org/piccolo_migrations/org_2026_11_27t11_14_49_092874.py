"""Composite unique indexes.

Piccolo's Unique constraint is added with ALTER TABLE, which SQLite cannot
do; a unique index means the same on both databases.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T11:14:49:092874"
VERSION = "1.38.0"
DESCRIPTION = "unique_indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS building_project_name_uniq ON building (project, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS unit_type_project_name_uniq ON unit_type (project, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS unit_building_number_uniq ON unit (building, number)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
