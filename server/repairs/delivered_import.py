"""Importing homes delivered before this software (regulation 1, issue 11): one
row per home with 楼栋, 房号, 业主姓名, 手机号, 交付日期. Every row or none, with the
row-by-row report of the other imports (server/delivery/services.RowReport).

Each row records the home's delivery day (an immutable RecordedDelivery), makes
the owner's account from the mobile number when there is none (no password:
the owner signs in with a one-time code, as for delivery batches) and links it
to the home. A home that already has a delivery day, a day in the future, or a
mobile number that belongs to a staff account is refused by row.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from server import clock
from server.accounts import roles
from server.accounts.mobile import valid_mobile
from server.accounts.passwords import UNUSABLE_PASSWORD
from server.accounts.tables import UnitOwner, User
from server.audit.services import audit_record, audit_records
from server.db import write_transaction
from server.delivery.contracts_import import _phone_text
from server.delivery.importing import HEADINGS
from server.delivery.services import read_project_file
from server.i18n import _
from server.repairs.selectors import delivery_days
from server.repairs.tables import RecordedDelivery

DELIVERED_HEADINGS = {
    "building": HEADINGS["building"],
    "unit": HEADINGS["unit"],
    "owner_name": ("业主", "业主姓名", "姓名", "owner", "owner name", "owner_name"),
    "mobile": ("手机号", "手机", "手机号码", "联系电话", "mobile", "phone"),
    "delivered_on": ("交付日期", "交房日期", "交付日", "delivered on", "delivered_on", "delivery day"),
}


def _day(text: str) -> dt.date | None:
    """2024-03-01, 2024/3/1 or Excel's "2024-03-01 00:00:00"."""
    value = text.strip().split(" ")[0].replace("/", "-")
    try:
        year, month, day = (int(part) for part in value.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


async def delivered_homes_import(*, actor: Any, project_id: int, path: Path, filename: str) -> dict[str, int]:
    """{"imported", "accounts_made"}; a bad row refuses the whole file (400 with `report`)."""
    rows, report = await read_project_file(
        project_id, path, filename, DELIVERED_HEADINGS, (),
        _("The file needs the columns 楼栋, 房号, 业主姓名, 手机号 and 交付日期 in its first row."))
    checked = []
    for number, row in rows:
        unit_id = report.unit_of(number, row)
        name = row["owner_name"].strip()
        if not name:
            report.problem(number, "owner_name", _("Enter the owner's name."))
        mobile = valid_mobile(_phone_text(row["mobile"]))
        if not mobile:
            report.problem(number, "mobile", _("Enter an 11-digit mobile number starting with 1."))
        day = _day(row["delivered_on"])
        if day is None:
            report.problem(number, "delivered_on", _("Enter a date such as 2025-03-01."))
        elif day > clock.today():
            report.problem(number, "delivered_on", _("This day is in the future."))
        checked.append((number, unit_id, name[:100], mobile, day))
    known = await delivery_days([unit for _, unit, *_ in checked if unit])
    mobiles = sorted({mobile for *_, mobile, _ in checked if mobile})
    users = {u.username: u for u in await User.objects().where(User.username.is_in(mobiles or [""])).run()}
    for number, unit_id, _name, mobile, _day_ in checked:
        if unit_id in known:
            report.problem(number, "unit", _("This home already has a delivery day."))
        if mobile in users and users[mobile].role != roles.OWNER:
            report.problem(number, "mobile", _("This mobile number belongs to a staff account."))
    report.refuse_if_any()
    made = 0
    async with write_transaction():
        for number, unit_id, name, mobile, day in checked:
            if mobile not in users:
                user = User(username=mobile, password_hash=UNUSABLE_PASSWORD, role=roles.OWNER, display_name=name,
                            phone=mobile)
                await user.save().run()
                users[mobile] = user
                made += 1
        linked = {(r["unit"], r["user"]) for r in await UnitOwner.select(UnitOwner.unit, UnitOwner.user).where(
            UnitOwner.unit.is_in([c[1] for c in checked] or [-1])).run()}
        links = [UnitOwner(unit=unit_id, user=users[mobile].id) for _, unit_id, _, mobile, _ in checked
                 if (unit_id, users[mobile].id) not in linked]
        if links:
            await UnitOwner.insert(*links).run()
        await RecordedDelivery.insert(*[RecordedDelivery(unit=unit_id, delivered_on=day,
                                                         created_by=getattr(actor, "id", None))
                                        for _, unit_id, _, _, day in checked]).run()
        await audit_records(actor=actor, object_type="unit", action="delivered_record", entries=[
            (unit_id, {"delivered_on": day.isoformat(), "owner_user_id": users[mobile].id, "file": filename})
            for _, unit_id, _, mobile, day in checked])
        await audit_record(actor=actor, object_type="project", object_id=project_id, action="delivered_homes_import",
                           details={"file": filename, "rows": len(checked), "accounts_made": made})
    return {"imported": len(checked), "accounts_made": made}
