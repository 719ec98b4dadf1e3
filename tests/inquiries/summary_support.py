"""A month of inquiries for the summary tests: two projects, times set around the China month's edges."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.clock import CHINA

NOVEMBER = dt.date(2026, 11, 1)
FIRST_OF_DECEMBER = dt.datetime(2026, 12, 1, 0, 9, 59, 600000, tzinfo=CHINA)
"""Just before the monthly cron's 00:10 on the 1st, China time (16:09:59.6 UTC the day before)."""


def china(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CHINA)


async def _unit(project_name: str) -> tuple[int, int]:
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name=project_name)
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    unit = await Unit.objects().where(Unit.building == building.id).first().run()
    return project.id, unit.id


async def inquiry(actor: Any, *, unit: int | None, channel: str, category: str, question: str, at: dt.datetime,
                  answer: str = "", answered_at: dt.datetime | None = None, entry: int | None = None) -> int:
    from server.inquiries.services import inquiry_record
    from server.inquiries.tables import Inquiry

    row = await inquiry_record(actor=actor, fields={
        "asker_name": "王先生", "asker_phone": "13900000001", "unit_id": unit or "", "channel": channel,
        "category": category, "question": question, "answer": answer, "knowledge_entry_id": entry or ""})
    await Inquiry.update({Inquiry.created_at: at, Inquiry.answered_at: answered_at if row.answered_at else None}).where(
        Inquiry.id == row.id).run()
    return row.id


async def november(personas: Any) -> dict[str, Any]:
    """Project 阳光花园: four inquiries of November (China time), one each side of it; 星河湾: one; no unit: one."""
    from server.knowledge.services import entry_create

    carol = personas.user("carol")
    entry = await entry_create(actor=carol, fields={"question": "卫生间漏水怎么办", "answer": "先关总阀，再报修。",
                                                    "category": "报修"})
    project, unit = await _unit("阳光花园")
    other, other_unit = await _unit("星河湾")
    ids = {
        # 07:00 on Nov 1 in China is Oct 31 in UTC: November's all the same
        "fast": await inquiry(carol, unit=unit, channel="phone", category="报修", question="卫生间漏水",
                              at=china(11, 1, 7), answer="先关总阀，再报修。", answered_at=china(11, 1, 9), entry=entry.id),
        "slow": await inquiry(carol, unit=unit, channel="wechat", category="报修", question="厨房也漏水了",
                              at=china(11, 5, 10), answer="先关总阀，再报修。", answered_at=china(11, 8, 10),
                              entry=entry.id),
        "late": await inquiry(carol, unit=unit, channel="online", category="物业", question="物业费怎么交",
                              at=china(11, 30, 23, 30)),
        "waiting": await inquiry(carol, unit=unit, channel="walk_in", category="物业", question="物业电话是多少",
                                 at=china(11, 10, 9)),
    }
    # 01:00 on Dec 1 in China is still Nov 30 in UTC: December's, not in November's summary
    await inquiry(carol, unit=unit, channel="phone", category="报修", question="十二月的问题", at=china(12, 1, 1))
    await inquiry(carol, unit=unit, channel="phone", category="报修", question="十月的问题", at=china(10, 31, 23, 59))
    await inquiry(carol, unit=other_unit, channel="phone", category="报修", question="别的项目", at=china(11, 3, 9))
    await inquiry(carol, unit=None, channel="phone", category="报修", question="没有房号", at=china(11, 3, 9))
    return {"project": project, "other": other, "entry": entry.id, "ids": ids}


async def _set(inquiry_id: int, *, status: str, answered_after: float | None = None) -> None:
    """Put a fixture inquiry in `status`, answered `answered_after` hours after it was asked (None: not yet)."""
    from server.inquiries.tables import Inquiry

    row = await Inquiry.select(Inquiry.created_at).where(Inquiry.id == inquiry_id).first().run()
    answered = row["created_at"] + dt.timedelta(hours=answered_after) if answered_after is not None else None
    await Inquiry.update({Inquiry.status: status, Inquiry.answered_at: answered}).where(
        Inquiry.id == inquiry_id).run()


