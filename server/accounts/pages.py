"""Sign-in, sign-out, language switch and the signed-in user's own page."""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from server.accounts import roles, services
from server.accounts.tables import User
from server.errors import TooManyAttempts, Unauthenticated
from server.i18n import LOCALES, _
from server.org.tables import Party, Project
from server.settings import get_settings
from server.web.flash import flash
from server.web.guards import signed_in
from server.web.middleware import LANGUAGE_COOKIE, SESSION_COOKIE, client_address
from server.web.templating import render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@get("/login", name="login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "accounts/login.html", next=_safe_next(next), form={}, error=None)


@post("/login", status_code=303)
async def login_submit(request: Request, data: Form) -> Response:
    username = str(data.get("username", ""))
    target = _safe_next(data.get("next"))
    try:
        user = await services.authenticate(username, str(data.get("password", "")), client_address(request.scope))
    except (Unauthenticated, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return render(request, "accounts/login.html", status_code=status, next=target,
                      form={"username": username}, error=exc.message)
    # A brand-new session id at every sign-in; the old one (if any) is ended.
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await services.session_delete(old)
    raw = await services.session_create(user, client_address(request.scope), request.headers.get("user-agent", ""))
    response = Redirect(path=target, status_code=303)
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", path="/",
                        max_age=get_settings().session_days * 86400)
    return response


@post("/logout", status_code=303)
async def logout(request: Request) -> Response:
    user = request.scope.get("user")
    if user is not None:  # every session and token of the account, not only this browser's
        await services.sign_out_everywhere(user)
    response = Redirect(path="/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return flash(response, _("You have signed out on all your devices."))


@post("/language", status_code=303)
async def switch_language(request: Request, data: Form) -> Response:
    language = data.get("language")
    response = Redirect(path=_safe_next(data.get("next") or request.headers.get("referer") and
                                        urlparse(request.headers["referer"]).path), status_code=303)
    if language in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")
    return response


@get("/account", guards=[signed_in])
async def account_page(request: Request) -> Response:
    user = request.scope["user"]
    party = await Party.objects().get(Party.id == user.party).run() if user.party else None
    return render(request, "accounts/account.html", party=party)


@get("/", name="home")
async def home(request: Request) -> Response:
    user = request.scope.get("user")
    if user is None:
        return Redirect(path="/login", status_code=303)
    if user.role == roles.OWNER:  # an owner's whole app is their homes
        return Redirect(path="/owner", status_code=303)
    counts = None
    if user.role == roles.ADMIN:
        counts = {"projects": await Project.count().run(), "parties": await Party.count().run(),
                  "users": await User.count().run()}
    return render(request, "home.html", counts=counts)


PAGES = [login_page, login_submit, logout, switch_language, account_page, home]
