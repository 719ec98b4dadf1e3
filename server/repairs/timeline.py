"""One record per home (issue 11, point 12): a unit's whole life as one
timeline, newest first — inspections and their defects (recorded, rectified,
rechecked, closed), key handovers, delivery (the signed confirmation, the
registered area behind the settlement, a delivery day recorded for a home
delivered before the software), and repairs (reported, then each status
change from the audit trail, and each return-visit call).

Read only: it reads the other contexts' tables and writes nothing. It takes
many units at once and costs the same ten queries for one event or a
thousand, one home or ten (tests/repairs/test_query_counts.py).

Two audiences (`staff`):
- staff see everything, with who did it, the parties' names, notes and links
  to the records' own pages;
- an owner sees their home's life as it concerns them: the acceptance
  inspection only as its result (the home passed), their own delivery-day
  walk-through with its defects and what became of them, the keys they were
  given, their delivery and their repairs with each status change. Never the
  acceptance inspection's defects, the hand-over of keys between the builder
  and the CS center, notes written by staff, staff names or contractors' names.
  Which homes an owner may see is checked by the page (server/org/access.unit_for).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from server.audit.tables import AuditEntry
from server.clock import day_start
from server.delivery.tables import ConfirmedArea, DeliveryConfirmation
from server.handover.tables import KeyHandover
from server.i18n import _
from server.inspections.states import SEVERITY_LABELS
from server.inspections.tables import Defect, Inspection, Recheck
from server.repairs import states, warranty
from server.repairs.closing_tables import RepairVisit
from server.repairs.tables import RecordedDelivery, RepairRequest

WALKTHROUGH = "delivery_walkthrough"
KINDS = ("inspection", "defect", "keys", "delivery", "repair")
"""An event's kind: its colour and icon in templates/repairs/_timeline.html."""


def _event(unit: int, at: Any, kind: str, title: str, *, detail: str = "", link: str | None = None,
           who: str = "", date_only: bool = False) -> dict:
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        at, date_only = day_start(at), True
    return {"unit": unit, "at": at, "kind": kind, "title": title, "detail": detail, "link": link, "who": who,
            "date_only": date_only}


async def unit_timelines(unit_ids: Iterable[int], *, staff: bool) -> dict[int, list[dict]]:
    """unit id → its events, newest first (an empty list for a unit with none)."""
    ids = sorted(set(unit_ids))
    timelines: dict[int, list[dict]] = {unit: [] for unit in ids}
    if not ids:
        return timelines
    events: list[dict] = []
    events += await _inspections(ids, staff)
    events += await _defects(ids, staff)
    events += await _handovers(ids, staff)
    events += await _delivery(ids, staff)
    events += await _repairs(ids, staff)
    for event in sorted(events, key=lambda e: e["at"], reverse=True):
        timelines[event["unit"]].append(event)
    return timelines


async def unit_timeline(unit_id: int, *, staff: bool) -> list[dict]:
    return (await unit_timelines([unit_id], staff=staff))[unit_id]


async def _inspections(ids: list[int], staff: bool) -> list[dict]:
    events = []
    for row in await Inspection.select(Inspection.id, Inspection.unit, Inspection.kind, Inspection.started_at,
                                       Inspection.completed_at, Inspection.passed_at,
                                       Inspection.inspector.display_name.as_alias("inspector")).where(
            Inspection.unit.is_in(ids)).run():
        walkthrough = row["kind"] == WALKTHROUGH
        link = f"/inspections/{row['id']}" if staff else None
        who = (row["inspector"] or "") if staff else ""
        if staff or walkthrough:
            if row["started_at"]:
                events.append(_event(row["unit"], row["started_at"], "inspection", _(
                    "Delivery walk-through with the owner started") if walkthrough else _("Acceptance inspection started"),
                    link=link, who=who))
            if row["completed_at"]:
                events.append(_event(row["unit"], row["completed_at"], "inspection", _(
                    "Delivery walk-through finished") if walkthrough else _("Acceptance inspection finished"),
                    link=link, who=who))
        if row["passed_at"] and not walkthrough:
            events.append(_event(row["unit"], row["passed_at"], "inspection",
                                 _("The home passed the acceptance inspection"), link=link, who=who))
    return events


