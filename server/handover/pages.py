"""Key handover pages (钥匙交接): the passed units, the handover form (key
steppers, meter readings each with a photo, two signature pads) and the
receipt to show or print.

`services.handover_create` makes the record and holds every rule (a unit that
has not passed is a 409); the page only turns the form into its arguments.
A record is never edited: "correct this record" opens a new form whose record
points at the old one (`corrects_id`). Meter photos are uploaded first, while
the form is being filled in (static/js/followup.js), and referenced by id.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.clock import local_time
from server.errors import Conflict, Invalid, NotFound
from server.handover import services
from server.handover.api import HANDOVER_ROLES, handover_for
from server.handover.schemas import _list
from server.handover.tables import KeyHandover
from server.handover.unit_photos import unit_photos_add
from server.i18n import _
from server.inspections.tables import Defect
from server.org.access import unit_for
from server.org.pages import Form, done, opt_int, page_of, paged_rows
from server.org.tables import Building, Party, Project, Unit, UnitStatus
from server.photos.tables import Photo
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user, signed_in
from server.web.templating import render

CHOICES_LIMIT = 500


def _as_list(value: Any) -> list[str]:
    """A form field that may be sent once or several times."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _count(text: str) -> Any:
    """A stepper's value as a number; anything else goes to the service as typed, which refuses it."""
    try:
        return int(text.strip())
    except ValueError:
        return text


async def _unit_row(unit_id: int) -> dict:
    return await Unit.select(Unit.id, Unit.number, Unit.status, Unit.building.name.as_alias("building"),
                             Unit.building.project.name.as_alias("project")).where(Unit.id == unit_id).first().run()


def _form_from_record(record: KeyHandover) -> dict:
    """A new form filled from a record being corrected (everything but the signatures)."""
    meters = {m["kind"]: m for m in _list(record.meter_readings)}
    form = {"to": record.to, "from_party_id": str(record.from_party or ""), "giver_name": record.giver_name,
            "receiver_name": record.receiver_name, "corrects_id": str(record.id),
            "counts": {k["kind"]: str(k["count"]) for k in _list(record.keys)}}
    for kind, meter in meters.items():
        form[f"meter_{kind}"] = meter["reading"]
        form[f"meter_{kind}_photo"] = str(meter.get("photo_id") or "")
    return form


