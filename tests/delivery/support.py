"""A delivery batch to test with: four units, one ready (passed, keys with the
CS center), one passed without keys, two not inspected; contracts with owners."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.handover.test_key_handover import body as handover_body
from tests.handover.test_key_handover import signature
from tests.inspections.support import complete, new_id, unit_under_inspection

__all__ = ["ready_batch", "owner_api", "signature", "slot_day", "new_id", "PHONES"]

PHONES = ["13800000001", "13800000002", "13800000003", "13800000004"]


def slot_day(days_ahead: int = 3) -> dt.date:
    from server.clock import today

    return today() + dt.timedelta(days=days_ahead)


async def ready_batch(personas: Any, *, slots: bool = True, capacity: int = 2) -> dict[str, Any]:
    """{"batch", "units" (ids in order), "ready_unit", "project_id"} with owners set up."""
    from server.org.tables import Building, Unit

    unit, inspection = await unit_under_inspection(personas)
    ian, carol = await personas.api("ian"), await personas.api("carol")
    assert (await complete(ian, inspection["id"])).status_code == 200
    r = await carol.post(f"/api/v1/units/{unit['id']}/key-handovers",
                         json=handover_body(personas.parties["builder_a"].id))
    assert r.status_code == 201, r.text
    building = await Building.objects().get(Building.id == unit["building_id"]).run()
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).order_by(Unit.id).run()]
    # The second unit passes too, but its keys have not come to the CS center.
    await Unit.update({Unit.status: "passed"}).where(Unit.id == units[1]).run()
    for unit_id, phone in zip(units, PHONES):
        r = await carol.post(f"/api/v1/units/{unit_id}/contracts", json={
            "contract_area": "89.50", "unit_price": "30000", "buyer_name": f"业主{phone[-1]}", "buyer_phone": phone})
        assert r.status_code == 201, r.text
    day = slot_day()
    r = await carol.post(f"/api/v1/projects/{building.project}/delivery-batches", json={
        "name": "一期1号楼交付", "starts_on": day.isoformat(), "ends_on": (day + dt.timedelta(days=1)).isoformat(),
        "place": "1号楼大堂", "what_to_bring": "身份证、购房合同、缴款凭证"})
    assert r.status_code == 201, r.text
    batch = r.json()
    r = await carol.post(f"/api/v1/delivery-batches/{batch['id']}/owners")
    assert r.status_code == 200, r.text
    if slots:
        r = await carol.post(f"/api/v1/delivery-batches/{batch['id']}/slots", json={
            "day": day.isoformat(), "start": "09:00", "end": "10:00", "minutes": 30, "capacity": capacity})
        assert r.status_code == 201, r.text
    return {"batch": batch, "units": units, "ready_unit": units[0], "project_id": building.project}


async def owner_api(personas: Any, mobile: str) -> Any:
    """An API client for the owner account a batch made for this mobile number."""
    from server.accounts.tables import User

    personas.users[mobile] = await User.objects().get(User.username == mobile).run()
    return await personas.api(mobile)
