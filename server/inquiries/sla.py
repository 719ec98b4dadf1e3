"""Service levels of inquiries (regulation 5): per project and category, the
hours to the first response (the inquiry answered or sent to departments) and
to the answer (answered at once, or the sheet's answer approved), counted from
the inquiry. A row with category '' holds for every category without its own;
without any row DEFAULT_HOURS hold. A department's sheet is late after its
reply date.

`overdue_of` / `sheets_overdue_of` tell which rows of a page are late (a fixed
number of queries); every inquiry and sheet list shows those in red.
`sla_escalate` (the arq cron, with the inspections' overdue job) tells, once per
breach, the CS manager (administrators) of late inquiries and the department
(its inbox and channels) and the CS manager of late sheet replies.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from server import clock
from server.accounts import roles
from server.accounts.tables import User
from server.audit.services import audit_record
from server.db import write_transaction
from server.errors import Invalid
from server.i18n import _, lazy_gettext as _l
from server.inquiries import states
from server.inquiries.tables import ContactSheet, Inquiry, InquiryBreach, InquirySla
from server.notifications.services import Notice, active_users, default_language, notify, notify_party, send_soon

STAGES = {"response": _l("First response"), "answer": _l("Answer"), "reply": _l("Department's reply")}
RESPONSE_PENDING = (states.OPEN,)
ANSWER_PENDING = (states.OPEN, states.ESCALATED, states.DRAFTED, states.RETURNED)
DEFAULT_HOURS = {"response_hours": Decimal("4.00"), "answer_hours": Decimal("72.00")}
MAX_HOURS = Decimal("10000")


def _hours(value: Any) -> Decimal | None:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.01")):
        return None
    return hours.quantize(Decimal("0.01"))


def clean_rules(items: Any) -> list[dict[str, Any]]:
    """The rows to keep from [{category, response_hours, answer_hours}]; Invalid (Chinese) when any is bad."""
    if not isinstance(items, list):
        raise Invalid(_("Please correct the marked fields."), field_errors={"items": _("Send a list of rows.")})
    errors: dict[str, str] = {}
    rules: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        category = str(item.get("category") or "").strip()
        if len(category) > 50:
            errors[f"items.{index}.category"] = _("At most %(count)s characters.") % {"count": 50}
        elif category in seen:
            errors[f"items.{index}.category"] = _("Each category once.")
        seen.add(category)
        row = {"category": category}
        for name in ("response_hours", "answer_hours"):
            row[name] = _hours(item.get(name))
            if row[name] is None:
                errors[f"items.{index}.{name}"] = _("Enter the hours as a number more than 0, such as 2 or 0.25.")
        if None not in (row["response_hours"], row["answer_hours"]) and row["answer_hours"] < row["response_hours"]:
            errors[f"items.{index}.answer_hours"] = _("The answer cannot be due before the first response.")
        rules.append(row)
    if errors:
        raise Invalid(_("Please correct the marked fields."), field_errors=errors)
    return rules


async def rules_of(project_id: int) -> list[dict[str, Any]]:
    rows = await InquirySla.select(InquirySla.category, InquirySla.response_hours, InquirySla.answer_hours).where(
        InquirySla.project == project_id).order_by(InquirySla.category).run()
    return [{"category": r["category"], "response_hours": _two(r["response_hours"]),
             "answer_hours": _two(r["answer_hours"])} for r in rows]


def _two(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def rules_save(*, actor: Any, project_id: int, items: Any) -> list[dict[str, Any]]:
    """Replace a project's SLA rows (validated first: nothing is stored on a bad row)."""
    rules = clean_rules(items)
    async with write_transaction():
        await InquirySla.delete().where(InquirySla.project == project_id).run()
        if rules:
            await InquirySla.insert(*[InquirySla(project=project_id, **rule) for rule in rules]).run()
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="inquiry_sla",
                           details={"rules": [{k: str(v) for k, v in r.items()} for r in rules]})
    return await rules_of(project_id)


def _pick(rules: list[dict], category: str) -> dict:
    by = {r["category"]: r for r in rules}
    return by.get(category) or by.get("") or DEFAULT_HOURS


async def deadlines_of(rows: Iterable[dict]) -> dict[int, dict[str, dt.datetime]]:
    """inquiry id → {"response": due, "answer": due} for Inquiry dicts (id, project, category, created_at)."""
    rows = list(rows)
    projects = sorted({r["project"] for r in rows if r.get("project")})
    rules: dict[int, list[dict]] = {}
    if projects:
        for r in await InquirySla.select().where(InquirySla.project.is_in(projects)).run():
            rules.setdefault(r["project"], []).append(
                {"category": r["category"], "response_hours": Decimal(str(r["response_hours"])),
                 "answer_hours": Decimal(str(r["answer_hours"]))})
    out = {}
    for row in rows:
        rule = _pick(rules.get(row.get("project"), []), row.get("category") or "")
        out[row["id"]] = {stage: row["created_at"] + dt.timedelta(seconds=float(rule[f"{stage}_hours"] * 3600))
                          for stage in ("response", "answer")}
    return out


