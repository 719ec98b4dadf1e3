"""One row per construction unit and project (party_project: the contractor's project filter), from the
notices already sent: a notice's inspection's unit's building's project."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T23:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "party_project_fill"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def fill():
        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS party_project_party_project ON party_project (party, project)")
        await engine.run_ddl(
            "INSERT INTO party_project (party, project) "
            "SELECT DISTINCT n.party, b.project FROM rectification_notice n "
            "JOIN inspection i ON i.id = n.inspection JOIN unit u ON u.id = i.unit "
            "JOIN building b ON b.id = u.building")

    manager.add_raw(fill)
    return manager
