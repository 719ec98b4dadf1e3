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
    assert len(DEMO_KNOWLEDGE) == (await selectors.list_entries(Page.of(50, 0)))["total"]
    rows = await Inquiry.select(Inquiry.status, Inquiry.knowledge_entry, Inquiry.owner).order_by(Inquiry.id).run()
    owner = await User.objects().get(User.username == "13800000000").run()
    assert [(r["status"], r["knowledge_entry"] is not None, r["owner"]) for r in rows] == [
        ("answered", True, owner.id), ("open", False, None)]
