"""The data of a large developer, loaded in minutes (bench/inspections.py).

30 projects of about 3,300 homes on PostgreSQL (100,000 homes, 2,000,000 defects, 4,000,000
defect photo rows, 100,000 repair requests and 100,000 inquiries), 20,000 homes on SQLite.

The few rows with rules of their own (users with password hashes, projects,
parties, plans) go through the app's services (`SETUP`, run in a subprocess);
the millions are made by the database itself with `INSERT … SELECT` over a
table of numbers (`statements`), one statement per table: no row crosses from
Python. On PostgreSQL the load runs in one transaction with the foreign-key
triggers off (`session_replication_role = replica`), the usual bulk-load
set-up: every reference is made by a join on rows that exist, so nothing is
left to check, and checking 8 million references row by row would triple the
time.

Spread, the same on every run (no randomness, so runs compare):
- each home has one inspection: two in three are `rectifying` (their defects
  30 % open, 20 % rectified, the rest closed), one in three `passed` (all closed);
- each inspection has 20 defects and two rectification notices, for two of
  the 50 construction units (the unit's number picks them), each defect on one
  of the two; deadlines from 5 days past to 9 days ahead (some overdue);
- each defect has 2 photo rows; each home a recorded delivery, one repair
  request (status by turn through every status; those past dispatch assigned,
  one in three to the measured repair unit) with one photo row, and one inquiry.
"""
from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
from typing import Callable

from server.inquiries.services import CHANNELS as INQUIRY_CHANNELS
from server.inquiries.states import STATUSES as INQUIRY_STATUSES
from server.inspections.default_checklist import CATEGORIES
from server.repairs.states import STATUSES as REPAIR_STATUSES

FLOORS, PER_FLOOR = 25, 4                      # 100 homes a building
DEFECTS_PER_UNIT, PHOTOS_PER_DEFECT = 20, 2
CONSTRUCTION_UNITS = 50
ROOMS = ("客厅", "主卧", "次卧", "厨房", "卫生间")
JOB_STATUSES = ("assigned", "in_repair", "completed", "signed_off", "visited", "closed", "reopened")


@dataclasses.dataclass(frozen=True)
class Scale:
    projects: int
    buildings: int

    @property
    def units(self) -> int:
        return self.buildings * FLOORS * PER_FLOOR

    @property
    def defects(self) -> int:
        return self.units * DEFECTS_PER_UNIT

    def describe(self) -> str:
        return (f"{self.projects} projects, {self.buildings:,} buildings, {self.units:,} homes, "
                f"{self.defects:,} defects, {self.defects * PHOTOS_PER_DEFECT + self.units:,} photo rows, "
                f"{self.units:,} repair requests, {self.units:,} inquiries")


SCALES = {"sqlite": Scale(projects=6, buildings=200), "postgresql": Scale(projects=30, buildings=1000)}

SETUP = """
import asyncio, datetime as dt, json, sys
from server import db
from server.accounts.services import user_create
from server.inspections.tables import InspectionPlan
from server.org.services import party_create, project_create

PROJECTS, CONSTRUCTION_UNITS, PASSWORD = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

async def main():
    await db.start_pool()
    projects = [(await project_create(actor=None, name=f"项目 {p + 1}")).id for p in range(PROJECTS)]
    builders = [(await party_create(actor=None, name=f"施工单位 {i + 1}", kind="construction_unit")).id
                for i in range(CONSTRUCTION_UNITS)]
    repairer = (await party_create(actor=None, name="维修单位 甲", kind="repair_unit")).id
    other_repairer = (await party_create(actor=None, name="维修单位 乙", kind="repair_unit")).id
    assert projects == list(range(projects[0], projects[0] + PROJECTS)), "project ids must be contiguous"
    assert builders == list(range(builders[0], builders[0] + CONSTRUCTION_UNITS)), "party ids must be contiguous"
    await user_create(actor=None, username="cs", password=PASSWORD, role="cs_staff")
    await user_create(actor=None, username="builder", password=PASSWORD, role="contractor", party_id=builders[0])
    await user_create(actor=None, username="repairer", password=PASSWORD, role="contractor", party_id=repairer)
    await user_create(actor=None, username="supervisor", password=PASSWORD, role="supervisor")
    start = dt.date(2026, 12, 1)
    for project in projects:
        await InspectionPlan(project=project, name="交付前验收", starts_on=start,
                             ends_on=start + dt.timedelta(days=30)).save().run()
    print(json.dumps({"first_project": projects[0], "first_builder": builders[0], "repairer": repairer,
                      "other_repairer": other_repairer}))

asyncio.run(main())
"""


