"""The first-time pass rate (一次验收合格率, rules.md), case by case: which
inspection is the first, what passed means, rechecks, units with no
inspection, and the rounding to two decimals (half up)."""
from __future__ import annotations

import datetime as dt

import pytest

from server.reports.stats import Filters, pass_rate, percent

CN = dt.timezone(dt.timedelta(hours=8))

# An inspection: (kind, status, found a defect). Listed in the order they took place.
CLEAN = ("acceptance", "passed", False)
FIXED = ("acceptance", "passed", True)          # defects found, rectified, passed on recheck
RECTIFYING = ("acceptance", "rectifying", True)
PLANNED = ("acceptance", "planned", False)
UNDER_WAY = ("acceptance", "in_progress", False)
CANCELLED = ("acceptance", "cancelled", False)
WALK_DEFECT = ("delivery_walkthrough", "rectifying", True)
WALK_CLEAN = ("delivery_walkthrough", "passed", False)

CASES = [
    ("first inspection passed", [[CLEAN]], (1, 1, "100.00")),
    ("failed, then passed on recheck", [[FIXED]], (1, 0, "0.00")),
    ("failed, still rectifying", [[RECTIFYING]], (1, 0, "0.00")),
    ("failed first, a later inspection clean", [[RECTIFYING, CLEAN]], (1, 0, "0.00")),
    ("no inspection: no data, not 0 %", [[]], (0, 0, None)),
    ("planned, under way or cancelled only: not inspected", [[PLANNED], [UNDER_WAY], [CANCELLED]], (0, 0, None)),
    ("cancelled before it took place, then passed: the first is the one that took place",
     [[CANCELLED, CLEAN]], (1, 1, "100.00")),
    ("the owner's walkthrough does not count", [[CLEAN, WALK_DEFECT], [WALK_CLEAN]], (1, 1, "100.00")),
    ("uninspected units are left out, not failed", [[CLEAN], [], [PLANNED]], (1, 1, "100.00")),
    ("2 of 3", [[CLEAN], [CLEAN], [FIXED]], (3, 2, "66.67")),
    ("1 of 3", [[CLEAN], [FIXED], [RECTIFYING]], (3, 1, "33.33")),
    ("1 of 6", [[CLEAN]] + [[FIXED]] * 5, (6, 1, "16.67")),
]


async def _project(histories: list[list[tuple]]) -> int:
    from server.inspections.tables import Defect, Inspection
    from server.org.tables import Building, Party, Project, Unit

    project = Project(name="Rule")
    await project.save().run()
    building = Building(project=project.id, name="1号楼")
    await building.save().run()
    party = Party(name="Rule builder", kind="construction_unit")
    await party.save().run()
    for n, history in enumerate(histories):
        unit = Unit(building=building.id, number=f"{101 + n}", floor=1)
        await unit.save().run()
        for day, (kind, status, defect) in enumerate(history, start=1):
            took_place = status not in ("planned", "cancelled")
            start = dt.datetime(2026, 3, day, 9, tzinfo=CN)
            finished = status in ("rectifying", "passed")
            row = Inspection(unit=unit.id, kind=kind, status=status, is_first=day == 1 and kind == "acceptance",
                             started_at=start if took_place else None,
                             completed_at=start + dt.timedelta(hours=2) if finished else None,
                             passed_at=start + dt.timedelta(days=3 if defect else 0, hours=2)
                             if status == "passed" else None)
            await row.save().run()
            if defect:
                await Defect(inspection=row.id, unit=unit.id, room="客厅", category="wall", severity="minor",
                             construction_unit=party.id, status="closed" if status == "passed" else "open").save().run()
    return project.id


@pytest.mark.parametrize("histories,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_first_time_pass_rate_rule(histories, expected):
    project_id = await _project(histories)
    found = await pass_rate(Filters(project_id=project_id))
    assert (found["units_inspected"], found["first_time_passed"], found["first_time_pass_rate_percent"]) == expected


@pytest.mark.parametrize("part,whole,shown", [
    (1, 8, "12.50"), (1, 32, "3.13"), (2, 3, "66.67"), (1, 6, "16.67"), (0, 5, "0.00"), (5, 5, "100.00"),
    (0, 0, None),
])
def test_percent_has_two_decimals_half_up(part, whole, shown):
    assert percent(part, whole) == shown  # 1/32 = 3.125 %: half up gives 3.13 (half even would give 3.12)
