"""Answering a download of a stored file, after the route has checked access.

With a bucket that browsers can reach (STORAGE_URL=s3://...; `serve=redirect`, the
default) the answer is a 302 to a presigned URL valid for a few minutes, carrying the
type, name and caching the app would have sent; the bytes never pass through Python.
Otherwise (local disk, or `serve=stream`) the app streams the file chunk by chunk.
"""
from __future__ import annotations

from litestar import Response
from litestar.response import Redirect, Stream

from server.errors import NotFound
from server.i18n import _
from server.photos.storage import get_storage

REDIRECT_CACHE = "private, max-age=60"
"""A browser may reuse the redirect for a minute: well within the URL's life (at least 120 s)."""


async def stored_file_response(key: str, *, media_type: str, headers: dict[str, str],
                               size: int | None = None, redirect: bool = True) -> Response:
    """The file under `key` as `media_type`, with `headers` (Content-Disposition and
    Cache-Control required); a key with no file is 404. `redirect=False`: streamed even
    from a bucket (a page's script that needs the bytes on its own origin)."""
    storage = get_storage()
    url = None
    if redirect:
        url = await storage.download_url(key, media_type=media_type, disposition=headers["Content-Disposition"],
                                         cache_control=headers["Cache-Control"])
    if url is not None:
        return Redirect(url, status_code=302, headers={"Cache-Control": REDIRECT_CACHE})
    if size is None:
        try:
            size = await storage.size(key)
        except FileNotFoundError:
            raise NotFound(_("The page or record was not found.")) from None
    return Stream(storage.chunks(key), media_type=media_type, headers={**headers, "Content-Length": str(size)})
