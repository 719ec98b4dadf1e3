"""Chinese that reads as Chinese on the demo's pages (issue 10.6): the slot
form's day is a delivery date, the statement's times end in a full-width
colon, no "(demo)" and no "Webhook" reach the people who use the app."""
from __future__ import annotations

import re

from server.demo import DEMO_PASSWORD
from tests.support import login


async def _demo(client, username: str):
    from server.demo import seed_demo

    assert await seed_demo() is True
    signed_in = await login(client, username, DEMO_PASSWORD)
    assert signed_in.status_code == 303


async def test_the_slot_form_asks_for_a_delivery_date_and_the_statement_reads_as_chinese(client):
    from server.delivery.tables import DeliveryBatch
    from server.org.tables import Unit

    await _demo(client, "kefu")
    batch = await DeliveryBatch.objects().first().run()
    page = (await client.get(f"/delivery/batches/{batch.id}")).text
    label = re.search(r'<label[^>]*for="f-day"[^>]*>(.*?)</label>', page, re.S).group(1)
    assert label.startswith("交付日期")
    assert "验房日期" not in page

    unit = await Unit.objects().order_by(Unit.id).first().run()
    statement = (await client.get(f"/delivery/units/{unit.id}/statement")).text
    assert "确权面积录入时间：" in statement and "结算单生成时间：" in statement
    assert "（测绘报告）" in statement
    assert "demo" not in statement.lower()
    assert re.search(r"[\u4e00-\u9fff]: ", statement) is None


async def test_the_party_form_speaks_of_the_group_robot_not_a_webhook(client):
    from server.org.tables import Party

    await _demo(client, "admin")
    party = await Party.objects().first().run()
    page = (await client.get(f"/admin/parties/{party.id}/edit")).text
    assert "群机器人地址" in page
    assert "Webhook" not in page
