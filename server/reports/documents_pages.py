"""The documents a PDF can be made of, each from the same template and context
as its page (issue 13, "PDF documents"), and who may have it: exactly who may
open that page (the page's role guard, then its object check: a foreign object
is 404).

| kind (URL) | page it comes from | object |
| --- | --- | --- |
| inspection-report | templates/reports/inspection_report.html (/documents/inspection-report/<id>) | inspection |
| rectification-notice | /tasks/notices/<id>/print | notice (one per construction unit) |
| key-handover-receipt | /handover/<id> | key handover record (SHA-256 printed) |
| delivery-confirmation | /delivery/confirmations/<id> | delivery confirmation (SHA-256 printed) |
| settlement-statement | /delivery/units/<id>/statement | unit (SHA-256 of the statement printed) |
| inquiry-summary | /inquiries/summaries/<id> | monthly inquiry summary (its notes and highlights as text) |
| repair-completion | templates/reports/repair_completion.html (/documents/repair-completion/<id>) | repair (server/reports/repair_sheet.py) |

Each builder answers a Document: the template and its context for paper
(templating.render_for_paper: no user, no navigation, no CSRF token, so every
reader gets the same HTML and the same cached PDF), and the images it shows,
{url in the HTML: [storage key, printed width in mm]} (pdf.py fetches only those).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from server.accounts.tables import User
from server.clock import local_time
from server.delivery import access as delivery_access
from server.delivery.day_pages import confirmation_context
from server.delivery.statement import statement_lines, statement_sha256, unit_statement
from server.handover.api import handover_for
from server.handover.pages import receipt_context
from server.i18n import _
from server.inquiries import access as inquiry_access
from server.inquiries import summary as inquiry_summaries
from server.inquiries.summary_pages import summary_context
from server.inspections import access as inspection_access
from server.inspections.pages_common import ATTENDEE_KIND_LABELS, category_label
from server.inspections.rectification_pages import _base
from server.inspections.rectification_reads import notice_view
from server.inspections.selectors import unit_place
from server.inspections.states import DEFECT_STATUS_LABELS, INSPECTION_STATUS_LABELS, SEVERITY_LABELS
from server.inspections.tables import Defect, InspectionAttendee
from server.org.access import unit_for
from server.org.tables import Party, UnitType
from server.photos.tables import Photo
from server.reports import repair_sheet
from server.reports.document import Document

REPORT_PHOTO_MM = 40
"""Printed width of a defect photo in the inspection report (static/css/reports.css)."""
NOTICE_PHOTO_MM = 22
"""Printed width of a notice's photo (static/css/followup.css, .sheet__photos img)."""
PLAN_MM = 120
METER_MM = 20
SIGNATURE_MM = 85


async def _photo_images(ids: list[int], url: Callable[[int], str], mm: float) -> dict[str, list]:
    """The ready photos among `ids`, each at the URL the template uses, from its display variant."""
    rows = await Photo.select(Photo.id, Photo.display_key).where(
        Photo.id.is_in(ids or [-1]) & (Photo.status == "ready")).run()
    return {url(r["id"]): [r["display_key"], mm] for r in rows if r["display_key"]}


# ---------------------------------------------------------------- the unit inspection report

async def inspection_report(user: Any, inspection_id: int) -> Document:
    inspection = await inspection_access.inspection_for(user, inspection_id)
    place = await unit_place(inspection.unit)
    rows = await Defect.select().where(Defect.inspection == inspection.id).order_by(Defect.id).run()
    photos = await Photo.select(Photo.id, Photo.subject_id, Photo.display_key).where(
        (Photo.subject_type == "defect") & Photo.subject_id.is_in([d["id"] for d in rows] or [-1])
        & (Photo.stage == "found") & (Photo.status == "ready")).order_by(Photo.id).run()
    parties = {p["id"]: p["name"] for p in await Party.select(Party.id, Party.name).where(
        Party.id.is_in([d["construction_unit"] for d in rows] or [-1])).run()}
    images = {f"/photos/{p['id']}/display": [p["display_key"], REPORT_PHOTO_MM] for p in photos if p["display_key"]}
    defects = []
    for number, d in enumerate(rows, 1):
        pin = (round(float(d["pin_x"]) * 100, 2), round(float(d["pin_y"]) * 100, 2)) \
            if d["pin_x"] is not None and d["pin_y"] is not None else None
        defects.append({"number": number, "room": d["room"], "category": category_label(d["category"]),
                        "severity": str(SEVERITY_LABELS.get(d["severity"], d["severity"])),
                        "status": str(DEFECT_STATUS_LABELS.get(d["status"], d["status"])),
                        "description": d["description"], "party": parties.get(d["construction_unit"], ""), "pin": pin,
                        "photos": [f"/photos/{p['id']}/display" for p in photos if p["subject_id"] == d["id"]]})
    plan_url = None
    if place.get("unit_type") and any(d["pin"] for d in defects):
        plan = await UnitType.select(UnitType.floor_plan).where(UnitType.id == place["unit_type"]).first().run()
        found = await _photo_images([plan["floor_plan"]] if plan and plan["floor_plan"] else [],
                                    lambda i: f"/photos/{i}/display", PLAN_MM)
        if found:
            plan_url = next(iter(found))
            images.update(found)
    attendees = await InspectionAttendee.select(
        InspectionAttendee.kind, InspectionAttendee.person, InspectionAttendee.party.name.as_alias("party_name"),
    ).where(InspectionAttendee.inspection == inspection.id).order_by(InspectionAttendee.id).run()
    for row in attendees:
        row["kind_label"] = str(ATTENDEE_KIND_LABELS.get(row["kind"], row["kind"]))
    inspector = await User.select(User.display_name, User.username).where(
        User.id == inspection.inspector).first().run() if inspection.inspector else None
    context = {"inspection": inspection, "place": place, "defects": defects, "attendees": attendees,
               "inspector": inspector and (inspector["display_name"] or inspector["username"]),
               "status_label": str(INSPECTION_STATUS_LABELS.get(inspection.status, inspection.status)),
               "plan_url": plan_url, "when": local_time, "back": f"/inspections/{inspection.id}"}
    return Document(title=_("Unit inspection report"), filename=f"{_('Unit inspection report')}-{place.get('number', '')}",
                    template="reports/inspection_report.html", context=context, images=images,
                    back=f"/documents/inspection-report/{inspection.id}")


