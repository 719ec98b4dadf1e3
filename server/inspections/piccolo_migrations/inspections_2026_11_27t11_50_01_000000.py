"""Task lists are a party's (or a unit's) defects in deadline order: index
them in that order so a page is read off the index, not sorted each time."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T11:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "list_indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS defect_party_deadline ON defect (construction_unit, deadline, id)",
    "CREATE INDEX IF NOT EXISTS defect_unit_deadline ON defect (unit, deadline, id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def create_indexes():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
