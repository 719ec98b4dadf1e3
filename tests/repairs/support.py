"""Helpers for the repair tests: homes with owners, and posting a request."""
from __future__ import annotations

import uuid
from typing import Any


async def homes(personas: Any) -> dict[str, Any]:
    """Two homes in one building: olga owns the first, nobody the second; and a home in a second project."""
    from server.accounts.tables import UnitOwner
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=2)
    other_project = await project_create(actor=None, name="翠湖苑")
    other_building = await building_create(actor=None, project_id=other_project.id, name="5号楼")
    await units_bulk_create(actor=None, building_id=other_building.id, floor_from=1, floor_to=1, units_per_floor=1)
    ids = [r["id"] for r in await Unit.select(Unit.id).order_by(Unit.id).run()]
    await UnitOwner(unit=ids[0], user=personas.user("olga").id).save().run()
    return {"project": project.id, "building": building.id, "mine": ids[0], "theirs": ids[1],
            "other_project": other_project.id, "elsewhere": ids[2]}


def new_id() -> str:
    return str(uuid.uuid4())


def form(**changes: Any) -> dict[str, str]:
    fields = {"client_id": new_id(), "component": "waterproofing", "description": "卫生间顶棚漏水，滴到地面",
              "location": "卫生间", "preferred_times": "周末上午"}
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def multipart(fields: dict[str, str], files: Any = None) -> list:
    """Fields and files as multipart parts (httpx sends plain fields alone url-encoded, which API.md does not)."""
    return [(name, (None, value)) for name, value in fields.items()] + list(files or [])


async def report(client: Any, unit_id: int, files: Any = None, **changes: Any) -> Any:
    return await client.post(f"/api/v1/units/{unit_id}/repairs", files=multipart(form(**changes), files),
                             headers={"Accept-Language": "zh-CN"})


async def owner_with_code(unit_id: int, mobile: str = "13900000009", name: str = "业主九") -> tuple[Any, str]:
    """An owner of this home who has never signed in, and the one-time code printed on their notice
    (owners get no password: server/delivery/owner_codes.py); (user, code)."""
    from server.accounts.tables import UnitOwner, User
    from server.delivery import owner_codes

    owner = User(username=mobile, password_hash="", role="owner", display_name=name)
    await owner.save().run()
    await UnitOwner(unit=unit_id, user=owner.id).save().run()
    return owner, await owner_codes.issue(actor=None, user_id=owner.id, unit_id=unit_id)