def _dialect(kind: str) -> dict[str, Callable[[str], str]]:
    """The two expressions that differ: a UTC timestamp `days` from now, and a date `days` after 2026-12-01.
    SQLite keeps timestamps as Piccolo writes them ('YYYY-MM-DD HH:MM:SS+00:00'), so they compare as text."""
    if kind == "postgresql":
        return {"ts": lambda days: f"(now() + make_interval(days => ({days})::int))",
                "day": lambda days: f"(DATE '2026-12-01' + ({days})::int)"}
    return {"ts": lambda days: f"strftime('%Y-%m-%d %H:%M:%S+00:00', 'now', printf('%+d days', {days}))",
            "day": lambda days: f"date('2026-12-01', printf('%+d days', {days}))"}


def _by_turn(expression: str, values: tuple[str, ...] | list[str]) -> str:
    """CASE picking values[expression % len(values)]: a fixed spread instead of random()."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE ({expression}) % {len(values)} {whens} END"


def statements(kind: str, scale: Scale, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(what, SQL) in load order."""
    d = _dialect(kind)
    p0, c0, c = ids["first_project"], ids["first_builder"], CONSTRUCTION_UNITS
    defect_status = ("CASE WHEN i.status = 'passed' THEN 'closed' "
                     "WHEN (i.id * 7 + n.n * 13) % 10 < 3 THEN 'open' "
                     "WHEN (i.id * 7 + n.n * 13) % 10 < 5 THEN 'rectified' ELSE 'closed' END")
    numbers = max(scale.buildings, DEFECTS_PER_UNIT, FLOORS)
    return [
        ("numbers", "CREATE TABLE bench_numbers (n INTEGER PRIMARY KEY)"),
        ("numbers", "INSERT INTO bench_numbers (n) VALUES " + ", ".join(f"({n})" for n in range(1, numbers + 1))),
        ("buildings", f"""INSERT INTO building (project, name)
            SELECT {p0} + (n - 1) % {scale.projects}, CAST((n - 1) / {scale.projects} + 1 AS TEXT) || '号楼'
            FROM bench_numbers WHERE n <= {scale.buildings} ORDER BY n"""),
        ("homes", f"""INSERT INTO unit (building, number, floor, status)
            SELECT b.id, CAST(f.n * 100 + u.n AS TEXT), f.n, 'rectifying'
            FROM building b JOIN bench_numbers f ON f.n <= {FLOORS} JOIN bench_numbers u ON u.n <= {PER_FLOOR}
            ORDER BY b.id, f.n, u.n"""),
        ("homes", "UPDATE unit SET status = 'passed' WHERE id % 3 = 0"),  # as their inspections below
        ("inspections", f"""INSERT INTO inspection (unit, plan, status, scheduled_for, kind, is_first, started_at)
            SELECT u.id, pl.id, CASE WHEN u.id % 3 = 0 THEN 'passed' ELSE 'rectifying' END, {d['day']('u.id % 30')},
                   'acceptance', TRUE, {d['ts']('-(u.id % 30)')}
            FROM unit u JOIN building b ON b.id = u.building JOIN inspection_schedule pl ON pl.project = b.project
            ORDER BY u.id"""),
        ("notices", f"""INSERT INTO rectification_notice (inspection, party, number, deadline)
            SELECT i.id, {c0} + (i.unit + k.n) % {c}, 'ZG' || CAST(i.id AS TEXT) || '-' || CAST(k.n AS TEXT),
                   {d['ts']('7')}
            FROM inspection i JOIN bench_numbers k ON k.n <= 2 ORDER BY i.id, k.n"""),
        ("notices", """INSERT INTO party_project (party, project)
            SELECT DISTINCT n.party, b.project FROM rectification_notice n JOIN inspection i ON i.id = n.inspection
            JOIN unit u ON u.id = i.unit JOIN building b ON b.id = u.building"""),
        ("defects", f"""INSERT INTO defect (inspection, unit, room, category, severity, description,
                                construction_unit, status, notice, deadline, created_at)
            SELECT i.id, i.unit, {_by_turn('n.n', ROOMS)}, {_by_turn('i.id + n.n', list(CATEGORIES))},
                   {_by_turn('i.id * 3 + n.n', ('minor', 'major', 'minor', 'urgent'))}, '墙面空鼓，面积约 0.3 平方米',
                   rn.party, {defect_status}, rn.id, {d['ts']('(i.id + n.n) % 15 - 5')},
                   {d['ts']('-(i.unit % 30)')}
            FROM inspection i JOIN bench_numbers n ON n.n <= {DEFECTS_PER_UNIT}
            JOIN rectification_notice rn ON rn.inspection = i.id AND rn.number =
                 'ZG' || CAST(i.id AS TEXT) || '-' || CAST(1 + n.n % 2 AS TEXT)
            ORDER BY i.id, n.n"""),
        ("defect photos", f"""INSERT INTO photo (subject_type, subject_id, stage, status, image_format, byte_size,
                                      original_key, display_key, thumb_key, width, height)
            SELECT 'defect', x.id, 'found', 'ready', 'JPEG', 1048576,
                   'originals/' || CAST(x.id AS TEXT) || '-' || CAST(s.n AS TEXT) || '.jpg',
                   'display/' || CAST(x.id AS TEXT) || '-' || CAST(s.n AS TEXT) || '.jpg',
                   'thumbs/' || CAST(x.id AS TEXT) || '-' || CAST(s.n AS TEXT) || '.jpg', 1600, 1200
            FROM defect x JOIN bench_numbers s ON s.n <= {PHOTOS_PER_DEFECT} ORDER BY x.id, s.n"""),
        ("deliveries", f"""INSERT INTO recorded_delivery (unit, delivered_on)
            SELECT id, {d['day']('-(365 + id % 365)')} FROM unit ORDER BY id"""),
        ("repair requests", f"""INSERT INTO repair_request (unit, component, location, description, reported_on,
                                                channel, status, urgency, created_at, updated_at)
            SELECT id, 'waterproofing', '卫生间', '卫生间顶棚漏水', {d['day']('-(id % 365)')},
                   {_by_turn('id', ('owner_app', 'phone'))}, {_by_turn('id', REPAIR_STATUSES)},
                   {_by_turn('id', ('normal', 'normal', 'emergency'))}, {d['ts']('-(id % 365)')}, {d['ts']('-(id % 365)')}
            FROM unit ORDER BY id"""),
        ("repair photos", """INSERT INTO photo (subject_type, subject_id, stage, status, image_format, byte_size,
                                     original_key, display_key, thumb_key, width, height)
            SELECT 'repair', id, 'reported', 'ready', 'JPEG', 1048576, 'originals/r' || CAST(id AS TEXT) || '.jpg',
                   'display/r' || CAST(id AS TEXT) || '.jpg', 'thumbs/r' || CAST(id AS TEXT) || '.jpg', 1600, 1200
            FROM repair_request ORDER BY id"""),
        ("repair assignments", f"""INSERT INTO repair_assignment (repair, party, visit_at, created_at)
            SELECT id, CASE WHEN id % 3 = 0 THEN {ids['repairer']} ELSE {ids['other_repairer']} END,
                   {d['ts']('1 - id % 365')}, created_at
            FROM repair_request WHERE status IN ({', '.join(f"'{s}'" for s in JOB_STATUSES)}) ORDER BY id"""),
        ("inquiries", f"""INSERT INTO inquiry (asker_name, asker_phone, unit, project, channel, category, question,
                                       status, created_at)
            SELECT '业主', '13800000000', u.id, b.project, {_by_turn('u.id', list(INQUIRY_CHANNELS))}, '交付',
                   '请问什么时候可以办理交房手续？', {_by_turn('u.id', INQUIRY_STATUSES)}, {d['ts']('-(u.id % 365)')}
            FROM unit u JOIN building b ON b.id = u.building ORDER BY u.id"""),
        ("numbers", "DROP TABLE bench_numbers"),
    ]


def load(kind: str, database: str, scale: Scale, ids: dict[str, int], report: Callable[[str], None]) -> None:
    """Run `statements` against a migrated database: `database` is the PostgreSQL URL or the SQLite file path."""
    if kind == "postgresql":
        script = ["\\set ON_ERROR_STOP on", "\\timing on", "BEGIN;", "SET LOCAL session_replication_role = replica;"]
        script += [f"\\echo {what}\n{sql};" for what, sql in statements(kind, scale, ids)]
        script += ["COMMIT;", "VACUUM ANALYZE;"]  # what autovacuum does after a bulk load: statistics, visibility map
        out = subprocess.run(["psql", database, "-q"], input="\n".join(script), text=True, check=True,
                             capture_output=True).stdout
        report(" ".join(out.split()))
        return
    connection = sqlite3.connect(database)
    try:
        for what, sql in statements(kind, scale, ids):
            report(what)
            connection.execute(sql)
            connection.commit()
        connection.execute("ANALYZE")
    finally:
        connection.close()


def setup_command(python: str, scale: Scale, password: str) -> list[str]:
    return [python, "-c", SETUP, str(scale.projects), str(CONSTRUCTION_UNITS), password]
