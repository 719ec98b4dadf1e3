""""Download for offline": what a phone needs to work a unit without signal.

The bundle answers the inspector's question "what will I have on site?" and
lists the URLs the page script stores in the browser's `offline-data` cache
(static/js/offline.js), which the service worker serves from only when the
network fails: the unit page, the capture page, the floor plan and the
thumbnails of the defects already recorded. Checklist, defects and parties
come as data too, so the page can say what was downloaded.

Access as for working the inspection (`access.inspection_to_work`): an
inspector only their own; anything else is a 404.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.inspections import services
from server.inspections.selectors import floor_plan_state, parties_of_kinds, photos_by_subject, unit_place
from server.inspections.tables import Defect, Inspection

MAX_DEFECTS = 500
"""A unit with more defects than this has bigger problems than offline thumbnails."""


async def offline_bundle(inspection: Inspection) -> dict[str, Any]:
    place = await unit_place(inspection.unit)
    rooms = await services.checklist_of(inspection)
    rows = await Defect.select(Defect.id, Defect.client_id, Defect.room, Defect.category, Defect.severity,
                               Defect.description, Defect.status).where(
        Defect.inspection == inspection.id).order_by(Defect.id, ascending=False).limit(MAX_DEFECTS).run()
    photos = await photos_by_subject("defect", [r["id"] for r in rows])
    defects = []
    for row in rows:
        thumbs = [p.urls.thumb for p in photos.get(row["id"], []) if p.urls.thumb]
        defects.append({**row, "client_id": str(row["client_id"]) if row["client_id"] else None, "thumbs": thumbs})
    plan = await floor_plan_state(place.get("unit_type"))
    parties = await parties_of_kinds(["construction_unit"])
    base = f"/inspections/{inspection.id}"
    pages = [base]
    if inspection.status == "in_progress":
        pages.append(f"{base}/defects/new")
    assets = ([plan["url"]] if plan.get("url") else []) + [url for d in defects for url in d["thumbs"]]
    return {
        "inspection_id": inspection.id, "status": inspection.status,
        "unit": {"id": place.get("id"), "number": place.get("number"), "building": place.get("building_name"),
                 "project": place.get("project_name")},
        "downloaded_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "checklist": [{"name": r["name"], "items": [{"id": i["id"], "title": i["title"], "category": i["category"],
                                                     "result": i["result"]} for i in r["items"]]} for r in rooms],
        "defects": defects,
        "parties": [{"id": p["id"], "name": p["name"]} for p in parties],
        "floor_plan": plan.get("url"),
        "pages": pages,
        "assets": assets,
    }