async def _defects(ids: list[int], staff: bool) -> list[dict]:
    where = Defect.unit.is_in(ids)
    if not staff:
        where &= Defect.inspection.kind == WALKTHROUGH
    events = []
    defects = {}
    for row in await Defect.select(Defect.id, Defect.unit, Defect.room, Defect.description, Defect.severity,
                                   Defect.created_at, Defect.rectified_at, Defect.rectify_note, Defect.closed_at,
                                   Defect.construction_unit.name.as_alias("party")).where(where).run():
        defects[row["id"]] = row
        what = " · ".join(p for p in (row["room"], row["description"]) if p)
        link = f"/inspections/defects/{row['id']}" if staff else None
        events.append(_event(row["unit"], row["created_at"], "defect", _("Defect recorded"), link=link, detail=(
            f"{what} · {SEVERITY_LABELS.get(row['severity'], row['severity'])} · {row['party']}" if staff else what)))
        if row["rectified_at"]:
            events.append(_event(row["unit"], row["rectified_at"], "defect", _("Defect rectified"), link=link,
                                 detail=" · ".join(p for p in (what, row["rectify_note"] if staff else "") if p),
                                 who=row["party"] if staff else ""))
        if row["closed_at"]:
            events.append(_event(row["unit"], row["closed_at"], "defect", _("Defect closed"), link=link, detail=what))
    # Through the defects' ids (the recheck.defect index), not a join filtered on the defect's unit (a scan).
    recheck_where = Recheck.defect.is_in(Defect.select(Defect.id).where(where))
    for row in await Recheck.select(Recheck.defect, Recheck.result, Recheck.note, Recheck.created_at,
                                    Recheck.defect.unit.as_alias("unit"), Recheck.defect.room.as_alias("room"),
                                    Recheck.defect.description.as_alias("description"),
                                    Recheck.by.display_name.as_alias("by")).where(recheck_where).run():
        what = " · ".join(p for p in (row["room"], row["description"]) if p)
        passed = row["result"] == "pass"
        events.append(_event(
            row["unit"], row["created_at"], "defect",
            _("Recheck passed") if passed else _("Recheck failed, sent back for rectification"),
            detail=" · ".join(p for p in (what, row["note"] if staff else "") if p),
            link=f"/inspections/defects/{row['defect']}" if staff else None, who=(row["by"] or "") if staff else ""))
    return events


async def _handovers(ids: list[int], staff: bool) -> list[dict]:
    where = KeyHandover.unit.is_in(ids)
    if not staff:
        where &= KeyHandover.to == "owner"
    events = []
    for row in await KeyHandover.select(KeyHandover.id, KeyHandover.unit, KeyHandover.to, KeyHandover.keys,
                                        KeyHandover.corrects, KeyHandover.giver_name, KeyHandover.receiver_name,
                                        KeyHandover.created_at,
                                        KeyHandover.from_party.name.as_alias("party")).where(where).run():
        to_owner = row["to"] == "owner"
        title = _("Keys handed to the owner") if to_owner else _("Keys handed to the CS center")
        if row["corrects"]:
            title = _("%(what)s (corrected record)", what=title)
        keys = row["keys"]
        if isinstance(keys, str):
            keys = json.loads(keys or "[]")
        count = sum(int(k.get("count") or 0) for k in keys or [])
        detail = _("%(n)s keys", n=count)
        who = " → ".join(p for p in (row["party"] or row["giver_name"], row["receiver_name"]) if p) if staff else ""
        events.append(_event(row["unit"], row["created_at"], "keys", title, detail=detail, who=who,
                             link=f"/handover/{row['id']}"))
    return events