async def overdue_of(rows: Iterable[dict], now: dt.datetime | None = None) -> dict[int, dict[str, Any]]:
    """inquiry id → {"stage", "label", "deadline"} for each late inquiry of `rows` (with status)."""
    now = now or clock.now()
    racing = [r for r in rows if r["status"] in ANSWER_PENDING]
    late: dict[int, dict[str, Any]] = {}
    for inquiry_id, due in (await deadlines_of(racing)).items():
        status = next(r["status"] for r in racing if r["id"] == inquiry_id)
        for stage in ("answer", "response"):  # the later deadline first: the worse lateness shows
            if status in (RESPONSE_PENDING if stage == "response" else ANSWER_PENDING) and due[stage] < now:
                late[inquiry_id] = {"stage": stage, "label": str(STAGES[stage]), "deadline": due[stage]}
                break
    return late


def sheet_late(row: dict, now: dt.datetime | None = None) -> bool:
    return row["status"] == states.WAITING and row["deadline"] < (now or clock.now())


async def sla_escalate(now: dt.datetime | None = None) -> int:
    """Tell of each newly late inquiry and sheet reply, once per breach; returns how many breaches."""
    now = now or clock.now()
    rows = await Inquiry.select(Inquiry.id, Inquiry.project, Inquiry.category, Inquiry.status,
                                Inquiry.created_at).where(Inquiry.status.is_in(list(ANSWER_PENDING))).run()
    late = await overdue_of(rows, now)
    sheets = await ContactSheet.select(ContactSheet.id, ContactSheet.inquiry, ContactSheet.party,
                                       ContactSheet.deadline, ContactSheet.party.name.as_alias("party_name")).where(
        (ContactSheet.status == states.WAITING) & (ContactSheet.deadline < now)).run()
    if not late and not sheets:
        return 0
    count = 0
    destinations: list[int] = []
    async with write_transaction():
        managers = await active_users(User.role == roles.ADMIN)
        for inquiry_id, info in sorted(late.items()):
            key = f"i{inquiry_id}:{info['stage']}:{info['deadline'].timestamp():.0f}"
            if not await _breach(key, inquiry_id, None, info["stage"], info["deadline"]):
                continue
            count += 1
            with default_language():
                notice = Notice(key=f"inquiry-sla:{key}", link=f"/inquiries/{inquiry_id}",
                                title=_("Inquiry overdue: No. %(id)s", id=inquiry_id),
                                body=_("The inquiry missed its deadline: %(stage)s.", stage=str(STAGES[info["stage"]])))
            destinations += await notify(managers, notice)
        for sheet in sheets:
            key = f"s{sheet['id']}:reply:{sheet['deadline'].timestamp():.0f}"
            if not await _breach(key, sheet["inquiry"], sheet["id"], "reply", sheet["deadline"]):
                continue
            count += 1
            with default_language():
                notice = Notice(key=f"inquiry-sheet-late:{key}", link=f"/sheets/{sheet['id']}",
                                title=_("Contact sheet reply overdue: inquiry No. %(id)s", id=sheet["inquiry"]),
                                body=_("%(party)s has not replied by the date.", party=sheet["party_name"]))
            destinations += await notify_party(sheet["party"], notice)
            destinations += await notify(managers, notice)
    await send_soon(destinations)
    return count


async def _breach(key: str, inquiry_id: int, sheet_id: int | None, stage: str, deadline: dt.datetime) -> bool:
    made = await InquiryBreach.insert(InquiryBreach(key=key, inquiry=inquiry_id, sheet=sheet_id, stage=stage,
                                                    deadline=deadline)).on_conflict(
        action="DO NOTHING").returning(InquiryBreach.id).run()
    if made:
        await audit_record(actor=None, object_type="inquiry_sheet" if sheet_id else "inquiry",
                           object_id=sheet_id or inquiry_id, action="sla_overdue",
                           details={"stage": stage, "deadline": deadline.isoformat()})
    return bool(made)


async def sla_job(ctx: Any = None) -> int:
    """arq cron: escalate late inquiries and sheet replies. `ctx["now"]` (tests) sets the clock."""
    return await sla_escalate((ctx or {}).get("now"))
