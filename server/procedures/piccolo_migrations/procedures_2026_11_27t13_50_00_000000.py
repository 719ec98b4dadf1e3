"""Seed the procedure templates of regulations 2 and 3 (server/procedures/seed.py).

A data migration: minimal table definitions here, not server.procedures.tables,
so later changes to the tables cannot break it. Only missing codes are added
(the same rule as services.templates_ensure, which also runs on first use).
"""
import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import JSON, Boolean, Integer, Text, Varchar
from piccolo.table import Table

ID = "2026-11-27T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "seed_templates"


class ProcedureTemplate(Table, tablename="procedure_template"):
    code = Varchar(length=50)
    name = Varchar(length=200)
    regulation = Varchar(length=100)


class TemplateStep(Table, tablename="procedure_template_step"):
    template = Integer()
    position = Integer()
    title = Text()
    responsible_role = Varchar(length=30)
    responsible_label = Varchar(length=100)
    documents = JSON()
    needs_approval = Boolean()
    approver_role = Varchar(length=30)
    due_offset_days = Integer()


async def forwards():
    from server.procedures.seed import TEMPLATES

    manager = MigrationManager(migration_id=ID, app_name="procedures", description=DESCRIPTION)

    async def seed():
        existing = {r["code"] for r in await ProcedureTemplate.select(ProcedureTemplate.code).run()}
        for spec in TEMPLATES:
            if spec["code"] in existing:
                continue
            rows = await ProcedureTemplate.insert(ProcedureTemplate(
                code=spec["code"], name=spec["name"], regulation=spec.get("regulation", ""))).run()
            template_id = rows[0]["id"]
            await TemplateStep.insert(*[
                TemplateStep(template=template_id, position=position, title=step["title"],
                             responsible_role=step.get("role", ""), responsible_label=step.get("label", ""),
                             documents=json.dumps(step.get("docs", []), ensure_ascii=False),
                             needs_approval=bool(step.get("approver")), approver_role=step.get("approver", ""),
                             due_offset_days=step.get("days", 0))
                for position, step in enumerate(spec["steps"], start=1)
            ]).run()

    manager.add_raw(seed)
    return manager
