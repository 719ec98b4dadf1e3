"""Quotes for paid repairs, SLA deadlines and their escalation, and the closing records' immutability
(UPDATE and DELETE refused by the database itself, on SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest

from server import clock
from server.db import engine
from server.notifications.tables import InboxMessage
from server.repairs.closing_tables import RepairQuote, RepairQuoteDecision, RepairSignoff, RepairSlaBreach
from server.repairs.sla import sla_escalate
from server.repairs.tables import RepairRequest, RepairSettings
from tests.repairs.closing_support import complete, in_repair, move, signature, status_of
from tests.repairs.support import homes, report

ZH = {"Accept-Language": "zh-CN"}


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def _paid_repair(personas) -> tuple[dict, int]:
    """An out-of-warranty repair (decoration, delivered 800 days ago), triaged and assigned."""
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    day = (clock.today() - dt.timedelta(days=800)).isoformat()
    assert (await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": day})).status_code == 201
    r = await report(olga, h["mine"], component="decoration")
    assert r.json()["warranty"]["who_pays"] == "owner"
    rid = r.json()["id"]
    assert (await carol.post(f"/api/v1/repairs/{rid}/triage", json={
        "component": "decoration", "urgency": "scheduled", "survey_needed": False})).status_code == 200
    await move(personas, rid, "assign")
    return h, rid


async def test_a_paid_repair_starts_only_after_the_owner_accepts_the_latest_quote(personas):
    from server.errors import Conflict

    _h, rid = await _paid_repair(personas)
    carol, olga, bob = await personas.api("carol"), await personas.api("olga"), await personas.api("bob")
    with pytest.raises(Conflict) as refused:
        await move(personas, rid, "start")
    assert "报价" in str(refused.value.message) or refused.value.message
    assert await status_of(rid) == "assigned"
    for amount in ("-5", "0", "350.005", "abc"):
        r = await carol.post(f"/api/v1/repairs/{rid}/quotes", json={"amount": amount, "description": "更换瓷砖"},
                             headers=ZH)
        assert r.status_code == 400 and chinese(r.json()["errors"]["amount"]), amount
    assert await RepairQuote.count().run() == 0
    assert (await olga.post(f"/api/v1/repairs/{rid}/quotes", json={"amount": "1", "description": "x"})
            ).status_code == 403
    assert (await bob.post(f"/api/v1/repairs/{rid}/quote-decision", json={"accepted": True})).status_code == 403
    assert (await olga.post(f"/api/v1/repairs/{rid}/quote-decision", json={"accepted": True})).status_code == 409
    r = await carol.post(f"/api/v1/repairs/{rid}/quotes", json={"amount": "350.50", "description": "更换空鼓瓷砖 3 块"})
    assert r.status_code == 201 and r.json()["amount"] == "350.50"
    assert (await olga.post(f"/api/v1/repairs/{rid}/quote-decision", json={"accepted": False})).status_code == 201
    with pytest.raises(Conflict):
        await move(personas, rid, "start")  # declined: it waits for a new quote
    assert (await olga.post(f"/api/v1/repairs/{rid}/quote-decision", json={"accepted": True})).status_code == 409
    r = await carol.post(f"/api/v1/repairs/{rid}/quotes", json={"amount": "300", "description": "更换空鼓瓷砖 3 块"})
    assert r.status_code == 201
    assert (await olga.post(f"/api/v1/repairs/{rid}/quote-decision", json={"accepted": "true"})).status_code == 201
    await move(personas, rid, "start")
    assert await status_of(rid) == "in_repair"
    assert (await carol.post(f"/api/v1/repairs/{rid}/quotes", json={"amount": "1", "description": "x"})
            ).status_code == 409
    decisions = await RepairQuoteDecision.select(RepairQuoteDecision.accepted).order_by(RepairQuoteDecision.id).run()
    assert [d["accepted"] for d in decisions] == [False, True]


async def test_the_refusal_to_start_is_a_chinese_409_through_the_transition(personas):
    from server.errors import Conflict
    from server.i18n import current_locale

    _h, rid = await _paid_repair(personas)
    token = current_locale.set("zh_CN")
    try:
        with pytest.raises(Conflict) as refused:
            await move(personas, rid, "start")
        assert chinese(str(refused.value.message)) and "报价" in str(refused.value.message)
    finally:
        current_locale.reset(token)


async def test_an_in_warranty_repair_needs_no_quote(personas):
    _h, rid = await in_repair(personas, delivered_days_ago=100)
    assert await status_of(rid) == "in_repair"


async def test_overdue_repairs_are_red_on_the_lists_and_escalated_once_per_breach(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    late = (await report(olga, h["mine"])).json()["id"]
    fresh = (await report(olga, h["mine"])).json()["id"]
    now = dt.datetime.now(dt.timezone.utc)
    await RepairRequest.update({RepairRequest.created_at: now - dt.timedelta(hours=3)}).where(
        RepairRequest.id == late).run()  # normal: first response within 2 hours
    items = {i["id"]: i["overdue"] for i in (await carol.get("/api/v1/repairs")).json()["items"]}
    assert items == {late: "response", fresh: None}
    staff, owner = await personas.browser("carol"), await personas.browser("olga")
    for client, path in ((staff, "/repairs"), (owner, "/owner/repairs")):
        page = (await client.get(path)).text
        assert page.count("chip_red") == 1 and "repair_overdue" in page
    assert await sla_escalate(now) == 1
    assert await sla_escalate(now + dt.timedelta(minutes=5)) == 0  # once per breach
    notes = await InboxMessage.select(InboxMessage.user, InboxMessage.link).run()
    assert notes == [{"user": personas.user("alice").id, "link": f"/repairs/{late}"}]
    # triaged as an emergency: on site within 2 hours of the request, already missed: a new breach
    assert (await carol.post(f"/api/v1/repairs/{late}/triage", json={
        "component": "waterproofing", "urgency": "emergency", "survey_needed": False})).status_code == 200
    assert await sla_escalate(now) == 1
    assert [b["stage"] for b in await RepairSlaBreach.select(RepairSlaBreach.stage).order_by(
        RepairSlaBreach.id).run()] == ["response", "on_site"]


@pytest.mark.parametrize("hours", ["-1", "0", "abc"])
async def test_sla_hours_must_be_more_than_zero(personas, hours):
    h = await homes(personas)
    carol = await personas.api("carol")
    url = f"/api/v1/projects/{h['project']}/repair-settings"
    r = await carol.put(url, json={"normal_done_hours": hours}, headers=ZH)
    assert r.status_code == 400 and r.json()["errors"] == {"normal_done_hours": "请输入大于 0 的小时数，例如 2 或 0.25。"}
    assert await RepairSettings.count().run() == 0
    r = await carol.put(url, json={"normal_done_hours": "48", "emergency_response_hours": "0.5"})
    assert r.status_code == 200 and (r.json()["normal_done_hours"], r.json()["emergency_response_hours"]) == (
        "48.00", "0.50")
    assert (await carol.get(url)).json()["normal_done_hours"] == "48.00"


async def test_project_hours_decide_the_deadline(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    rid = (await report(olga, h["mine"])).json()["id"]
    await RepairRequest.update({RepairRequest.created_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)}
                               ).where(RepairRequest.id == rid).run()
    assert (await carol.get(f"/api/v1/repairs/{rid}")).json()["overdue"] == "response"
    assert (await carol.put(f"/api/v1/projects/{h['project']}/repair-settings",
                            json={"normal_response_hours": "4"})).status_code == 200
    assert (await carol.get(f"/api/v1/repairs/{rid}")).json()["overdue"] is None


IMMUTABLE = ["repair_completion", "repair_signoff", "repair_quote", "repair_quote_decision", "repair_visit"]


async def test_closing_records_refuse_update_and_delete_in_the_database(personas):
    from server.repairs.visits import visit_record

    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    assert (await complete(carol, rid)).status_code == 200
    assert (await carol.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 201
    repair = await RepairRequest.objects().get(RepairRequest.id == rid).run()
    await visit_record(actor=personas.user("carol"), repair=repair, reached=False)
    paid_h, paid = await _paid_repair_elsewhere(personas)
    await RepairQuote(repair=paid, amount="10.00", description="x").save().run()
    quote = await RepairQuote.objects().first().run()
    await RepairQuoteDecision(quote=quote.id, repair=paid, accepted=True).save().run()
    db = engine()
    for table in IMMUTABLE:
        assert (await db.run_ddl(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"] == 1, table
        with pytest.raises(Exception, match="immutable"):
            await db.run_ddl(f"UPDATE {table} SET created_at = created_at WHERE id > 0")
        with pytest.raises(Exception, match="immutable"):
            await db.run_ddl(f"DELETE FROM {table}")
        assert (await db.run_ddl(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"] == 1, table
    signed = await RepairSignoff.objects().first().run()
    assert signed.outcome == "signed"


async def _paid_repair_elsewhere(personas) -> tuple[None, int]:
    row = await RepairRequest.select(RepairRequest.unit).first().run()
    other = RepairRequest(unit=row["unit"], component="decoration", description="墙面开裂",
                          reported_on=clock.today(), channel="phone", status="assigned")
    await other.save().run()
    return None, other.id
