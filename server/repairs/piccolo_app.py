import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="repairs",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["server.repairs.tables", "server.repairs.closing_tables",
                                        "server.repairs.job_tables"], exclude_imported=True),
    migration_dependencies=["server.accounts.piccolo_app", "server.delivery.piccolo_app"],
    commands=[],
)
