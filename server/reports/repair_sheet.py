"""The repair completion sheet (维修完工单): a finished repair on one page, to show,
print or get as a PDF through the document pipeline (server/reports/pdf_pages.py).

What it shows, read through the repairs context's own readers: the request (home,
component, place, description, urgency), the warranty decision with its
reasoning, the repair unit, the checks during the repair, the photos before (as
reported) and after (with the completion), the repairer's completion note, and
the owner's sign-off with its signature image and the record's SHA-256, checked
against the stored record as the key handover receipt does.

A sheet exists once the owner has signed a completion: before that (or when the
owner refused) there is nothing to sign off yet and the address answers 404, as a
repair the reader may not see does. Readers: developer-side staff and the owner
(those who may see the signature image); the repair's own check decides the rest.
"""
from __future__ import annotations

from typing import Any

from server.accounts import roles
from server.clock import local_time
from server.errors import NotFound
from server.i18n import _
from server.photos.tables import Photo
from server.repairs import access, selectors, signoff, states
from server.repairs.closing_tables import RepairCompletion, RepairSignoff
from server.repairs.job_reads import job_view
from server.reports.document import Document

READERS = frozenset({*roles.STAFF, roles.OWNER})
PHOTO_MM = 40
"""Printed width of a before or after photo (static/css/reports.css, .report-photos img)."""
SIGNATURE_MM = 85


async def _place(unit_id: int) -> dict:
    from server.org.tables import Unit

    return await Unit.select(Unit.number, Unit.building.name.as_alias("building"),
                             Unit.building.project.name.as_alias("project")).where(Unit.id == unit_id).first().run()


async def _photos(repair_id: int, stage: str) -> list[dict]:
    return await Photo.select(Photo.id, Photo.display_key).where(
        (Photo.subject_type == "repair") & (Photo.subject_id == repair_id) & (Photo.stage == stage)
        & (Photo.status == "ready")).order_by(Photo.id).run()


async def repair_completion(user: Any, repair_id: int) -> Document:
    """The Document of a repair's completion sheet (its latest signed sign-off)."""
    repair = await access.repair_for(user, repair_id)
    record = await RepairSignoff.objects().where(
        (RepairSignoff.repair == repair.id) & (RepairSignoff.outcome == signoff.SIGNED)).order_by(
        RepairSignoff.id, ascending=False).first().run()
    if record is None:
        raise NotFound(_("The page or record was not found."))
    completion = await RepairCompletion.select(
        RepairCompletion.all_columns(), RepairCompletion.created_by.display_name.as_alias("by_name")).where(
        RepairCompletion.id == record.completion).first().run()
    out = await selectors.repair_out(repair)
    job = await job_view(repair.id)
    before, after = await _photos(repair.id, "reported"), await _photos(repair.id, "after")
    images = {f"/photos/{p['id']}/display": [p["display_key"], PHOTO_MM] for p in (*before, *after)
              if p["display_key"]}
    signature_url = f"/api/v1/repair-signoffs/{record.id}/signature"
    if record.signature_key:
        images[signature_url] = [record.signature_key, SIGNATURE_MM]
    place = await _place(repair.unit)
    context = {
        "repair": out, "place": place, "job": job, "completion": completion, "record": record,
        "intact": await signoff.signoff_verify(record), "when": local_time,
        "urgency_label": str(states.URGENCIES.get(repair.urgency, "")) if repair.urgency else "",
        "before": [f"/photos/{p['id']}/display" for p in before if p["display_key"]],
        "after": [f"/photos/{p['id']}/display" for p in after if p["display_key"]],
        "signature_url": signature_url if record.signature_key else None,
        "back": f"/owner/repairs/{repair.id}" if getattr(user, "role", None) == roles.OWNER else f"/repairs/{repair.id}",
    }
    title = _("Repair completion sheet")
    return Document(title=title, filename=f"{title}-{place['number']}-{repair.id}",
                    template="reports/repair_completion.html", context=context, images=images,
                    back=f"/documents/repair-completion/{repair.id}")