class HandoverPages(Controller):
    path = "/handover"
    include_in_schema = False

    @get("/", guards=[allow(*HANDOVER_ROLES)])
    async def unit_list(self, request: Request, project: str | None = None, limit: str | None = None,
                        offset: str | None = None) -> Response:
        """Units that have passed inspection, with the handovers they already have."""
        project_id = opt_int(project)
        where = Unit.status == UnitStatus.PASSED
        if project_id:
            where &= Unit.building.is_in(Building.select(Building.id).where(Building.project == project_id))
        units = await paged_rows(
            Unit.select(Unit.id, Unit.number, Unit.building.name.as_alias("building"),
                        Unit.building.project.name.as_alias("project")).where(where).order_by(
                Unit.building).order_by(Unit.floor).order_by(Unit.number),
            Unit.count().where(where), page_of(limit, offset))
        ids = [u["id"] for u in units["rows"]]
        done_to: dict[int, set[str]] = {}
        for row in await KeyHandover.select(KeyHandover.unit, KeyHandover.to).where(
                KeyHandover.unit.is_in(ids or [-1])).run():
            done_to.setdefault(row["unit"], set()).add(row["to"])
        projects = await Project.select(Project.id, Project.name).order_by(Project.name).limit(CHOICES_LIMIT).run()
        return render(request, "handover/units.html", block="list", units=units, done_to=done_to,
                      projects=projects, project_id=project_id)

    @get("/units/{unit_id:int}", guards=[allow(*HANDOVER_ROLES)])
    async def form_page(self, request: Request, unit_id: int, corrects: str | None = None) -> Response:
        user = current_user(request)
        await unit_for(user, unit_id)
        corrected = await handover_for(user, opt_int(corrects) or -1) if corrects else None
        if corrected is not None and corrected.unit != unit_id:
            raise NotFound(_("The page or record was not found."))
        if corrected is not None:
            form = _form_from_record(corrected)
        else:
            received = await KeyHandover.exists().where(
                (KeyHandover.unit == unit_id) & (KeyHandover.to == "cs_center")).run()
            builders = await Defect.select(Defect.construction_unit).where(Defect.unit == unit_id).distinct().run()
            form = {"to": "owner" if received else "cs_center", "counts": {},
                    "from_party_id": str(builders[0]["construction_unit"]) if len(builders) == 1 else ""}
        return await self._form(request, unit_id, form, {})

    async def _form(self, request: Request, unit_id: int, form: dict, errors: dict, message: str | None = None,
                    status_code: int = 200) -> Response:
        parties = await Party.select(Party.id, Party.name).where(Party.kind == "construction_unit").order_by(
            Party.name).limit(CHOICES_LIMIT).run()
        meter_photos = [opt_int(form.get(f"meter_{k}_photo")) for k in services.METER_KINDS]
        ready = {p["id"] for p in await Photo.select(Photo.id).where(
            Photo.id.is_in([i for i in meter_photos if i] or [-1]) & (Photo.status == "ready")).run()}
        return render(request, "handover/form.html", block="form" if status_code != 200 else None,
                      status_code=status_code, unit=await _unit_row(unit_id), kinds=await services.key_kinds(),
                      meter_kinds=services.METER_KINDS, parties=parties, form=form, errors=errors,
                      message=message, ready_photos=ready)

    @post("/units/{unit_id:int}", guards=[allow(*HANDOVER_ROLES)])
    async def create(self, request: Request, unit_id: int, data: Form) -> Response:
        user = current_user(request)
        await unit_for(user, unit_id)
        kinds, counts = _as_list(data.get("key_kind")), _as_list(data.get("key_count"))
        keys = [{"kind": k, "count": _count(c)} for k, c in zip(kinds, counts) if c.strip() not in ("", "0")]
        meters = []
        for kind in services.METER_KINDS:
            reading = str(data.get(f"meter_{kind}") or "").strip()
            photo_id = opt_int(data.get(f"meter_{kind}_photo"))
            if reading or photo_id:
                meters.append({"kind": kind, "reading": reading, "photo_id": photo_id})
        form = {k: str(v) for k, v in data.items() if isinstance(v, str) and k != "_csrf_token"}
        form["counts"] = dict(zip(kinds, counts))
        try:
            record, _created = await services.handover_create(
                actor=user, unit_id=unit_id, to=str(data.get("to") or ""), keys=keys,
                signatures={"giver": data.get("signature_giver"), "receiver": data.get("signature_receiver")},
                from_party_id=opt_int(data.get("from_party_id")), meter_readings=meters,
                giver_name=str(data.get("giver_name") or ""), receiver_name=str(data.get("receiver_name") or ""),
                corrects_id=opt_int(data.get("corrects_id")), client_id=data.get("client_id") or None)
        except Invalid as exc:
            return await self._form(request, unit_id, form, exc.field_errors, exc.message, 400)
        except Conflict as exc:  # not passed yet: say so, keep everything (signatures included)
            return await self._form(request, unit_id, form, {}, exc.message, 409)
        return done(request, f"/handover/{record.id}", _("Key handover recorded."))

    @post("/units/{unit_id:int}/meter-photos", guards=[allow(*HANDOVER_ROLES)])
    async def meter_photo(self, request: Request, unit_id: int) -> dict:
        """multipart: stage (meter_water|meter_electricity|meter_gas), photos, client_id → {"photo_id"}."""
        user = current_user(request)
        await unit_for(user, unit_id)
        with await receive_upload(request) as upload:
            recorded = await unit_photos_add(actor=user, unit_id=unit_id, stage=upload.field("stage") or "",
                                             files=upload.files_for("photos")[:1], client_id=upload.field("client_id"))
        return {"photo_id": recorded[0].photo.id}

    @get("/{handover_id:int}", guards=[signed_in])
    async def receipt(self, request: Request, handover_id: int) -> Response:
        """The receipt: anyone who may see the unit (staff, its owner) may show or print it."""
        user = current_user(request)
        record = await handover_for(user, handover_id)
        return render(request, "handover/receipt.html", **await receipt_context(record),
                      may_correct=user.role in HANDOVER_ROLES)


async def receipt_context(record: KeyHandover) -> dict:
    """What the receipt shows of a record the caller may see (the page and its PDF)."""
    meters = _list(record.meter_readings)
    ready = {p["id"] for p in await Photo.select(Photo.id).where(
        Photo.id.is_in([m["photo_id"] for m in meters if m.get("photo_id")] or [-1])
        & (Photo.status == "ready")).run()}
    later = await KeyHandover.select(KeyHandover.id).where(KeyHandover.corrects == record.id).order_by(
        KeyHandover.id).run()
    party = await Party.objects().get(Party.id == record.from_party).run() if record.from_party else None
    return {"record": record, "unit": await _unit_row(record.unit), "keys": _list(record.keys), "meters": meters,
            "ready_photos": ready, "party": party, "corrected_by": [r["id"] for r in later],
            "intact": await services.handover_verify(record), "when": local_time}


HANDOVER_PAGES = [HandoverPages]
