"""Delivery preparation ends on the first delivery day (issue 10.3): every step of the
batch's procedure is due on or before it, the last on it; a batch set up with fewer days
left than the preparation takes has its steps squeezed in order, and says so (API and page)."""
from __future__ import annotations

import datetime as dt

import pytest

from server import clock
from server.delivery.batches import PREPARATION_DAYS
from server.delivery.tables import DeliveryBatch
from server.procedures.services import due_dates
from server.procedures.tables import Procedure, ProcedureStep
from tests.delivery.test_delivery_table import _project

SEED_OFFSETS = [20, 30, 30, 35, 40, 45, 45, 50, 55, 60]  # server/procedures/seed.py, delivery_preparation


async def _dues(batch_id: int) -> tuple[dt.date, list[dt.date]]:
    procedure = await Procedure.objects().get(
        (Procedure.subject_kind == "delivery_batch") & (Procedure.subject_id == batch_id)).run()
    steps = await ProcedureStep.select(ProcedureStep.due_date).where(
        ProcedureStep.procedure == procedure.id).order_by(ProcedureStep.position).run()
    return procedure.start_date, [s["due_date"] for s in steps]


async def test_the_demo_batch_two_weeks_out_is_prepared_by_its_first_delivery_day(client):
    from server.demo import seed_demo

    assert await seed_demo() is True
    batch = await DeliveryBatch.objects().first().run()
    today = clock.today()
    assert batch.starts_on == today + dt.timedelta(days=14)
    start, dues = await _dues(batch.id)
    assert start == today
    # 14 days for a 60-day template: each offset × 14 / 60, rounded down, in order.
    assert dues == [today + dt.timedelta(days=d) for d in (4, 7, 7, 8, 9, 10, 10, 11, 12, 14)]
    assert max(dues) == batch.starts_on and dues == sorted(dues) and min(dues) >= today


async def test_a_batch_with_time_enough_keeps_the_templates_spacing_and_warns_of_nothing(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    first = clock.today() + dt.timedelta(days=100)
    r = await carol.post(f"/api/v1/projects/{project.id}/delivery-batches", json={
        "name": "一期", "starts_on": first.isoformat(), "ends_on": first.isoformat()})
    assert r.status_code == 201, r.text
    assert r.json()["warnings"] == []
    start, dues = await _dues(r.json()["id"])
    assert start == first - dt.timedelta(days=PREPARATION_DAYS) and PREPARATION_DAYS == 60
    assert dues == [start + dt.timedelta(days=o) for o in SEED_OFFSETS] and dues[-1] == first


async def test_a_batch_two_weeks_out_warns_through_the_api_and_its_steps_end_on_the_day(personas):
    project = await _project(personas)
    carol = await personas.api("carol")
    first = clock.today() + dt.timedelta(days=14)
    r = await carol.post(f"/api/v1/projects/{project.id}/delivery-batches", json={
        "name": "一期", "starts_on": first.isoformat(), "ends_on": (first + dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 201, r.text
    assert r.json()["warnings"] == [
        f"交付准备需要 60 天，但距首个交付日（{first.isoformat()}）只剩 14 天。各步骤的截止日期已相应提前，"
        "全部在该日之前：请确认各部门能按时完成，或调整交付日期。"]
    _start, dues = await _dues(r.json()["id"])
    assert max(dues) == first and all(d <= first for d in dues)


async def test_the_batch_page_warns_when_it_is_created_with_too_little_time(personas):
    project = await _project(personas)
    carol = await personas.browser("carol")
    first = clock.today() + dt.timedelta(days=14)
    r = await carol.post("/delivery/batches", data={
        "project_id": str(project.id), "name": "一期", "starts_on": first.isoformat(),
        "ends_on": first.isoformat(), "place": "售楼处"})
    assert r.status_code == 303, r.text
    page = await carol.get(r.headers["location"])
    assert page.status_code == 200
    assert f"距首个交付日（{first.isoformat()}）只剩 14 天" in page.text and "交付批次已创建，共" in page.text
    batch = await DeliveryBatch.objects().first().run()
    _start, dues = await _dues(batch.id)
    assert max(dues) == first
    # with time enough, the page says only that the batch was made
    second = await _project(personas)
    far = clock.today() + dt.timedelta(days=90)
    r = await carol.post("/delivery/batches", data={
        "project_id": str(second.id), "name": "二期", "starts_on": far.isoformat(), "ends_on": far.isoformat()})
    page = await carol.get(r.headers["location"])
    assert "交付批次已创建，共" in page.text and "交付准备需要" not in page.text


@pytest.mark.parametrize("days_left,expected", [
    (60, SEED_OFFSETS),
    (30, [10, 15, 15, 17, 20, 22, 22, 25, 27, 30]),
    (1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    (0, [0] * 10),
])
def test_due_dates_shrink_in_proportion_and_never_pass_the_end(days_left, expected):
    today = dt.date(2026, 12, 4)
    start, dues = due_dates(SEED_OFFSETS, today, today + dt.timedelta(days=days_left))
    assert start == today and dues == [today + dt.timedelta(days=d) for d in expected]


def test_a_first_delivery_day_already_past_makes_every_step_due_on_it():
    today, past = dt.date(2026, 12, 4), dt.date(2026, 12, 1)
    start, dues = due_dates(SEED_OFFSETS, today, past)
    assert start == past and dues == [past] * 10
