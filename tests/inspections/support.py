"""Helpers for the inspection tests: a small webhook receiver, a unit ready to inspect."""
from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.photos.images import plain_jpeg


class WebhookReceiver:
    """A local HTTP server that records JSON POSTs, like a WeCom group robot.
    `fail_next` makes it answer 500 that many times first."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append({"path": self.path, "json": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def new_id() -> str:
    return str(uuid.uuid4())


def defect_form(party_id: int, **overrides: Any) -> dict:
    form = {"client_id": new_id(), "room": "客厅", "category": "wall", "severity": "minor",
            "description": "墙面空鼓约 20 cm²", "construction_unit_id": str(party_id), "pin_x": "0.25",
            "pin_y": "0.5"}
    form.update(overrides)
    return form


def photo_files(count: int = 1, name: str = "photos") -> list:
    return [(name, (f"p{i}.jpg", plain_jpeg(color=(40 * i % 255, 100, 60)), "image/jpeg")) for i in range(count)]


async def unit_under_inspection(personas: Any) -> tuple[dict, dict]:
    """A unit, and an inspection of it started by ian; returns (unit, inspection) as JSON."""
    from server.org.services import building_create, project_create, units_bulk_create
    from server.org.tables import Unit

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=2, units_per_floor=2)
    unit = await Unit.objects().where(Unit.building == building.id).order_by(Unit.id).first().run()
    carol = await personas.api("carol")
    inspection = (await carol.post("/api/v1/inspections", json={
        "unit_id": unit.id, "inspector_id": personas.user("ian").id})).json()
    ian = await personas.api("ian")
    started = await ian.post(f"/api/v1/inspections/{inspection['id']}/start")
    assert started.status_code == 200, started.text
    return {"id": unit.id, "building_id": building.id}, started.json()


async def check_all(client: Any, inspection_id: int) -> int:
    """Check every item still unchecked, one "whole room OK" per room, through
    the API as an inspector's phone does; how many items that marked."""
    checklist = await client.get(f"/api/v1/inspections/{inspection_id}/checklist")
    assert checklist.status_code == 200, checklist.text
    marked = 0
    for room in checklist.json()["rooms"]:
        if room["checked"] < room["total"]:
            r = await client.post(f"/api/v1/inspections/{inspection_id}/rooms/{room['id']}/ok")
            assert r.status_code == 200, r.text
            marked += len(r.json()["item_ids"])
    return marked


async def check_all_rooms(inspection: Any, actor: Any = None) -> int:
    """The same through the service, for tests that set up without a client."""
    from server.inspections.checklists import checklist_of, room_ok

    marked = 0
    for room in await checklist_of(inspection):
        marked += len((await room_ok(actor=actor, inspection=inspection, room_id=room["id"]))[1])
    return marked


async def complete(client: Any, inspection_id: int) -> Any:
    """Finish an inspection as an inspector does: every item checked first."""
    await check_all(client, inspection_id)
    return await client.post(f"/api/v1/inspections/{inspection_id}/complete")