async def _delivery(ids: list[int], staff: bool) -> list[dict]:
    events = []
    for row in await DeliveryConfirmation.select(
            DeliveryConfirmation.id, DeliveryConfirmation.unit, DeliveryConfirmation.owner_name,
            DeliveryConfirmation.corrects, DeliveryConfirmation.created_at).where(
            DeliveryConfirmation.unit.is_in(ids)).run():
        title = _("Delivery confirmed and signed by the owner")
        if row["corrects"]:
            title = _("%(what)s (corrected record)", what=title)
        events.append(_event(row["unit"], row["created_at"], "delivery", title, who=row["owner_name"],
                             link=f"/delivery/confirmations/{row['id']}"))
    for row in await ConfirmedArea.select(ConfirmedArea.unit, ConfirmedArea.registered_area,
                                          ConfirmedArea.created_at).where(ConfirmedArea.unit.is_in(ids)).run():
        events.append(_event(row["unit"], row["created_at"], "delivery",
                             _("Registered area recorded for the settlement"),
                             detail=_("%(area)s m²", area=row["registered_area"]),
                             link=f"/delivery/units/{row['unit']}/statement"))
    for row in await RecordedDelivery.select(RecordedDelivery.unit, RecordedDelivery.delivered_on).where(
            RecordedDelivery.unit.is_in(ids)).run():
        events.append(_event(row["unit"], row["delivered_on"], "delivery",
                             _("Delivered (recorded for a home delivered before this system)")))
    return events


async def _repairs(ids: list[int], staff: bool) -> list[dict]:
    repairs = {row["id"]: row for row in await RepairRequest.select(
        RepairRequest.id, RepairRequest.unit, RepairRequest.component, RepairRequest.location,
        RepairRequest.created_at, RepairRequest.channel).where(RepairRequest.unit.is_in(ids)).run()}
    events = []

    def link(repair_id: int) -> str:
        return f"/repairs/{repair_id}" if staff else f"/owner/repairs/{repair_id}"

    def what(row: dict) -> str:
        label = str(warranty.COMPONENT_LABELS.get(row["component"], row["component"]))
        return " · ".join(p for p in (label, row["location"]) if p)

    for row in repairs.values():
        events.append(_event(row["unit"], row["created_at"], "repair", _("Repair reported"), detail=what(row),
                             link=link(row["id"]),
                             who=str(states.CHANNELS.get(row["channel"], row["channel"])) if staff else ""))
    if not repairs:
        return events
    for row in await RepairVisit.select(RepairVisit.repair, RepairVisit.reached, RepairVisit.satisfaction,
                                        RepairVisit.comment, RepairVisit.created_at,
                                        RepairVisit.created_by.display_name.as_alias("by")).where(
            RepairVisit.repair.is_in(list(repairs))).run():
        repair = repairs[row["repair"]]
        if not row["reached"]:
            title = _("Return visit call: the owner was not reached")
        else:
            title = _("Return visit call: satisfaction %(n)s of 5", n=row["satisfaction"])
        events.append(_event(repair["unit"], row["created_at"], "repair", title, link=link(repair["id"]),
                             detail=" · ".join(p for p in (what(repair), row["comment"] if staff else "") if p),
                             who=(row["by"] or "") if staff else ""))
    for row in await AuditEntry.select(AuditEntry.object_id, AuditEntry.at, AuditEntry.action, AuditEntry.to_state,
                                       AuditEntry.actor_name).where(
            (AuditEntry.object_type == "repair") & AuditEntry.object_id.is_in([str(i) for i in repairs])
            & AuditEntry.to_state.is_not_null() & (AuditEntry.action != "report")).run():
        repair = repairs[int(row["object_id"])]
        label = states.STATUS_LABELS.get(row["to_state"])
        if label is None:
            continue
        events.append(_event(repair["unit"], row["at"], "repair", _("Repair: %(status)s", status=str(label)),
                             detail=what(repair), link=link(repair["id"]), who=row["actor_name"] if staff else ""))
    return events