async def hand_counted(personas: Any) -> dict[str, Any]:
    """November of 阳光花园 in every state, with inquiries about no unit, under the project's own SLA
    (报修: answer within 4 h; every other category: within 24 h); 星河湾 with a slower SLA. Counted by hand in
    HAND_COUNTED below."""
    from server.inquiries.services import inquiry_record
    from server.inquiries.sla import rules_save
    from server.inquiries.tables import Inquiry

    carol = personas.user("carol")
    project, unit = await _unit("阳光花园")
    other, _ = await _unit("星河湾")
    await rules_save(actor=carol, project_id=project, items=[
        {"category": "报修", "response_hours": "1", "answer_hours": "4"},
        {"category": "", "response_hours": "2", "answer_hours": "24"}])
    await rules_save(actor=carol, project_id=other, items=[
        {"category": "报修", "response_hours": "10", "answer_hours": "100"}])

    async def asked(name: str, *, channel: str, category: str, at: dt.datetime, unit_id: int | None = unit,
                    project_id: int | None = project) -> int:
        row = await inquiry_record(actor=carol, fields={
            "asker_name": "王先生", "asker_phone": "13900000001", "unit_id": unit_id or "",
            "project_id": "" if unit_id else (project_id or ""), "channel": channel, "category": category,
            "question": name})
        await Inquiry.update({Inquiry.created_at: at}).where(Inquiry.id == row.id).run()
        return row.id

    ids = {
        "A": await asked("A 报修 2 小时答复", channel="phone", category="报修", at=china(11, 2, 9)),
        "B": await asked("B 报修 5 小时答复", channel="wechat", category="报修", at=china(11, 3, 9)),
        "C": await asked("C 无房号 物业 30 小时答复", channel="online", category="物业", at=china(11, 4, 9),
                         unit_id=None),
        "D": await asked("D 无房号 已转部门", channel="walk_in", category="物业", at=china(11, 10, 9), unit_id=None),
        "E": await asked("E 交付 已审批待回访", channel="phone", category="交付", at=china(11, 12, 9)),
        "F": await asked("F 交付 已回访", channel="phone", category="交付", at=china(11, 14, 9)),
        "G": await asked("G 报修 月底前 4.5 小时未答", channel="phone", category="报修", at=china(11, 30, 19, 30)),
        "H": await asked("H 物业 待审批", channel="wechat", category="物业", at=china(11, 20, 9)),
    }
    for name, status, hours in (("A", "answered", 2), ("B", "answered", 5), ("C", "answered", 30),
                                ("D", "escalated", None), ("E", "approved", 20), ("F", "closed", 10),
                                ("G", "open", None), ("H", "drafted", None)):
        await _set(ids[name], status=status, answered_after=hours)
    # 星河湾: answered after 80 h, within its own 100 h
    await _set(await asked("星河湾 报修", channel="phone", category="报修", at=china(11, 5, 9), unit_id=None,
                           project_id=other), status="answered", answered_after=80)
    # in no project; and 阳光花园's December
    await asked("无项目", channel="phone", category="报修", at=china(11, 6, 9), unit_id=None, project_id=None)
    await asked("十二月", channel="phone", category="报修", at=china(12, 1, 1))
    return {"project": project, "other": other, "ids": ids}


HAND_COUNTED = {
    "total": 8,
    # closed: the answer reached the customer (A, B, C answered at once; F called back); E is approved but not
    # yet called back, so still open with D, G and H
    "open": 4, "closed": 4,
    "by_status": {"answered": 3, "escalated": 1, "approved": 1, "closed": 1, "open": 1, "drafted": 1},
    "by_category": {"报修": 3, "物业": 3, "交付": 2},
    "by_channel": {"phone": 4, "wechat": 2, "online": 1, "walk_in": 1},
    # A 2 h, B 5 h, C 30 h, E 20 h, F 10 h: average 67 / 5, the 90th percentile is the 5th of 5
    "answered": 5, "average_hours": 13.4, "p90_hours": 30.0,
    # B (5 h > 4 h), C (30 h > 24 h), D and H (never answered), G (4.5 h at the month's end > 4 h);
    # a constant 48 h would count only D and H
    "overdue": 5,
}
