"""Piccolo's configuration: the engine from DATABASE_URL and the app registry.

Piccolo finds this module through PICCOLO_CONF=server.piccolo_conf (set by
server/__init__.py), both for the app and for `piccolo migrations`.
"""
from piccolo.conf.apps import AppRegistry

from server.db import engine

DB = engine()

# Order matters for migrations: an app comes after the apps it references.
APP_REGISTRY = AppRegistry(
    apps=[
        "server.audit.piccolo_app",
        "server.photos.piccolo_app",
        "server.org.piccolo_app",
        "server.accounts.piccolo_app",
        "server.notifications.piccolo_app",
        "server.inspections.piccolo_app",
        "server.handover.piccolo_app",
        "server.delivery.piccolo_app",
        "server.procedures.piccolo_app",
        "server.repairs.piccolo_app",
        "server.knowledge.piccolo_app",
        "server.inquiries.piccolo_app",
    ]
)
