"""A small project whose dashboard figures are counted by hand (see EXPECTED).

Inserted row by row with fixed times, so the figures do not depend on the
clock; `NOW` is the moment the figures are taken. Also run as a script
(`python -m tests.reports.known`) by the test that compares SQLite with
PostgreSQL: it migrates the database of DATABASE_URL, loads this dataset and
prints the figures as JSON.

Project P: building 1号楼 (units 101 102 103), 2号楼 (201 202 203 204);
contractors 甲公司 and 乙公司.
- 101: first inspection finished clean                      -> inspected, passed
- 102: first inspection found defects (A), still rectifying -> inspected, not passed
- 103: a planned inspection cancelled, then one finished clean -> inspected, passed
- 201: only a planned inspection                             -> not inspected
- 202: inspection under way                                  -> not inspected
- 203: first inspection found defects (B)                    -> inspected, not passed
- 204: first inspection clean; the owner's delivery walkthrough found a defect -> passed
Inquiries: three about 物业费 (one answered), one with no category, one closed after a
contact sheet, one about no home recorded for P, one of no project; P's inquiry SLA rows. Repairs R1-R7 of P's homes
(one of another project), with first completions, assignments and return-visit calls.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

CN = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=CN)


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=CN)


DAY = dt.timedelta(days=1)


async def build() -> dict[str, Any]:
    """Load the dataset into empty tables; returns the ids by name."""
    from server.inspections.tables import Defect, Inspection, RectificationNotice
    from server.org.tables import Building, Party, Project, Unit

    project = Project(name="P")
    await project.save().run()
    other = Project(name="Other")
    await other.save().run()
    ids: dict[str, Any] = {"project": project.id, "other_project": other.id}
    for name in ("甲公司", "乙公司"):
        party = Party(name=name, kind="construction_unit")
        await party.save().run()
        ids[name] = party.id
    units = {}
    for building_name, numbers in (("1号楼", ("101", "102", "103")), ("2号楼", ("201", "202", "203", "204"))):
        building = Building(project=project.id, name=building_name)
        await building.save().run()
        ids[building_name] = building.id
        for number in numbers:
            unit = Unit(building=building.id, number=number, floor=int(number[0]))
            await unit.save().run()
            units[number] = unit.id

    async def inspection(number: str, key: str, *, status: str, day: dt.datetime | None, first: bool = True,
                         kind: str = "acceptance", scheduled: dt.date) -> int:
        row = Inspection(unit=units[number], status=status, kind=kind, is_first=first, scheduled_for=scheduled,
                         started_at=day if status != "planned" and status != "cancelled" else None,
                         completed_at=day + dt.timedelta(hours=2) if status in ("rectifying", "passed") else None,
                         passed_at=day + dt.timedelta(hours=2) if status == "passed" else None)
        await row.save().run()
        ids[key] = row.id
        return row.id

    i101 = await inspection("101", "i101", status="passed", day=at(3, 5, 9), scheduled=dt.date(2026, 3, 5))
    i102 = await inspection("102", "i102", status="rectifying", day=at(3, 6, 9), scheduled=dt.date(2026, 3, 6))
    await inspection("103", "i103a", status="cancelled", day=None, scheduled=dt.date(2026, 3, 4))
    await inspection("103", "i103b", status="passed", day=at(3, 7, 9), first=False, scheduled=dt.date(2026, 3, 7))
    await inspection("201", "i201", status="planned", day=None, scheduled=dt.date(2026, 3, 25))
    await inspection("202", "i202", status="in_progress", day=at(3, 19, 9), scheduled=dt.date(2026, 3, 19))
    i203 = await inspection("203", "i203", status="rectifying", day=at(2, 25, 9), scheduled=dt.date(2026, 2, 25))
    await inspection("204", "i204", status="passed", day=at(3, 10, 9), scheduled=dt.date(2026, 3, 10))
    walk = await inspection("204", "i204w", status="rectifying", day=at(3, 18, 9), first=False,
                            kind="delivery_walkthrough", scheduled=dt.date(2026, 3, 18))
    assert i101

    notices = {}
    for key, insp, party, made in (("A", i102, "甲公司", at(3, 6, 18)), ("B", i203, "乙公司", at(2, 25, 18))):
        notice = RectificationNotice(inspection=insp, party=ids[party], number=f"N-{key}", deadline=made + 7 * DAY,
                                     created_at=made)
        await notice.save().run()
        notices[key] = notice

    def defect(insp: int, number: str, category: str, who: str, created: dt.datetime, status: str = "open", *,
               reopen: int = 0, deadline: dt.datetime | None = None, rectified_after: dt.timedelta | None = None,
               notice: str | None = None) -> Defect:
        party = "甲公司" if who == "A" else "乙公司"
        made = notices[notice].created_at if notice else None
        return Defect(inspection=insp, unit=units[number], room="客厅", category=category, severity="minor",
                      construction_unit=ids[party], status=status, reopen_count=reopen, deadline=deadline,
                      created_at=created, notice=notices[notice].id if notice else None,
                      rectified_at=made + rectified_after if rectified_after is not None else None,
                      closed_at=made + rectified_after + DAY if status == "closed" else None)

    rows = [
        defect(i102, "102", "wall", "A", at(3, 19), deadline=at(3, 26), notice="A"),                     # d1
        defect(i102, "102", "floor", "A", at(3, 15), deadline=at(3, 18), notice="A"),                    # d2 overdue
        defect(i203, "203", "wall", "B", at(3, 10), "rectified", reopen=1, deadline=at(3, 12), notice="B",
               rectified_after=17 * DAY),                                                                 # d3
        defect(i203, "203", "plumbing", "B", at(3, 1), deadline=at(3, 8), notice="B"),                   # d4 overdue
        defect(i102, "102", "wall", "A", at(3, 6), "closed", notice="A", rectified_after=1 * DAY),       # d5
        defect(i102, "102", "wall", "A", at(3, 6), "closed", notice="A", rectified_after=2 * DAY),       # d6
        defect(i102, "102", "floor", "A", at(3, 6), "closed", reopen=1, notice="A", rectified_after=4 * DAY),
        defect(i203, "203", "wall", "B", at(2, 25), "closed", notice="B", rectified_after=DAY / 2),      # d8
        defect(i203, "203", "wall", "B", at(2, 25), "closed", reopen=1, notice="B", rectified_after=3 * DAY),
        defect(i203, "203", "wall", "B", at(2, 25), "closed", notice="B", rectified_after=5 * DAY),      # d10
        defect(i203, "203", "wall", "B", at(2, 25), "closed", notice="B", rectified_after=10 * DAY),     # d11
        defect(i203, "203", "electrical", "B", at(3, 17, 0), deadline=at(3, 30), notice="B"),           # d12 age 3
        defect(i203, "203", "electrical", "B", at(3, 16, 23, 59, 59), deadline=at(3, 30), notice="B"),  # d13 age 4
        defect(walk, "204", "door_window", "A", at(3, 18), deadline=at(3, 25)),                          # d14
    ]
    await Defect.insert(*rows).run()

    from server.inquiries.tables import Inquiry

    from server.inquiries.tables import InquirySla

    # P's answer hours: 8 for 物业费, 48 for every other category.
    await InquirySla.insert(InquirySla(project=project.id, category="物业费", response_hours=Decimal("2"),
                                       answer_hours=Decimal("8")),
                            InquirySla(project=project.id, category="", response_hours=Decimal("4"),
                                       answer_hours=Decimal("48"))).run()
    p = project.id
    await Inquiry.insert(*[
        Inquiry(unit=units[number] if number else None, project=project_id, channel="phone",
                category=category, question="？", status=status, created_at=made, answered_at=answered)
        for number, project_id, category, status, made, answered in (
            ("101", p, "物业费", "answered", at(3, 2), at(3, 2, 16)),  # 6 h of 8: met
            ("203", p, "物业费", "open", at(3, 12), None),  # due 3-12 18:00: missed
            ("102", p, "", "open", at(3, 3), None),  # due 3-5: missed
            ("201", p, "维修", "closed", at(3, 8), at(3, 10, 9)),  # the sheet's answer approved after 47 h of 48: met
            ("202", p, "物业费", "open", at(3, 20, 9), None),  # due 3-20 17:00, after NOW: not counted yet
            (None, p, "物业费", "open", at(3, 4), None),  # about no home, recorded for P: due 3-4 16:00, missed
            (None, None, "物业费", "open", at(3, 4), None))]).run()  # no home and no project: in no figures
    await _repairs(ids, units)
    return ids


async def _repairs(ids: dict[str, Any], units: dict[str, int]) -> None:
    """Repairs of P's homes, their first completions, assignments and return-visit calls (see EXPECTED)."""
    from server.repairs.closing_tables import RepairCompletion, RepairVisit
    from server.repairs.job_tables import RepairAssignment
    from server.org.tables import Unit
    from server.repairs.tables import RepairRequest, RepairSettings

    await RepairSettings(project=ids["project"], normal_done_hours=Decimal("48")).save().run()
    other_unit = Unit(building=(await _other_building(ids)), number="901", floor=9)
    await other_unit.save().run()
    made = {}
    for key, number, urgency, asked, done in (
            ("R1", "101", "emergency", at(3, 1), [at(3, 1, 13)]),       # 3 h of 4: met
            ("R2", "102", "emergency", at(3, 2), [at(3, 2, 15)]),       # 5 h: missed
            ("R3", "103", "normal", at(3, 3), [at(3, 5, 9), at(3, 10)]),  # first completion 47 h of 48: met
            ("R4", "203", "normal", at(3, 4), [at(3, 6, 11)]),          # 49 h: missed
            ("R5", "204", "normal", at(3, 19), []),                     # due 3-21: not counted yet
            ("R6", "201", "scheduled", at(3, 1), []),                   # 336 h, due 3-15: missed
            ("R7", "202", "", at(3, 10), []),                           # not triaged: normal hours, due 3-12: missed
            ("R8", None, "emergency", at(3, 1), [at(3, 1, 11)])):       # another project's home
        repair = RepairRequest(unit=units[number] if number else other_unit.id, component="decoration",
                               description="墙面开裂", reported_on=asked.date(), channel="phone", urgency=urgency,
                               status="completed" if done else "triaged", created_at=asked)
        await repair.save().run()
        made[key] = repair.id
        for moment in done:
            await RepairCompletion(repair=repair.id, note="已修复", created_at=moment).save().run()
    await RepairAssignment.insert(
        RepairAssignment(repair=made["R1"], party=ids["甲公司"]),
        RepairAssignment(repair=made["R3"], party=ids["乙公司"]),
        RepairAssignment(repair=made["R4"], party=ids["甲公司"], superseded=True),
        RepairAssignment(repair=made["R4"], party=ids["乙公司"])).run()
    await RepairVisit.insert(*[
        RepairVisit(repair=made[key], reached=score is not None, satisfaction=score, created_at=moment)
        for key, score, moment in (
            ("R1", 5, at(2, 20)), ("R2", 2, at(2, 25)),
            ("R3", 4, at(3, 1, 7)),  # 2-28 23:00 UTC: March in China
            ("R4", 5, at(3, 10)), ("R4", None, at(3, 12)),  # not reached: no score
            ("R8", 1, at(3, 2)))]).run()
    ids.update(made)


