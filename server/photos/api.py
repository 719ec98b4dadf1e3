"""Photo endpoints: the JSON API (`/api/v1/...`) and the file route (`/photos/...`).

Files are never public static files: every download goes through
`access.photo_for` (a photo is visible iff its subject is), and is answered
`Cache-Control: private` with an ETag. Keys are never reused and a stored
file never changes, so the ETag (derived from the key) is valid forever.

Browser uploads should send the CSRF token in the `X-CSRFToken` header (htmx
does): without it Litestar's CSRF middleware reads the whole form into memory
to find `_csrf_token`, defeating the streaming upload.
"""
from __future__ import annotations

import hashlib

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.errors import NotFound
from server.i18n import _
from server.photos import access, services
from server.photos.floor_plans import floor_plan_set, unit_type_get
from server.photos.schemas import FloorPlanOut, PhotoOut, floor_plan_out, photo_out
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user, signed_in
from server.web.stored_files import stored_file_response

# Private: a shared cache must not serve one user's photo to another.
# A day is safe because the bytes behind a URL only change from "absent" to
# "present" (display/thumb URLs are only handed out once ready).
CACHE_CONTROL = "private, max-age=86400"


class PhotosApi(Controller):
    path = "/api/v1"
    tags = ["Photos"]

    @get("/photos/{photo_id:int}", guards=[signed_in])
    async def get_photo(self, request: Request, photo_id: int) -> PhotoOut:
        """A photo's processing status, upright size, capture time and file URLs."""
        return photo_out(await access.photo_for(current_user(request), photo_id))

    @post("/unit-types/{unit_type_id:int}/floor-plan", guards=[allow(roles.ADMIN)], status_code=201,
          tags=["Set-up"])
    async def upload_floor_plan(self, request: Request, unit_type_id: int) -> Response[FloorPlanOut]:
        """multipart/form-data: `photo` (JPEG, PNG, WebP or HEIC) and optional `client_id` (UUID).
        201 with the new photo; 200 with the same photo when `client_id` was seen before."""
        await unit_type_get(unit_type_id)  # a 404 before reading megabytes
        with await receive_upload(request) as upload:
            unit_type, recorded = await floor_plan_set(
                actor=current_user(request), unit_type_id=unit_type_id, files=upload.files_for("photo"),
                client_id=upload.field("client_id"))
        return Response(floor_plan_out(unit_type, recorded.photo), status_code=201 if recorded.created else 200)


class PhotoFiles(Controller):
    path = "/photos"
    include_in_schema = False

    # `skip_compression`: JPEGs do not shrink under gzip; it only costs CPU
    # and the Content-Length (takes effect where CompressionConfig has
    # exclude_opt_key="skip_compression").
    @get("/{photo_id:int}/{variant:str}", guards=[signed_in], opt={"skip_compression": True})
    async def photo_file(self, request: Request, photo_id: int, variant: str) -> Response:
        photo = await access.photo_for(current_user(request), photo_id)
        found = services.variant_file(photo, variant)
        if found is None:
            raise NotFound(_("The page or record was not found."))
        key, media_type = found
        etag = '"%s"' % hashlib.sha256(key.encode()).hexdigest()[:32]
        headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(content=b"", status_code=304, headers=headers)
        extension = "jpg" if variant != "original" else services.EXTENSIONS.get(photo.image_format, "bin")
        headers["Content-Disposition"] = f'inline; filename="photo-{photo.id}-{variant}.{extension}"'
        # A page's script that keeps or draws the bytes needs them from this origin: the offline
        # download (fetch(), Sec-Fetch-Dest: empty, refuses a redirected answer) and the markup
        # canvas (`?via=app`: a cross-origin image would taint it). <img> tags get the redirect.
        redirect = (request.headers.get("sec-fetch-dest") != "empty"
                    and request.query_params.get("via") != "app")
        return await stored_file_response(key, media_type=media_type, headers=headers, redirect=redirect)
