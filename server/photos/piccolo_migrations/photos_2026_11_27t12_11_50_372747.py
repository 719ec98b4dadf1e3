from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-27T12:11:50:372747"
VERSION = "1.38.0"
DESCRIPTION = "no_subject_type_index"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="photos", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Photo",
        tablename="photo",
        column_name="subject_type",
        db_column_name="subject_type",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
