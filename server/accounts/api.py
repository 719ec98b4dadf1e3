"""JSON API: tokens, users, unit owners."""
from __future__ import annotations

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter

from server.accounts import roles, services
from server.accounts import schemas as s
from server.accounts.tables import User
from server.errors import NotFound
from server.i18n import _
from server.pagination import Page
from server.web.guards import allow, signed_in
from server.web.middleware import client_address

admin_only = [allow(roles.ADMIN)]


class AuthApi(Controller):
    path = "/api/v1/auth"
    tags = ["Auth"]

    @post("/token", status_code=200)
    async def issue_token(self, request: Request, data: s.TokenIn) -> s.TokenOut:
        user = await services.authenticate(data.username, data.password, client_address(request.scope))
        return s.TokenOut(token=await services.token_create(user), user=s.user_out(user))

    @delete("/token", guards=[signed_in], status_code=204)
    async def revoke_token(self, request: Request) -> None:
        """Signing out: every token and browser session of the account ends, not only this token."""
        await services.sign_out_everywhere(request.scope["user"])

    @get("/me", guards=[signed_in])
    async def me(self, request: Request) -> s.UserOut:
        return s.user_out(request.scope["user"])


class UsersApi(Controller):
    path = "/api/v1"
    tags = ["Set-up"]

    @post("/users", guards=admin_only, status_code=201)
    async def create_user(self, request: Request, data: s.UserIn) -> s.UserOut:
        user = await services.user_create(actor=request.scope["user"], username=data.username,
                                          password=data.password, role=data.role, party_id=data.party_id,
                                          display_name=data.display_name, phone=data.phone)
        return s.user_out(user)

    @get("/users", guards=admin_only)
    async def list_users(self, role: str | None = None,
                         limit: int | None = Parameter(default=None, required=False),
                         offset: int | None = Parameter(default=None, required=False)) -> dict:
        page = Page.of(limit, offset)
        where = User.id.is_not_null() if not role else (User.role == role)
        rows = await User.objects().where(where).order_by(User.id).limit(page.limit).offset(page.offset).run()
        return {"items": [s.user_out(r) for r in rows], "total": await User.count().where(where).run()}

    @get("/users/{user_id:int}", guards=admin_only)
    async def get_user(self, user_id: int) -> s.UserOut:
        user = await User.objects().get(User.id == user_id).run()
        if user is None:
            raise NotFound(_("The page or record was not found."))
        return s.user_out(user)

    @patch("/users/{user_id:int}", guards=admin_only)
    async def update_user(self, request: Request, user_id: int, data: s.UserPatch) -> s.UserOut:
        user = await services.user_update(actor=request.scope["user"], user_id=user_id,
                                          **{k: getattr(data, k) for k in data.__struct_fields__})
        return s.user_out(user)

    @post("/units/{unit_id:int}/owners", guards=admin_only, status_code=201)
    async def add_owner(self, request: Request, unit_id: int, data: s.OwnerIn) -> dict:
        return await services.unit_owner_add(actor=request.scope["user"], unit_id=unit_id, user_id=data.user_id)
