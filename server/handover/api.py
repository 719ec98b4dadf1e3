"""JSON API: key handovers, key kinds, and unit photos (meter readings)."""
from __future__ import annotations


import msgspec
from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.errors import NotFound
from server.handover import services
from server.handover.schemas import HandoverIn, HandoverOut, handover_out
from server.handover.selectors import handovers_of_unit
from server.handover.tables import KeyHandover
from server.handover.unit_photos import unit_photos_add
from server.i18n import _
from server.org.access import unit_for
from server.photos.schemas import photo_out
from server.photos.storage import read_bytes
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user, signed_in

HANDOVER_ROLES = tuple(sorted(roles.HANDOVER))
METER_STAGES = ("meter_water", "meter_electricity", "meter_gas")


async def handover_for(user, handover_id: int) -> KeyHandover:
    record = await KeyHandover.objects().get(KeyHandover.id == handover_id).run()
    if record is None:
        raise NotFound(_("The page or record was not found."))
    await unit_for(user, record.unit)  # 404 unless the caller may see the unit
    return record


class HandoverApi(Controller):
    path = "/api/v1"
    tags = ["Key handover"]

    @post("/units/{unit_id:int}/key-handovers", guards=[allow(*HANDOVER_ROLES)], status_code=201)
    async def create(self, request: Request, unit_id: int, data: HandoverIn) -> Response[HandoverOut]:
        """409 while the unit has not passed inspection. A repeat client_id answers the first record (200)."""
        user = current_user(request)
        await unit_for(user, unit_id)
        record, created = await services.handover_create(
            actor=user, unit_id=unit_id, to=data.to, keys=data.keys, signatures=data.signatures,
            from_party_id=data.from_party_id, meter_readings=data.meter_readings, giver_name=data.giver_name,
            receiver_name=data.receiver_name, corrects_id=data.corrects_id, client_id=data.client_id)
        return Response(handover_out(record), status_code=201 if created else 200)

    @get("/units/{unit_id:int}/key-handovers", guards=[signed_in])
    async def list_for_unit(self, request: Request, unit_id: int) -> dict:
        await unit_for(current_user(request), unit_id)
        items = await handovers_of_unit(unit_id)
        return {"items": items, "total": len(items)}

    @get("/key-handovers/{handover_id:int}", guards=[signed_in])
    async def get_one(self, request: Request, handover_id: int) -> dict:
        record = await handover_for(current_user(request), handover_id)
        return {**msgspec.to_builtins(handover_out(record)), "intact": await services.handover_verify(record)}

    @get("/key-handovers/{handover_id:int}/signatures/{side:str}", guards=[signed_in], include_in_schema=False)
    async def signature(self, request: Request, handover_id: int, side: str) -> Response:
        record = await handover_for(current_user(request), handover_id)
        if side not in ("giver", "receiver"):
            raise NotFound(_("The page or record was not found."))
        key = record.giver_signature_key if side == "giver" else record.receiver_signature_key
        data = await read_bytes(key)
        return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    @get("/key-kinds", guards=[signed_in])
    async def list_key_kinds(self) -> dict:
        kinds = await services.key_kinds()
        return {"items": kinds, "total": len(kinds)}

    @post("/key-kinds", guards=[allow(roles.ADMIN)], status_code=201)
    async def add_key_kind(self, request: Request, data: dict) -> dict:
        kind = await services.key_kind_add(actor=current_user(request), name=str(data.get("name", "")))
        return {"id": kind.id, "name": kind.name}

    @post("/units/{unit_id:int}/photos", guards=[allow(*HANDOVER_ROLES)], status_code=201)
    async def unit_photo(self, request: Request, unit_id: int) -> Response[dict]:
        """multipart: stage (meter_water|meter_electricity|meter_gas), photos, client_id."""
        user = current_user(request)
        await unit_for(user, unit_id)
        with await receive_upload(request) as upload:
            recorded = await unit_photos_add(actor=user, unit_id=unit_id, stage=upload.field("stage") or "",
                                             files=upload.files_for("photos"), client_id=upload.field("client_id"))
        created = any(r.created for r in recorded)
        return Response({"photos": [msgspec.to_builtins(photo_out(r.photo)) for r in recorded]},
                        status_code=201 if created else 200)
