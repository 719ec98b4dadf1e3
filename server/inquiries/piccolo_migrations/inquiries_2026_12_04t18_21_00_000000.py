"""One summary per project and month (the cron may run twice, or two workers at
once); one link per knowledge-base entry and source inquiry."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T18:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique monthly summary and knowledge source"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inquiries", description=DESCRIPTION)

    async def unique_indexes():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS inquiry_summary_month ON inquiry_summary (project, month)")
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS knowledge_source_pair ON knowledge_source (entry, inquiry)")

    manager.add_raw(unique_indexes)
    return manager