async def _other_building(ids: dict[str, Any]) -> int:
    from server.org.tables import Building

    building = Building(project=ids["other_project"], name="9号楼")
    await building.save().run()
    return building.id


EXPECTED = {
    "pass_rate": {"units_inspected": 5, "first_time_passed": 3, "first_time_pass_rate_percent": "60.00"},
    "pass_rate_by_building": {"1号楼": (3, 2, "66.67"), "2号楼": (2, 1, "50.00")},
    "open_by_category": [("electrical", 2), ("wall", 2), ("door_window", 1), ("floor", 1), ("plumbing", 1)],
    "open_by_contractor": [("乙公司", 4), ("甲公司", 3)],
    "ageing": [("0-3", 3), ("4-7", 2), ("8-14", 1), (">14", 1)],
    # A: 1, 2, 4 days -> median rank 2, p90 rank 3; B: 0.5, 3, 5, 10 days -> median rank 2, p90 rank 4.
    "rectification_times": {"甲公司": (3, 172800, 345600, "2.0", "4.0"),
                            "乙公司": (4, 259200, 864000, "3.0", "10.0")},
    "reopen_rates": {"甲公司": (3, 1, "33.33"), "乙公司": (5, 2, "40.00")},
    "overdue_now": {"甲公司": 1, "乙公司": 1},
    "planned_done": {"1号楼": (3, 3, "100.00"), "2号楼": (4, 2, "50.00")},
    # An inquiry counts for the project recorded on it (the one about no home too); closed counts as answered.
    "inquiries_by_category": [("物业费", 4, 1), ("", 1, 0), ("维修", 1, 1)],
    # (key, due, met, attainment): repairs per urgency (P's normal is 48 h), then inquiries.
    "sla_attainment": [("emergency", 2, 1, "50.00"), ("normal", 3, 1, "33.33"), ("scheduled", 1, 0, "0.00"),
                       ("inquiries", 5, 2, "40.00")],
    # (month, calls with a score, average, satisfied, satisfied %)
    "satisfaction_trend": [("2026-02", 2, "3.50", 1, "50.00"), ("2026-03", 2, "4.50", 2, "100.00")],
}


