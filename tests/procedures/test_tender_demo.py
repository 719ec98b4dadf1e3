"""The demo's tender is in progress: its notice public, experts drawn, every bid scored, no winner yet."""
from __future__ import annotations


async def test_the_demo_has_a_tender_in_progress(app, client):
    from server.demo import seed_demo
    from server.procedures.tables import Procedure
    from server.procedures.tender_selectors import tender_state

    assert await seed_demo() is True
    procedure = await Procedure.objects().get(Procedure.template_code == "pm_tender").run()
    state = await tender_state(procedure.id)
    assert state["notice"]["status"] == "published" and len(state["experts"]) == 5
    assert [str(b["score"]) for b in state["bids"]] == ["91.50", "87.25", "82.00"]
    assert state["records"] == {} and {"experts", "bids_scored", "notice_published"} <= state["facts"]
    page = await client.get(f"/tender-notices/{state['notice']['public_token']}")
    assert page.status_code == 200 and "阳光花园前期物业服务招标公告" in page.text
