"""The demo has delivered homes with repairs in several states, one in warranty and one not."""
from __future__ import annotations

from server.accounts.tables import User
from server.repairs.selectors import repairs_out
from server.repairs.tables import RecordedDelivery, RepairRequest


async def test_the_demo_has_repairs_in_several_states(app):
    from server.demo import seed_demo

    assert await seed_demo() is True
    rows = await RepairRequest.select().order_by(RepairRequest.id).run()
    assert [r["status"] for r in rows] == ["reported", "triaged", "surveying", "reported", "assigned"]
    assert await RecordedDelivery.count().run() == 6
    out = await repairs_out(rows)
    # the owner's home was delivered three years ago: the leak is in warranty (5 years), the crack is not (2)
    assert [o["warranty"]["in_warranty"] for o in out] == [True, False, True, True, True]
    owner = await User.objects().get(User.username == "13800000000").run()
    assert {r["reported_by"] for r in rows[:2]} == {owner.id}


async def test_the_demo_repair_unit_sees_its_job_and_the_survey_waiting_has_findings(app):
    from server.demo import seed_demo
    from server.repairs.access import visible_repairs
    from server.repairs.job_tables import RepairAssignment, RepairPlan, RepairSurvey

    assert await seed_demo() is True
    unit_user = await User.objects().get(User.username == "weixiu").run()
    mine = await RepairRequest.select(RepairRequest.id, RepairRequest.status).where(visible_repairs(unit_user)).run()
    assert [r["status"] for r in mine] == ["assigned"]
    assignment = await RepairAssignment.objects().get(RepairAssignment.repair == mine[0]["id"]).run()
    assert assignment.party == unit_user.party and assignment.visit_at is not None
    assert (await RepairPlan.objects().get(RepairPlan.repair == mine[0]["id"]).run()).decision == "approved"
    assert await RepairSurvey.count().run() == 2