async def named_figures(ids: dict[str, Any], **filters: Any) -> dict:
    """The dashboard's figures with names for ids, comparable across databases."""
    from server.reports.dashboards import figures, names
    from server.reports.stats import Filters

    found = await figures(Filters(project_id=ids["project"], **filters), NOW)
    known = await names(ids["project"], found)
    out: dict[str, Any] = {"pass_rate": found["pass_rate"]}
    for key, kind in (("pass_rate_by_building", "building"), ("open_by_contractor", "contractor"),
                      ("rectification_times", "contractor"), ("reopen_rates", "contractor"),
                      ("overdue_now", "contractor"), ("planned_done", "building")):
        out[key] = [{**r, "key": known[kind][r["key"]]} for r in found[key]]
    out["open_by_category"] = found["open_by_category"]
    out["ageing"] = found["ageing"]
    for key in ("inquiries_by_category", "sla_attainment", "satisfaction_trend"):
        out[key] = found[key]
    return out


async def _main() -> None:
    from server import db
    from server.operations import migrate

    await migrate()
    await db.start_pool()
    try:
        from tests.support import truncate_all

        await truncate_all()
        ids = await build()
        print(json.dumps(await named_figures(ids), ensure_ascii=False, sort_keys=True))
    finally:
        await db.close_pool()


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
