"""The search looks tokens up and groups by entry: one index on (token, entry,
field) answers it without reading the table (SQLite and PostgreSQL alike)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T16:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index for knowledge search"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="knowledge", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS knowledge_token_lookup ON knowledge_token (token, entry, field)")

    manager.add_raw(create_index)
    return manager
