"""The demo has delivered homes with repairs in several states, one in warranty and one not."""
from __future__ import annotations

from server.accounts.tables import User
from server.repairs.selectors import repairs_out
from server.repairs.tables import RecordedDelivery, RepairRequest


async def test_the_demo_has_repairs_in_several_states(app):
    from server.demo import seed_demo

    assert await seed_demo() is True
    rows = await RepairRequest.select().order_by(RepairRequest.id).run()
    assert [r["status"] for r in rows] == ["reported", "triaged", "surveying", "reported"]
    assert await RecordedDelivery.count().run() == 6
    out = await repairs_out(rows)
    # the owner's home was delivered three years ago: the leak is in warranty (5 years), the crack is not (2)
    assert [o["warranty"]["in_warranty"] for o in out] == [True, False, True, True]
    owner = await User.objects().get(User.username == "13800000000").run()
    assert {r["reported_by"] for r in rows[:2]} == {owner.id}
