"""Admin pages for user accounts: list (by role), create, edit, deactivate, password reset.

Same shape as server/org/pages.py (whose small form helpers this reuses):
POST-redirect-GET with a flash message, the form again with status 400 and
its messages on bad input, lists paged with ?limit=&offset=.
"""
from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles, services
from server.accounts.passwords import MIN_PASSWORD_LENGTH
from server.accounts.tables import ROLES, User
from server.errors import Invalid, NotFound
from server.i18n import _
from server.org.pages import Form, done, opt_int, page_of, paged_rows, typed
from server.org.tables import Party
from server.web.guards import allow
from server.web.templating import render

PARTY_CHOICES_LIMIT = 500


async def _party_choices() -> list[tuple[int, str]]:
    rows = await Party.select(Party.id, Party.name).order_by(Party.name).limit(PARTY_CHOICES_LIMIT).run()
    return [(row["id"], row["name"]) for row in rows]


def _role_choices() -> list[tuple[str, str]]:
    return [(role, str(roles.ROLE_LABELS[role])) for role in ROLES]


async def _get_user(user_id: int) -> User:
    user = await User.objects().get(User.id == user_id).run()
    if user is None:
        raise NotFound(_("The page or record was not found."))
    return user


def _user_form_values(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "phone": user.phone,
            "role": user.role, "party_id": user.party or "", "is_active": user.is_active}


class UserAdminPages(Controller):
    path = "/admin/users"
    guards = [allow(roles.ADMIN)]
    include_in_schema = False

    @get("/")
    async def user_list(self, request: Request, role: str | None = None, limit: str | None = None,
                        offset: str | None = None) -> Response:
        role = role if role in ROLES else None
        where = User.role == role if role else User.id.is_not_null()
        # One query, the party's name joined in (no query per row).
        query = User.select(User.id, User.username, User.display_name, User.role, User.is_active,
                            User.party.name.as_alias("party_name")).where(where).order_by(User.username)
        users = await paged_rows(query, User.count().where(where), page_of(limit, offset))
        return render(request, "accounts/user_list.html", block="list", users=users, role=role,
                      role_choices=_role_choices())

    async def _form(self, request: Request, user: User | None, form: dict, errors: dict,
                    message: str | None = None, status_code: int = 200, block: str | None = None,
                    password_errors: dict | None = None, password_message: str | None = None) -> Response:
        return render(request, "accounts/user_form.html", block=block if status_code == 400 else None,
                      status_code=status_code, edited=user, form=form, errors=errors, message=message,
                      password_errors=password_errors or {}, password_message=password_message,
                      role_choices=_role_choices(), min_password_length=MIN_PASSWORD_LENGTH,
                      party_choices=await _party_choices())

    @get("/new")
    async def user_new(self, request: Request, role: str | None = None) -> Response:
        return await self._form(request, None, {"role": role if role in ROLES else "", "is_active": True}, {})

    @post("/")
    async def user_create(self, request: Request, data: Form) -> Response:
        try:
            user = await services.user_create(
                actor=request.scope["user"], username=data.get("username", ""), password=data.get("password", ""),
                role=data.get("role", ""), party_id=opt_int(data.get("party_id")),
                display_name=data.get("display_name", ""), phone=data.get("phone", ""))
        except Invalid as exc:
            form = typed(data)
            form.pop("password", None)  # never echo a password back into the page
            return await self._form(request, None, form, exc.field_errors, exc.message, 400, block="form")
        return done(request, "/admin/users", _("Account %(username)s created.", username=user.username))

    @get("/{user_id:int}/edit")
    async def user_edit(self, request: Request, user_id: int) -> Response:
        user = await _get_user(user_id)
        return await self._form(request, user, _user_form_values(user), {})

    @post("/{user_id:int}")
    async def user_update(self, request: Request, user_id: int, data: Form) -> Response:
        user = await _get_user(user_id)
        is_active = "is_active" in data
        role = data.get("role", "")
        form = {**typed(data), "username": user.username, "is_active": is_active}
        try:
            await services.user_update(actor=request.scope["user"], user_id=user_id, role=role,
                                       party_id=opt_int(data.get("party_id")),
                                       display_name=data.get("display_name", ""), phone=data.get("phone", ""),
                                       is_active=is_active)
        except Invalid as exc:
            return await self._form(request, user, form, exc.field_errors, exc.message, 400, block="form")
        return done(request, "/admin/users", _("Account %(username)s saved.", username=user.username))

    @post("/{user_id:int}/password")
    async def user_password(self, request: Request, user_id: int, data: Form) -> Response:
        user = await _get_user(user_id)
        password = str(data.get("password", ""))
        try:
            if not password:
                raise Invalid(_("Please correct the marked fields."),
                              field_errors={"password": _("This field is required.")})
            await services.user_update(actor=request.scope["user"], user_id=user_id, password=password)
        except Invalid as exc:
            return await self._form(request, user, _user_form_values(user), {}, None, 400, block="password_form",
                                    password_errors=exc.field_errors, password_message=exc.message)
        return done(request, f"/admin/users/{user_id}/edit",
                    _("New password set for %(username)s. Their devices are signed out.", username=user.username))


ADMIN_PAGES = [UserAdminPages]
