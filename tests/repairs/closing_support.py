"""Helpers for the closing tests: a repair brought to in_repair, a signature, the steps of closing."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from server import clock
from tests.handover.test_key_handover import BLANK, signature  # noqa: F401  (re-exported)
from tests.inspections.support import photo_files
from tests.repairs.support import homes, multipart, report


async def move(personas: Any, repair_id: int, *actions: str, who: str = "carol") -> Any:
    from server.repairs.services import repair_transition
    from server.repairs.tables import RepairRequest

    repair = await RepairRequest.objects().get(RepairRequest.id == repair_id).run()
    for action in actions:
        await repair_transition(actor=personas.user(who), repair=repair, action=action)
    return repair


async def in_repair(personas: Any, *, delivered_days_ago: int | None = None, component: str = "waterproofing"
                    ) -> tuple[dict, int]:
    """olga's home with a repair being repaired (CS triaged, assigned, started); (homes, repair id)."""
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    if delivered_days_ago is not None:
        day = (clock.today() - dt.timedelta(days=delivered_days_ago)).isoformat()
        assert (await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": day})).status_code == 201
    r = await report(olga, h["mine"], component=component)
    assert r.status_code == 201, r.text
    repair_id = r.json()["id"]
    r = await carol.post(f"/api/v1/repairs/{repair_id}/triage",
                         json={"component": component, "urgency": "normal", "survey_needed": False})
    assert r.status_code == 200, r.text
    await move(personas, repair_id, "assign", "start")
    return h, repair_id


async def complete(client: Any, repair_id: int, files: Any = None, note: str = "更换防水层，闭水试验48小时无渗漏") -> Any:
    return await client.post(f"/api/v1/repairs/{repair_id}/complete",
                             files=multipart({"note": note}, photo_files(1) if files is None else files),
                             headers={"Accept-Language": "zh-CN"})


async def status_of(repair_id: int) -> str:
    from server.repairs.tables import RepairRequest

    return (await RepairRequest.select(RepairRequest.status).where(RepairRequest.id == repair_id).first().run())[
        "status"]


async def another_owner(personas: Any) -> Any:
    """An API client for an owner of no home on the repair (oscar, owner of the second home)."""
    from server.accounts.services import token_create
    from server.accounts.tables import User, UnitOwner
    from server.org.tables import Unit
    from tests.support import make_client

    user = User(username="oscar", password_hash="-", role="owner", display_name="Oscar")
    await user.save().run()
    units = await Unit.select(Unit.id).order_by(Unit.id).run()
    await UnitOwner(unit=units[1]["id"], user=user.id).save().run()
    client = make_client(personas.app)
    await client.__aenter__()
    client.headers["Authorization"] = f"Bearer {await token_create(user)}"
    personas._clients.append(client)
    return client


async def run_visits_cron(now: dt.datetime) -> None:
    """The registered `repair_visits` cron of WorkerSettings, run once by a real worker in burst mode."""
    from workers.settings import WorkerSettings, shutdown, startup, worker_for

    class OnlyVisits:
        queue_name = WorkerSettings.queue_name
        functions = WorkerSettings.functions  # the photos queued by the test get processed too
        cron_jobs = [dataclasses.replace(job, run_at_startup=True) for job in WorkerSettings.cron_jobs
                     if job.name == "repair_visits"]
        redis_settings = WorkerSettings.redis_settings
        on_startup = startup
        on_shutdown = shutdown

    assert len(OnlyVisits.cron_jobs) == 1
    worker = worker_for(OnlyVisits, poll_delay=0.05, ctx={"now": now})
    try:
        await worker.main()
    finally:
        await worker.close()
    assert worker.jobs_complete >= 1 and worker.jobs_failed == 0
