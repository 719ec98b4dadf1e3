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
