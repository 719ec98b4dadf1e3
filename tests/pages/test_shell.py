"""The app shell as a person meets it: sign-in, language, home, navigation, errors."""
from __future__ import annotations

from tests.support import PASSWORD, csrf, make_client


async def test_signed_out_home_redirects_to_login(client):
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_login_page_is_chinese_by_default_and_english_after_switching(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    assert "登录" in page.text
    assert 'name="_csrf_token"' in page.text

    token = await csrf(client)
    switched = await client.post("/language", data={"language": "en", "next": "/login", "_csrf_token": token},
                                 follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    page = await client.get("/login")
    assert 'lang="en"' in page.text
    assert "Sign in" in page.text
    assert "登录" not in page.text


async def test_wrong_password_keeps_the_user_name_and_says_so_in_chinese(client, personas):
    await csrf(client)
    response = await client.post("/login", data={"username": "alice", "password": "not-it", "next": "/"})
    assert response.status_code == 401
    assert 'value="alice"' in response.text
    assert "用户名或密码错误" in response.text


async def test_signing_in_lands_on_the_home_page_with_the_role_and_its_entry_points(personas):
    alice = await personas.browser("alice")
    home = await alice.get("/")
    assert home.status_code == 200
    assert "管理员" in home.text
    for url in ("/admin/projects", "/admin/parties", "/admin/users", "/account"):
        assert f'href="{url}"' in home.text
    # The admin's welcome card counts what there is: the personas' two parties and ten users.
    assert '<span class="app-stat__value num">2</span>' in home.text
    assert '<span class="app-stat__value num">10</span>' in home.text


async def test_an_inspector_sees_no_admin_navigation_and_is_refused_admin_pages(personas):
    ian = await personas.browser("ian")
    home = await ian.get("/")
    assert home.status_code == 200
    assert "/admin/" not in home.text
    for url in ("/admin/projects", "/admin/projects/new", "/admin/parties", "/admin/users"):
        refused = await ian.get(url)
        assert refused.status_code == 403, url
        assert "没有权限" in refused.text
        assert 'href="/"' in refused.text  # a way home


async def test_the_account_page_shows_who_i_am_and_signs_me_out(personas):
    bob = await personas.browser("bob")
    page = await bob.get("/account")
    assert page.status_code == 200
    assert "bob" in page.text
    assert "施工单位" in page.text  # the contractor role
    assert "Builder A" in page.text  # and his party
    out = await bob.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert (await bob.get("/", follow_redirects=False)).status_code == 303


async def test_a_missing_page_says_not_found_with_a_way_home(personas):
    alice = await personas.browser("alice")
    response = await alice.get("/admin/projects/999999")
    assert response.status_code == 404
    assert "返回首页" in response.text


async def test_a_form_post_without_the_csrf_token_is_refused(app, personas):
    async with make_client(app) as browser:
        await csrf(browser)
        await browser.post("/login", data={"username": "alice", "password": PASSWORD, "next": "/",
                                            "_csrf_token": browser.cookies["csrftoken"]})
        del browser.headers["X-CSRFToken"]
        assert (await browser.get("/admin/projects")).status_code == 200  # signed in
        refused = await browser.post("/admin/projects", data={"name": "Forged"})
        assert refused.status_code == 403
        page = await browser.get("/admin/projects")
        assert "Forged" not in page.text


async def test_static_files_are_vendored_not_from_a_cdn(client):
    page = await client.get("/login")
    assert "/static/vendor/weui/weui.min.css" in page.text
    assert "/static/vendor/htmx/htmx.min.js" in page.text
    assert "//cdn" not in page.text and "https://" not in page.text.split("</head>")[0]
    for path in ("/static/vendor/weui/weui.min.css", "/static/vendor/htmx/htmx.min.js", "/static/js/app.js",
                 "/static/css/app.css", "/static/vendor/lucide/house.svg"):
        assert (await client.get(path)).status_code == 200, path


def test_no_role_has_more_than_five_entries_in_the_phone_tab_bar():
    from types import SimpleNamespace

    from server.accounts.tables import ROLES
    from server.web.nav import nav_for

    for role in ROLES:
        tabs = [item for item in nav_for(SimpleNamespace(role=role)) if item["tab"]]
        assert len(tabs) <= 5, (role, [str(t["label"]) for t in tabs])


def test_the_entry_of_the_page_and_of_the_pages_under_it_is_the_current_one():
    from types import SimpleNamespace

    from server.web.nav import nav_for

    def current(role: str, path: str) -> list[str]:
        return [item["url"] for item in nav_for(SimpleNamespace(role=role), {}, path) if item["on"]]

    assert current("cs_staff", "/") == ["/"]
    assert current("cs_staff", "/rechecks") == ["/rechecks"]
    assert current("cs_staff", "/rechecks/defects/5") == ["/rechecks"]
    assert current("cs_staff", "/rechecksx") == []  # a prefix of the word is not the page
    assert current("admin", "/admin/buildings/3") == ["/admin/projects"]  # through the entry's `also`
    assert current("admin", "/admin/projects/new") == ["/admin/projects"]
