"""Return visits (回访): the arq cron job (a real worker in burst mode, the clock given explicitly) puts a
signed-off repair on the CS call list after the project's days; CS records the call: not reached stays,
3-5 closes, 1-2 reopens or escalates to the CS manager; bad input stores nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from server.clock import CHINA
from server.notifications.tables import InboxMessage
from server.repairs.closing_tables import RepairSignoff, RepairVisit, RepairVisitDue
from server.repairs.tables import RepairSettings
from tests.repairs.closing_support import complete, in_repair, run_visits_cron, signature, status_of

ZH = {"Accept-Language": "zh-CN"}


async def signed_off(personas) -> int:
    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    assert (await complete(carol, rid)).status_code == 200
    assert (await carol.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 201
    return rid


async def test_the_cron_lists_a_signed_off_repair_after_the_projects_days(personas):
    rid = await signed_off(personas)
    carol = await personas.api("carol")
    signed_at = (await RepairSignoff.objects().first().run()).created_at
    signed_day = signed_at.astimezone(CHINA).date()
    day2 = dt.datetime.combine(signed_day + dt.timedelta(days=2), dt.time(23, 0), CHINA)
    await run_visits_cron(day2)
    assert await RepairVisitDue.count().run() == 0
    assert (await carol.get("/api/v1/repair-visits/due")).json()["total"] == 0
    day3 = dt.datetime.combine(signed_day + dt.timedelta(days=3), dt.time(0, 5), CHINA)
    await run_visits_cron(day3)
    await run_visits_cron(day3)  # once per sign-off
    assert (await carol.get("/api/v1/repair-visits/due")).json()["items"] == [
        {"repair_id": rid, "due_on": (signed_day + dt.timedelta(days=3)).isoformat(), "calls": 0}]
    page = await (await personas.browser("carol")).get("/repairs/visits")
    assert f'data-visit-due="{rid}"' in page.text


async def test_a_project_sets_its_own_days(personas):
    rid = await signed_off(personas)
    from server.repairs.visits import visits_list_due

    project = (await personas.api("carol"))
    h_project = (await RepairSettings.count().run())
    assert h_project == 0
    from server.org.tables import Project

    pid = (await Project.select(Project.id).order_by(Project.id).first().run())["id"]
    assert (await project.put(f"/api/v1/projects/{pid}/repair-settings", json={"return_visit_days": 7})
            ).status_code == 200
    signed_day = (await RepairSignoff.objects().first().run()).created_at.astimezone(CHINA).date()
    assert await visits_list_due(dt.datetime.combine(signed_day + dt.timedelta(days=6), dt.time(12), CHINA)) == 0
    assert await visits_list_due(dt.datetime.combine(signed_day + dt.timedelta(days=7), dt.time(12), CHINA)) == 1
    assert (await RepairVisitDue.objects().first().run()).repair == rid


async def test_calls_not_reached_stay_satisfied_close_dissatisfied_reopen_or_escalate(personas):
    from server.repairs.visits import visits_list_due

    carol, olga, bob = await personas.api("carol"), await personas.api("olga"), await personas.api("bob")
    rid = await signed_off(personas)
    await visits_list_due(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=4))
    url = f"/api/v1/repairs/{rid}/visits"
    assert (await olga.post(url, json={"reached": True, "satisfaction": 5})).status_code == 403
    assert (await bob.post(url, json={"reached": True, "satisfaction": 5})).status_code == 403
    for bad in ({"reached": True, "satisfaction": 0}, {"reached": True, "satisfaction": 6}, {"reached": True},
                {"satisfaction": 4}):
        r = await carol.post(url, json=bad, headers=ZH)
        assert r.status_code == 400 and any("\u4e00" <= c <= "\u9fff" for c in str(r.json()["errors"])), bad
    assert await RepairVisit.count().run() == 0 and await status_of(rid) == "signed_off"
    r = await carol.post(url, json={"reached": False, "comment": "无人接听"})
    assert r.status_code == 201 and (r.json()["outcome"], r.json()["status"]) == ("", "signed_off")
    assert (await carol.get("/api/v1/repair-visits/due")).json()["items"][0]["calls"] == 1
    r = await carol.post(url, json={"reached": True, "satisfaction": 4, "comment": "满意"})
    assert (r.json()["outcome"], r.json()["status"]) == ("closed", "closed")
    assert (await carol.get("/api/v1/repair-visits/due")).json()["total"] == 0
    assert (await carol.post(url, json={"reached": True, "satisfaction": 4})).status_code == 409


@pytest.mark.parametrize("follow_up, status, told", [("reopen", "reopened", 0), ("escalate", "visited", 1)])
async def test_a_dissatisfied_owner_reopens_or_escalates(personas, follow_up, status, told):
    carol = await personas.api("carol")
    rid = await signed_off(personas)
    r = await carol.post(f"/api/v1/repairs/{rid}/visits", json={
        "reached": True, "satisfaction": 2, "comment": "还有渗水", "follow_up": follow_up})
    assert r.status_code == 201 and r.json()["status"] == status
    notes = await InboxMessage.select(InboxMessage.user).where(InboxMessage.link == f"/repairs/{rid}").run()
    assert notes == [{"user": personas.user("alice").id}] * told
    if status == "visited":  # the manager decides
        alice = await personas.api("alice")
        assert (await alice.post(f"/api/v1/repairs/{rid}/reopen")).json()["status"] == "reopened"
    # reopened: triaged again, and the SLA clock starts from the reopening
    r = await carol.post(f"/api/v1/repairs/{rid}/triage", json={
        "component": "waterproofing", "urgency": "normal", "survey_needed": False})
    assert r.status_code == 200 and r.json()["overdue"] is None
