"""A repair unit's job list reads its standing assignments through one index.

`repair_assignment_jobs` (party, superseded, repair) gives a unit's standing
jobs in repair order, so the job list's page and its total read only that
unit's index entries (before, PostgreSQL matched every repair request against
them to count: 20 ms at 20,000 requests, bench/repairs.py).

`repair_assignment_one_standing`: a repair has at most one standing
assignment. dispatch.repair_assign already supersedes the old one in the same
transaction; the index makes it a rule of the database, which the job list's
total relies on (it counts assignments, not requests)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "repair job list index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="repairs", description=DESCRIPTION)

    async def job_indexes():
        engine = engine_finder()
        await engine.run_ddl("CREATE INDEX IF NOT EXISTS repair_assignment_jobs "
                             "ON repair_assignment (party, superseded, repair)")
        await engine.run_ddl("CREATE UNIQUE INDEX IF NOT EXISTS repair_assignment_one_standing "
                             "ON repair_assignment (repair) WHERE superseded = FALSE")

    manager.add_raw(job_indexes)
    return manager
