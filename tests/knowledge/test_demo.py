"""The demo has a knowledge base and inquiries in both states."""
from __future__ import annotations


async def test_the_demo_has_knowledge_and_inquiries(app):
    from server.accounts.tables import User
    from server.demo import DEMO_KNOWLEDGE, seed_demo
    from server.inquiries.tables import Inquiry
    from server.knowledge import selectors
    from server.pagination import Page

    assert await seed_demo() is True
    found = await selectors.search_entries("钥匙", Page.of(10, 0))
    assert [i["question"] for i in found["items"]] == ["交房时能领几把钥匙"]
    # the knowledge base, and two answers published from last month's summary
    assert len(DEMO_KNOWLEDGE) + 2 == (await selectors.list_entries(Page.of(50, 0)))["total"]
    rows = await Inquiry.select(Inquiry.status, Inquiry.knowledge_entry, Inquiry.owner).order_by(Inquiry.id).run()
    owner = await User.objects().get(User.username == "13800000000").run()
    assert [(r["status"], r["knowledge_entry"] is not None, r["owner"]) for r in rows[:2]] == [
        ("answered", True, owner.id), ("open", False, None)]
    # every state of the inquiry's transition table (server/inquiries/states.py)
    from server.inquiries.states import STATUSES

    assert {r["status"] for r in rows} == set(STATUSES)


async def test_the_demo_has_last_months_summary_and_published_answers(app):
    from server.demo import seed_demo
    from server.inquiries.summary import summary_out
    from server.inquiries.summary_tables import InquirySummary
    from server.knowledge import selectors
    from server.org.tables import Project
    from server.pagination import Page

    assert await seed_demo() is True
    project = await Project.objects().first().run()
    [row] = await InquirySummary.select().run()
    out = summary_out(row)
    assert (out["figures"]["total"], out["figures"]["open"], len(out["highlights"])) == (3, 1, 2) and out["notes"]
    found = await selectors.search_entries("押金", Page.of(10, 0), published_for=project.id)
    assert [i["question"] for i in found["items"]] == ["装修要交押金吗"]
