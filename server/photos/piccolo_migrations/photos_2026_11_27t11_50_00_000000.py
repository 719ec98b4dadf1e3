"""Photos are always fetched by subject (type and id): one composite index.

Without it SQLite picks the subject_type index, which matches nearly every
row (most photos are defect photos), and scans them all.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T11:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "subject_index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="photos", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl("CREATE INDEX IF NOT EXISTS photo_subject ON photo (subject_id, subject_type)")

    manager.add_raw(create_index)
    return manager
