"""Many processes (issue 14, "Many processes"): 2 granian web processes and 2 arq worker
processes on one PostgreSQL, one Redis and one bucket (a real SeaweedFS, tests/s3server.py).
Defects with photos are sent by concurrent clients, alternately through both web processes;
some are sent again with the same client_id, a part of them at the same moment through the
other process (the scenario: tests/ops/uploads.py). Result: 0 lost, 0 duplicated, every photo
`ready` and its three files in the bucket once. PostgreSQL only: SQLite is one machine's file
(its figure: tests/ops/test_uploads_sqlite.py)."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.inspections.support import unit_under_inspection
from tests.ops.processes import Fleet
from tests.ops.uploads import Uploads

pytestmark = pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("sqlite"),
                                reason="several machines' processes share PostgreSQL, not a SQLite file")


async def test_two_web_and_two_worker_processes_lose_and_double_nothing(personas, tmp_path, s3_server):
    _, inspection = await unit_under_inspection(personas)
    token = (await personas.api("ian")).headers["Authorization"]
    prefix = f"many-{uuid.uuid4().hex[:8]}"
    fleet = Fleet(tmp_path, web=2, workers=2, PHOTO_SWEEP_SECONDS="5", STORAGE_URL=s3_server.storage_url(prefix=prefix))
    try:
        fleet.wait_until_ready()
        uploads = Uploads()
        await uploads.send(fleet.urls, token, inspection["id"], personas.parties["builder_a"].id)
        await uploads.check_stored(inspection["id"])
        took = await uploads.wait_until_ready(workers=2)

        # Each photo's original, display image and thumbnail are in the bucket, once.
        listing = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket="cs-media", Prefix=prefix + "/")
        await uploads.check_files([item["Key"].removeprefix(prefix + "/")
                                   for page in listing for item in page.get("Contents", [])])

        # Both web processes served, both workers worked.
        uploads.check_logs(fleet, inspection["id"], web=["web1", "web2"], photo_workers=["worker1", "worker2"])
        print(f"\nFIGURE many-processes: {uploads.summary()}, through 2 web processes, photos by 2 workers, "
              f"in {took:.1f} s")
    finally:
        fleet.stop()