# ---------------------------------------------------------------- the other documents: their pages' contexts

async def rectification_notice(user: Any, notice_id: int) -> Document:
    notice = await inspection_access.notice_for(user, notice_id)
    view = await notice_view(notice)
    ids = [p.id for found in view["photos"].values() for p in found["found"][:3]]
    images = await _photo_images(ids, lambda i: f"/photos/{i}/thumb", NOTICE_PHOTO_MM)
    return Document(title=_("Rectification notice"), filename=f"{_('Rectification notice')}-{notice.number}",
                    template="rectification/notice_print.html", context={**view, **_base()}, images=images,
                    back=f"/tasks/notices/{notice.id}/print")


async def key_handover_receipt(user: Any, handover_id: int) -> Document:
    record = await handover_for(user, handover_id)
    context = await receipt_context(record)
    images = await _photo_images([m["photo_id"] for m in context["meters"] if m.get("photo_id")],
                                 lambda i: f"/photos/{i}/thumb", METER_MM)
    for side, key in (("giver", record.giver_signature_key), ("receiver", record.receiver_signature_key)):
        images[f"/api/v1/key-handovers/{record.id}/signatures/{side}"] = [key, SIGNATURE_MM]
    return Document(title=_("Key handover receipt"), filename=f"{_('Key handover receipt')}-{record.id}",
                    template="handover/receipt.html", context={**context, "may_correct": False}, images=images,
                    back=f"/handover/{record.id}")


async def delivery_confirmation(user: Any, confirmation_id: int) -> Document:
    record = await delivery_access.confirmation_for(user, confirmation_id)
    images = {f"/api/v1/delivery-confirmations/{record.id}/signature": [record.signature_key, SIGNATURE_MM]}
    return Document(title=_("Delivery confirmation"), filename=f"{_('Delivery confirmation')}-{record.id}",
                    template="delivery/confirmation.html",
                    context={**await confirmation_context(record), "may_correct": False}, images=images,
                    back=f"/delivery/confirmations/{record.id}")


async def settlement_statement(user: Any, unit_id: int) -> Document:
    await unit_for(user, unit_id)
    statement = await unit_statement(unit_id)
    # "Statement made": as of its newest record, so an unchanged statement is the same PDF.
    times = [r["created_at"] for r in (statement.contract, statement.confirmed) if r]
    context = {"s": statement, "lines": statement_lines(statement), "when": local_time,
               "now": max(times) if times else None, "sha256": statement_sha256(statement), "back": ""}
    return Document(title=_("Area settlement statement"),
                    filename=f"{_('Area settlement statement')}-{statement.unit['number']}",
                    template="delivery/statement.html", context=context, back=f"/delivery/units/{unit_id}/statement")


async def inquiry_summary(user: Any, summary_id: int) -> Document:
    summary = await inquiry_summaries.summary_for(summary_id)
    context = await summary_context(summary)
    return Document(title=_("Monthly summary"), filename=f"{_('Monthly summary')}-{summary.month}",
                    template="inquiries/summary_detail.html", context={**context, "errors": {}, "message": None},
                    back=f"/inquiries/summaries/{summary.id}")


@dataclass(frozen=True)
class Kind:
    param: str
    """The path parameter naming the object (as on the page's own route)."""
    roles: frozenset[str] | None
    """The page's role guard (None: anyone signed in; the object check decides)."""
    build: Callable[[Any, int], Awaitable[Document]]


KINDS: dict[str, Kind] = {
    "inspection-report": Kind("inspection_id", frozenset(inspection_access.INSPECTION_READERS), inspection_report),
    "rectification-notice": Kind("notice_id", frozenset(inspection_access.DEFECT_READERS), rectification_notice),
    "key-handover-receipt": Kind("handover_id", None, key_handover_receipt),
    "delivery-confirmation": Kind("confirmation_id", None, delivery_confirmation),
    "settlement-statement": Kind("unit_id", None, settlement_statement),
    "inquiry-summary": Kind("summary_id", frozenset(inquiry_access.CS), inquiry_summary),
    "repair-completion": Kind("repair_id", repair_sheet.READERS, repair_sheet.repair_completion),
}
PAGE_KINDS = ("inspection-report", "repair-completion")
"""Documents whose page is served here too (/documents/<kind>/<id>), not by their context."""
