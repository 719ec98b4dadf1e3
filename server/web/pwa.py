"""The installable web app: manifest, service worker and offline page.

The service worker is served from /sw.js, not /static/, or its scope would
be /static/ and it would control no page. Its VERSION is a hash of the shell
files, so changing any of them makes browsers install the new worker and
drop the old cache.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from litestar import Request, Response, get

from server.accounts import roles
from server.i18n import _
from server.web.guards import allow
from server.web.snippets import STATIC_DIR, static_url
from server.web.templating import render

# The app shell: what a phone needs to open the app at all without signal.
# The outbox and the capture page's own files are part of it: a defect can be
# recorded on a downloaded unit page with no signal at all.
SHELL_FILES = [
    "vendor/weui/weui.min.css", "css/app.css", "vendor/htmx/htmx.min.js", "js/app.js",
    "js/outbox.js", "js/offline.js", "css/inspections.css", "js/capture.js",
    "img/icons/icon-192.png", "img/icons/icon-512.png",
    *sorted(f"vendor/lucide/{p.name}" for p in (STATIC_DIR / "vendor" / "lucide").glob("*.svg")),
]
ICONS = [
    {"src": "/static/img/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "/static/img/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "/static/img/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
     "purpose": "maskable"},
]
THEME_COLOR = "#067d3b"


@lru_cache(maxsize=1)
def _service_worker() -> str:
    shell = [static_url(path) for path in SHELL_FILES] + ["/offline"]
    version = hashlib.sha256("|".join(shell).encode()).hexdigest()[:12]
    source = (STATIC_DIR / "js" / "sw.js").read_text()
    return (source.replace("__VERSION__", version).replace("__SHELL__", json.dumps(shell))
            .replace("__OUTBOX__", json.dumps(static_url("js/outbox.js"))))


@get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    return Response(_service_worker(), media_type="text/javascript", headers={
        "Service-Worker-Allowed": "/", "Cache-Control": "no-cache"})


@get("/manifest.webmanifest", include_in_schema=False)
async def manifest() -> Response:
    body = {
        "name": _("Customer Service Center"), "short_name": _("CS Center"), "lang": "zh-CN",
        "start_url": "/", "scope": "/", "display": "standalone", "orientation": "portrait",
        "theme_color": THEME_COLOR, "background_color": "#ededed", "icons": ICONS,
    }
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links; the pages link it too."""
    return Response(_favicon(), media_type="image/vnd.microsoft.icon",
                    headers={"Cache-Control": "public, max-age=86400"})


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    return (STATIC_DIR / "img" / "icons" / "favicon.ico").read_bytes()


@get("/offline", include_in_schema=False)
async def offline(request: Request) -> Response:
    """Shown by the service worker when a page cannot be reached. Cached with the
    shell, so it is rendered signed out and must not name the user."""
    request.scope["user"] = None
    return render(request, "offline.html")


@get("/offline/session", include_in_schema=False)
async def offline_session(request: Request) -> Response:
    """Asked by the outbox before it uploads (static/js/outbox.js), from a page
    or the service worker: who is signed in, and a CSRF token that matches
    the browser's cookie now (a page served from the offline cache carries
    an old one). Never cached."""
    from litestar.utils.scope.state import ScopeState

    user = request.scope.get("user")
    body = {"signed_in": user is not None, "user_id": getattr(user, "id", None),
            "csrf_token": ScopeState.from_scope(request.scope).csrf_token or ""}
    return Response(body, headers={"Cache-Control": "no-store"})


@get("/offline/import", guards=[allow(roles.CS_STAFF, roles.ADMIN)], include_in_schema=False)
async def outbox_import(request: Request) -> Response:
    """CS staff take in the file a phone exported from its outbox (static/js/outbox.js,
    exportFile): its records go into this browser's outbox and are sent from here, step
    by step as from the phone, deduplicated by their client_ids (static/js/outbox_import.js)."""
    return render(request, "offline_import.html")


PWA_ROUTES = [service_worker, manifest, favicon, offline, offline_session, outbox_import]
