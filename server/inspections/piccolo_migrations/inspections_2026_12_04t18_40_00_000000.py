"""One mark per checklist item per inspection, held by the database too.

The services already replace an item's mark under the inspection's row lock
(checklists.item_mark, room_ok); this unique index makes a second mark
impossible even for code that forgets to. Rows doubled before the rule are
collapsed first, keeping each item's newest mark."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "item_result_one_mark"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def one_mark_per_item():
        engine = engine_finder()
        await engine.run_ddl(
            "DELETE FROM item_result WHERE id NOT IN ("
            " SELECT MAX(id) FROM item_result GROUP BY inspection, item)")
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS item_result_one_mark ON item_result (inspection, item)")

    manager.add_raw(one_mark_per_item)
    return manager
