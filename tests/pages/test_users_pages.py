"""An administrator manages accounts: list by role, create, edit, deactivate, reset a password."""
from __future__ import annotations

from server.accounts.tables import User
from tests.support import make_client, login


async def test_the_user_list_filters_by_role_and_shows_the_party(personas):
    alice = await personas.browser("alice")
    everyone = await alice.get("/admin/users")
    assert everyone.status_code == 200
    assert "carol" in everyone.text and "bob" in everyone.text
    contractors = await alice.get("/admin/users?role=contractor", headers={"HX-Request": "true"})
    assert contractors.text.lstrip().startswith('<section id="user-list"')
    assert "bob" in contractors.text and "Builder A" in contractors.text
    assert "carol" not in contractors.text


async def test_admin_creates_an_account_and_a_bad_one_keeps_what_was_typed(personas):
    alice = await personas.browser("alice")
    party = personas.parties["builder_a"]
    bad = await alice.post("/admin/users", data={"username": "zhang", "password": "short", "role": "contractor",
                                                  "party_id": "", "display_name": "张师傅"})
    assert bad.status_code == 400
    assert 'value="zhang"' in bad.text and 'value="张师傅"' in bad.text
    assert 'value="short"' not in bad.text  # a password is never echoed back
    assert "施工单位人员必须属于一个施工单位或维修单位" in bad.text

    good = await alice.post("/admin/users", data={"username": "zhang", "password": "long-enough-1",
                                                   "role": "contractor", "party_id": str(party.id),
                                                   "display_name": "张师傅"}, follow_redirects=False)
    assert good.status_code == 303
    user = await User.objects().get(User.username == "zhang").run()
    assert (user.role, user.party, user.display_name) == ("contractor", party.id, "张师傅")


async def test_admin_deactivates_an_account_and_resets_a_password(app, personas):
    alice = await personas.browser("alice")
    carol = personas.user("carol")
    edit = await alice.get(f"/admin/users/{carol.id}/edit")
    assert edit.status_code == 200 and 'name="is_active"' in edit.text and "checked" in edit.text

    # Unchecked box = deactivated.
    saved = await alice.post(f"/admin/users/{carol.id}", data={"role": "cs_staff", "display_name": "Carol",
                                                               "phone": ""}, follow_redirects=False)
    assert saved.status_code == 303
    assert (await User.objects().get(User.id == carol.id).run()).is_active is False

    short = await alice.post(f"/admin/users/{carol.id}/password", data={"password": "abc"})
    assert short.status_code == 400
    assert "密码至少需要" in short.text

    reset = await alice.post(f"/admin/users/{carol.id}/password", data={"password": "brand-new-pass-7"},
                             follow_redirects=False)
    assert reset.status_code == 303
    await alice.post(f"/admin/users/{carol.id}", data={"role": "cs_staff", "is_active": "1"})
    async with make_client(app) as browser:
        signed_in = await login(browser, "carol", "brand-new-pass-7")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"


async def test_an_admin_cannot_lock_themselves_out(personas):
    alice = await personas.browser("alice")
    me = personas.user("alice")
    response = await alice.post(f"/admin/users/{me.id}", data={"role": "admin"})
    assert response.status_code == 400
    assert "不能停用或降级自己的账号" in response.text
    assert (await User.objects().get(User.id == me.id).run()).is_active is True
