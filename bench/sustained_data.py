"""The data of the sustained-load benchmark (bench/sustained.py), made in the database
that DATABASE_URL names (migrated already): `python -m bench.sustained_data INSPECTORS OWNERS
CONTRACTORS`. Prints one JSON line: who signs in, and what each of them works on.

- one project, five construction units, a CS account;
- INSPECTORS inspectors, each with an acceptance inspection in progress on a unit of its own,
  ten open defects on it already;
- a building of 1,000 older units with 10 defects each (10,000), so that task lists,
  counts and pages work on a realistic table, not an empty one;
- OWNERS owners, each with a home in a delivery batch (300 homes per building and batch)
  whose two delivery days start in two weeks, 09:00–17:00 in half hours of 20 bookings;
- CONTRACTORS contractor accounts spread over the five construction units.
Accounts share one password hash (hashing each would take minutes); the service
functions make everything else, as the app would.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
import sys

from server import clock, db
from server.accounts.passwords import hash_password
from server.accounts.services import user_create
from server.accounts.tables import UnitOwner, User
from server.db import write_transaction
from server.delivery import batches, day
from server.inspections.services import inspection_create, inspection_start
from server.inspections.tables import Defect
from server.org.services import building_create, party_create, project_create, units_bulk_create

PASSWORD = "bench-password-1"
PARTIES = 5
HISTORY_UNITS, HISTORY_DEFECTS_PER_UNIT = 1000, 10
OPEN_DEFECTS_PER_INSPECTION = 10
HOMES_PER_BATCH = 300


async def _units(project_id: int, name: str, count: int, per_floor: int) -> tuple[int, list[int]]:
    """A new building of at least `count` units: its id and the first `count` unit ids."""
    building = await building_create(actor=None, project_id=project_id, name=name)
    units = await units_bulk_create(actor=None, building_id=building.id, floor_from=1,
                                    floor_to=math.ceil(count / per_floor), units_per_floor=per_floor)
    return building.id, [u.id for u in units][:count]


async def _users(prefix: str, count: int, role: str, password_hash: str, parties: list[int] | None = None) -> list[int]:
    rows = [User(username=f"{prefix}{i}", password_hash=password_hash, role=role, display_name=f"{prefix}{i}",
                 party=parties[i % len(parties)] if parties else None) for i in range(count)]
    for start in range(0, len(rows), 500):
        await User.insert(*rows[start:start + 500]).run()
    found = await User.select(User.id, User.username).where(User.username.like(f"{prefix}%")).run()
    ids = {r["username"]: r["id"] for r in found}
    return [ids[f"{prefix}{i}"] for i in range(count)]


def _defects(rng: random.Random, inspection_id: int | None, unit_id: int, parties: list[int], count: int,
             statuses: tuple[str, ...]) -> list[Defect]:
    due = clock.now() + dt.timedelta(days=7)
    return [Defect(inspection=inspection_id, unit=unit_id, room="客厅", category="wall",
                   severity=rng.choice(["minor", "major", "urgent"]), description="墙面空鼓约 20 cm²",
                   construction_unit=rng.choice(parties), status=rng.choice(statuses), deadline=due)
            for _ in range(count)]


async def _insert(rows: list) -> None:
    for start in range(0, len(rows), 1000):
        await type(rows[0]).insert(*rows[start:start + 1000]).run()


async def main(inspectors: int, owners: int, contractors: int) -> dict:
    await db.start_pool()
    rng = random.Random(12)
    project = await project_create(actor=None, name="压测花园", code="YCHY")
    parties = [(await party_create(actor=None, name=f"施工单位{i + 1}", kind="construction_unit")).id
               for i in range(PARTIES)]
    await user_create(actor=None, username="cs", password=PASSWORD, role="cs_staff")
    password_hash = hash_password(PASSWORD)

    # Older inspections, as a project that has been running a while has.
    history = []
    for unit_id in (await _units(project.id, "1号楼", HISTORY_UNITS, 10))[1]:
        inspection, _ = await inspection_create(actor=None, unit_id=unit_id)
        history += _defects(rng, inspection.id, unit_id, parties, HISTORY_DEFECTS_PER_UNIT,
                            ("open", "rectified", "closed", "closed"))
    async with write_transaction():
        await _insert(history)

    inspector_ids = await _users("inspector", inspectors, "inspector", password_hash)
    work = []
    current = []
    for user_id, unit_id in zip(inspector_ids, (await _units(project.id, "2号楼", inspectors, 8))[1]):
        inspection, _ = await inspection_create(actor=None, unit_id=unit_id, inspector_id=user_id)
        await inspection_start(actor=None, inspection=inspection)
        work.append({"inspection": inspection.id, "unit": unit_id})
        current += _defects(rng, inspection.id, unit_id, parties, OPEN_DEFECTS_PER_INSPECTION, ("open",))
    async with write_transaction():
        await _insert(current)

    owner_ids = await _users("owner", owners, "owner", password_hash)
    homes = []
    first_day = clock.today() + dt.timedelta(days=14)
    for number, start in enumerate(range(0, owners, HOMES_PER_BATCH)):
        count = min(HOMES_PER_BATCH, owners - start)
        building_id, unit_ids = await _units(project.id, f"{number + 3}号楼", count, 10)
        batch, _ = await batches.batch_create(actor=None, project_id=project.id, name=f"{number + 3}号楼交付",
                                              starts_on=first_day, ends_on=first_day + dt.timedelta(days=1),
                                              building_id=building_id)
        for offset in (0, 1):
            await day.slots_generate(actor=None, batch=batch, day=first_day + dt.timedelta(days=offset),
                                     start="09:00", end="17:00", minutes=30, capacity=20)
        await _insert([UnitOwner(user=u, unit=h) for u, h in zip(owner_ids[start:start + count], unit_ids)])
        homes += [{"unit": h, "batch": batch.id} for h in unit_ids]

    await _users("contractor", contractors, "contractor", password_hash, parties)
    return {"password": PASSWORD, "parties": parties, "inspectors": work, "homes": homes,
            "contractors": contractors}


if __name__ == "__main__":
    made = asyncio.run(main(*map(int, sys.argv[1:4])))
    print(json.dumps(made))
