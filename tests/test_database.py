"""The SQLite tuning: one connection per GET, and no "database is locked" under concurrent writers."""
import os
import subprocess
import sys

import pytest

from server.db import TunedSQLiteEngine, engine

sqlite_only = pytest.mark.skipif(not isinstance(engine(), TunedSQLiteEngine), reason="SQLite-specific")


@sqlite_only
async def test_a_get_runs_all_its_queries_on_one_connection(personas, monkeypatch):
    admin = await personas.api("alice")
    project = (await admin.post("/api/v1/projects", json={"name": "P"})).json()
    building = (await admin.post(f"/api/v1/projects/{project['id']}/buildings", json={"name": "B"})).json()
    await admin.post(f"/api/v1/buildings/{building['id']}/units/bulk",
                     json={"floor_from": 1, "floor_to": 10, "units_per_floor": 4})
    opened = []
    original = TunedSQLiteEngine.get_connection

    async def counting(self):
        opened.append(1)
        return await original(self)

    monkeypatch.setattr(TunedSQLiteEngine, "get_connection", counting)
    r = await admin.get(f"/api/v1/buildings/{building['id']}/units?limit=40")
    assert r.status_code == 200 and len(r.json()["items"]) == 40
    assert len(opened) == 1  # auth, access check, list and count shared it


WRITER = """
import asyncio, sys
from server import db
from server.org.services import project_create
async def main():
    await db.start_pool()
    for i in range(60):
        await project_create(actor=None, name=f"{sys.argv[1]}-{i}")
asyncio.run(main())
"""


async def test_concurrent_writer_processes_never_hit_a_locked_database(client):
    from server.org.tables import Project

    processes = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}"], env=dict(os.environ),
                                  stderr=subprocess.PIPE, text=True) for n in range(4)]
    # Read while they write.
    for _ in range(30):
        await Project.count().run()
    for p in processes:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    assert await Project.count().run() == 240
