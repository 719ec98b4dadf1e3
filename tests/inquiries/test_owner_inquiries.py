"""An owner reads their own inquiries, and only those, in every state of the transition table: the list (late ones
in red, as on the staff lists), one inquiry's page and the API; another owner's inquiry, or one without an
owner, is 404 on both; CS's internal draft and reason for sending back never reach the owner. SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from server.inquiries.states import STATUSES
from server.inquiries.tables import Inquiry

DRAFT, REASON = "内部草稿：车位明年开售", "内部退回原因：请写明管理费"
ANSWERED = ("answered", "approved", "closed")
"""The states whose answer is set (an answer approved is the answer, even before the call)."""


async def _owner(personas: Any, username: str) -> Any:
    from server.accounts.tables import User
    from tests.support import _password_hash

    user = User(username=username, password_hash=_password_hash(), role="owner", display_name=username)
    await user.save().run()
    personas.users[username] = user
    return user


async def _asked(carol: Any, owner_id: int | None, question: str, status: str, *, days_ago: float = 0) -> int:
    """An inquiry put in `status` (the moves themselves are tested in test_sheets.py)."""
    asker = {"owner_id": owner_id} if owner_id else {"asker_name": "路人", "asker_phone": "13900000009"}
    r = await carol.post("/api/v1/inquiries", json={**asker, "channel": "phone", "question": question})
    assert r.status_code == 201, r.text
    inquiry_id = r.json()["id"]
    created = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    await Inquiry.update({
        Inquiry.status: status, Inquiry.created_at: created, Inquiry.draft: DRAFT, Inquiry.return_reason: REASON,
        Inquiry.answer: f"答复：{question}" if status in ANSWERED else "",
        Inquiry.answered_at: created + dt.timedelta(hours=1) if status in ANSWERED else None,
    }).where(Inquiry.id == inquiry_id).run()
    return inquiry_id


async def test_an_owner_reads_only_their_own_inquiries_in_every_state(personas):
    carol = await personas.api("carol")
    olga, other = personas.user("olga"), await _owner(personas, "13700000000")
    mine = {status: await _asked(carol, olga.id, f"我的问题 {status}", status) for status in STATUSES}
    # asked ten days ago and still not answered: past the default SLA (answer within 72 h)
    late = await _asked(carol, olga.id, "我的问题 很久没人答复", "open", days_ago=10)
    foreign = [await _asked(carol, owner, f"别人的问题 {status}", status)
               for owner in (other.id, None) for status in STATUSES]

    browser = await personas.browser("olga")
    page = await browser.get("/owner/inquiries", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert [int(x) for x in re.findall(r'data-inquiry="(\d+)"', page.text)] == sorted(
        [*mine.values(), late], reverse=True)
    assert "别人的问题" not in page.text and DRAFT not in page.text and REASON not in page.text
    cards = {int(i): css for css, i in re.findall(r'<article class="app-card([^"]*)" data-inquiry="(\d+)"', page.text)}
    # the late one is red (a red border and the word 已逾期); the others, answered or asked just now, are not
    assert cards == {i: (" app-card_overdue" if i == late else "") for i in [*mine.values(), late]}
    assert page.text.count("已逾期") == 1
    # the steps inside the CS center read as one to the owner
    assert page.text.count("客服正在处理") == 3

    for status, inquiry_id in mine.items():
        one = await browser.get(f"/owner/inquiries/{inquiry_id}", headers={"Accept-Language": "zh-CN"})
        assert one.status_code == 200 and f"我的问题 {status}" in one.text, status
        assert DRAFT not in one.text and REASON not in one.text
        assert (f"答复：我的问题 {status}" in one.text) is (status in ANSWERED), status
    one = await browser.get(f"/owner/inquiries/{late}", headers={"Accept-Language": "zh-CN"})
    assert "data-overdue" in one.text and "客服尚未答复。" in one.text
    for inquiry_id in foreign:
        assert (await browser.get(f"/owner/inquiries/{inquiry_id}")).status_code == 404

    api = await personas.api("olga")
    listed = (await api.get("/api/v1/inquiries?limit=50")).json()
    assert [i["id"] for i in listed["items"]] == sorted([*mine.values(), late], reverse=True)
    assert listed["total"] == len(mine) + 1
    assert {(i["draft"], i["return_reason"]) for i in listed["items"]} == {("", "")}
    assert [i["id"] for i in listed["items"] if i["overdue"]] == [late]
    drafted = (await api.get("/api/v1/inquiries", params={"status": "drafted"})).json()
    assert [i["id"] for i in drafted["items"]] == [mine["drafted"]]
    for status, inquiry_id in mine.items():
        r = await api.get(f"/api/v1/inquiries/{inquiry_id}")
        assert r.status_code == 200 and (r.json()["status"], r.json()["draft"]) == (status, ""), status
    for inquiry_id in foreign:
        assert (await api.get(f"/api/v1/inquiries/{inquiry_id}")).status_code == 404
    # reading is all an owner does here: answering and the contact-sheet moves stay CS's (403)
    for path, payload in (("answer", {"answer": "x"}), ("escalate", {"departments": []}),
                          ("draft", {"draft": "x"}), ("callback", {"reached": True})):
        assert (await api.post(f"/api/v1/inquiries/{mine['open']}/{path}", json=payload)).status_code == 403
    assert (await api.post("/api/v1/inquiries", json={"question": "x", "channel": "online"})).status_code == 403
    # CS still sees everyone's, with the draft
    everyone = (await carol.get("/api/v1/inquiries?limit=50")).json()
    assert everyone["total"] == len(mine) + 1 + len(foreign)
    assert (await carol.get(f"/api/v1/inquiries/{mine['drafted']}")).json()["draft"] == DRAFT
