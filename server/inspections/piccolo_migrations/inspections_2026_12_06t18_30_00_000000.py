"""Defect lists across every project, at the scale of a large developer (2 million defects).

CS's and supervisors' lists filter by status and read in deadline order (the
defect list, overdue defects, the check and recheck queues); with only the
one-column status index they read every defect of a status and sorted them
(100 ms on 400,000 defects in SQLite). This index gives them in order, and
bounded counts (pagination.count_up_to) read it alone. A contractor's lists
(one party, one status, in deadline order) get the same from a party-first
index, so neither database is tempted to read every open defect of every
party in order and keep one party's.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "defect_status_deadline_index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS defect_status_deadline_id ON defect (status, deadline, id)")
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS defect_party_status_deadline ON defect (construction_unit, status, deadline, id)")
        # A plan's schedule counts its inspections per day: one plan's, by day, without a sort.
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS inspection_plan_day ON inspection (plan, scheduled_for)")

    manager.add_raw(create_index)
    return manager
