"""Service levels of repairs (domain/rules.md "Service levels"): per urgency, the
hours to the first response (triage), to being on site (the work starts) and to
done (completed), each counted from the request (or from its reopening, for a
repair that came back). Each project sets its own hours in RepairSettings.

`overdue_of` tells, for a page of repairs at once (a fixed number of queries),
which stage is late; every repair list shows those in red (the CS list, the
owner's list, and any job list: call it with the rows it shows). A request not
triaged yet has no urgency: the normal hours apply. Waiting on the owner does
not pause the clock here; CS sees the reason on the repair's page.
`sla_escalate` (the cron job) tells the CS manager (admins) once per breach.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.audit.tables import AuditEntry
from server.db import write_transaction
from server.i18n import _, lazy_gettext as _l
from server.notifications.services import Notice, active_users, default_language, notify, send_soon
from server.org.tables import Unit
from server.repairs import states
from server.repairs.closing_tables import RepairSlaBreach
from server.repairs.tables import RepairRequest, RepairSettings

STAGES = {"response": _l("First response"), "on_site": _l("On site"), "done": _l("Done")}
STAGE_OF_STATUS = {states.REPORTED: "response", states.REOPENED: "response",
                   states.TRIAGED: "on_site", states.SURVEYING: "on_site", states.PLANNED: "on_site",
                   states.ASSIGNED: "on_site", states.IN_REPAIR: "done"}
"""The stage a repair in this status is racing against; statuses not here have met every deadline."""
FIELDS = tuple(f"{urgency}_{stage}_hours" for urgency in states.URGENCIES for stage in STAGES)
MAX_HOURS = Decimal("10000")


def hours_problems(values: dict[str, Any]) -> tuple[dict[str, Decimal], dict[str, str]]:
    """(clean hours, errors) for the SLA fields: more than 0, at most MAX_HOURS, two decimals."""
    clean: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        try:
            hours = Decimal(str(values[name]).strip())
            if not hours.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError, KeyError):
            errors[name] = _("Enter the hours as a number more than 0, such as 2 or 0.25.")
            continue
        if hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.01")):
            errors[name] = _("Enter the hours as a number more than 0, such as 2 or 0.25.")
            continue
        clean[name] = hours.quantize(Decimal("0.01"))
    return clean, errors


def _hours(settings: dict | None, urgency: str, stage: str) -> Decimal:
    urgency = urgency if urgency in states.URGENCIES else "normal"
    name = f"{urgency}_{stage}_hours"
    if settings is None:
        return RepairSettings._meta.get_column_by_name(name).default
    return Decimal(str(settings[name]))


async def _clock_starts(rows: list[dict]) -> dict[int, dt.datetime]:
    """repair id → when its clock started: the request, or its latest reopening (one query)."""
    starts = {row["id"]: row["created_at"] for row in rows}
    reopened = [row["id"] for row in rows if row["status"] == states.REOPENED or row["status"] in STAGE_OF_STATUS]
    if reopened:
        for entry in await AuditEntry.select(AuditEntry.object_id, AuditEntry.at).where(
                (AuditEntry.object_type == "repair") & (AuditEntry.action == "reopen")
                & AuditEntry.object_id.is_in([str(i) for i in reopened])).run():
            rid = int(entry["object_id"])
            starts[rid] = max(starts[rid], entry["at"])
    return starts


async def overdue_of(rows: Iterable[dict], now: dt.datetime | None = None, *,
                     projects: dict[int, int] | None = None,
                     settings: dict[int, dict] | None = None) -> dict[int, dict[str, Any]]:
    """repair id → {"stage", "label", "deadline"} for each late repair of `rows` (RepairRequest dicts with
    id, unit, status, urgency, created_at), in three queries whatever their number (one when the caller
    has already read the units' `projects` (unit → project) and the projects' `settings` rows)."""
    now = now or clock.now()
    racing = [row for row in rows if row["status"] in STAGE_OF_STATUS]
    if not racing:
        return {}
    if projects is None or settings is None:
        projects = {r["id"]: r["project"] for r in await Unit.select(
            Unit.id, Unit.building.project.as_alias("project")).where(
            Unit.id.is_in(sorted({row["unit"] for row in racing}))).run()}
        settings = {row["project"]: row for row in await RepairSettings.select().where(
            RepairSettings.project.is_in(sorted(set(projects.values())) or [-1])).run()}
    starts = await _clock_starts(racing)
    late: dict[int, dict[str, Any]] = {}
    for row in racing:
        stage = STAGE_OF_STATUS[row["status"]]
        hours = _hours(settings.get(projects.get(row["unit"])), row["urgency"], stage)
        deadline = starts[row["id"]] + dt.timedelta(seconds=float(hours * 3600))
        if deadline < now:
            late[row["id"]] = {"stage": stage, "label": str(STAGES[stage]), "deadline": deadline}
    return late


async def sla_escalate(now: dt.datetime | None = None) -> int:
    """Tell the CS manager (every active admin) of each newly late repair, once per breach; returns how many."""
    now = now or clock.now()
    rows = await RepairRequest.select(RepairRequest.id, RepairRequest.unit, RepairRequest.status,
                                      RepairRequest.urgency, RepairRequest.created_at).where(
        RepairRequest.status.is_in(list(STAGE_OF_STATUS))).run()
    late = await overdue_of(rows, now)
    if not late:
        return 0
    destinations: list[int] = []
    count = 0
    async with write_transaction():
        managers = await active_users(User.role == roles.ADMIN)
        for repair_id, info in sorted(late.items()):
            key = f"{repair_id}:{info['stage']}:{info['deadline'].timestamp():.0f}"
            made = await RepairSlaBreach.insert(RepairSlaBreach(
                key=key, repair=repair_id, stage=info["stage"], deadline=info["deadline"])).on_conflict(
                action="DO NOTHING").returning(RepairSlaBreach.id).run()
            if not made:
                continue
            count += 1
            await audit_record(actor=None, object_type="repair", object_id=repair_id, action="sla_overdue",
                               details={"stage": info["stage"], "deadline": info["deadline"].isoformat()})
            with default_language():
                notice = Notice(key=f"repair-sla:{key}", link=f"/repairs/{repair_id}",
                                title=_("Repair overdue: No. %(id)s", id=repair_id),
                                body=_("The repair missed its deadline: %(stage)s.", stage=str(STAGES[info["stage"]])))
            destinations += await notify(managers, notice)
    await send_soon(destinations)
    return count


async def sla_job(ctx: Any = None) -> int:
    """arq cron: escalate late repairs. `ctx["now"]` (tests) sets the clock."""
    return await sla_escalate((ctx or {}).get("now"))
