"""The tab bar and the home tiles count what waits for the signed-in person,
in a fixed number of queries, and the bar refreshes through htmx."""
import re

from tests.inspections.test_query_counts import QueryCounter
from tests.photos.support import run_worker
from tests.notifications.test_rectified import _defects_to_rectify, _rectify

HTML = {"Accept": "text/html,application/xhtml+xml"}


def badges(html: str) -> dict[str, int]:
    """{entry URL: count} of the tab bar / side menu entries that show a count."""
    nav = html[html.index('<nav class="weui-tabbar app-nav"'):]
    nav = nav[:nav.index("</nav>")]
    found = {}
    for anchor in nav.split("<a ")[1:]:
        count = re.search(r'data-count="(\d+)"', anchor)
        if count:
            found[re.match(r'href="([^"]+)"', anchor).group(1)] = int(count.group(1))
    return found


def tiles(html: str) -> dict[str, int]:
    found = {}
    for tile in html.split('<a class="app-tile" ')[1:]:
        count = re.search(r'data-count="(\d+)"', tile.split("</a>")[0])
        if count:
            found[re.match(r'href="([^"]+)"', tile).group(1)] = int(count.group(1))
    return found


async def _page(personas, name: str, path: str = "/") -> str:
    client = await personas.browser(name)
    r = await client.get(path, headers=HTML)
    assert r.status_code == 200, r.text
    return r.text


async def test_each_role_sees_the_counts_of_its_own_work(personas):
    from workers.settings import WorkerSettings

    ids = await _defects_to_rectify(personas, 3)
    await run_worker(WorkerSettings)  # the contractor's notice reaches its inbox
    await _rectify(personas, ids[:2])
    sam = await personas.api("sam")
    assert (await sam.post(f"/api/v1/defects/{ids[0]}/checks", json={"result": "ok", "note": ""})).status_code == 201

    carol = await _page(personas, "carol")
    # Two rectified to recheck; one unread message per rectified defect.
    assert badges(carol) == {"/rechecks": 2, "/inbox": 2}
    assert tiles(carol) == {"/rechecks": 2, "/inbox": 2}
    assert badges(await _page(personas, "ian", "/inbox")) == {"/rechecks": 2, "/inbox": 2}
    # The supervisor checked one of the two; the project department checked none.
    assert badges(await _page(personas, "sam", "/checks")) == {"/checks": 1, "/inbox": 2}
    assert badges(await _page(personas, "paul")) == {"/checks": 2, "/inbox": 2}
    # The contractor: one defect still to rectify, and its party's unread notice.
    assert badges(await _page(personas, "bob")) == {"/tasks": 1, "/inbox": 1}
    # Another construction unit's contractor, counted by the statement compiled for bob: none of it is his.
    assert badges(await _page(personas, "bert")) == {}
    assert badges(await _page(personas, "petra")) == {}

    # Opening a message marks it read: one fewer on the next page.
    client = await personas.browser("carol")
    from server.notifications.tables import InboxMessage

    first = await InboxMessage.objects().where(InboxMessage.user == personas.user("carol").id).first().run()
    assert (await client.post(f"/inbox/{first.id}/open", follow_redirects=False)).status_code == 303
    assert badges((await client.get("/", headers=HTML)).text) == {"/rechecks": 2, "/inbox": 1}


async def test_brand_and_pr_count_the_announcements_to_publish(personas):
    from tests.delivery.test_announcement import _batch

    batch = await _batch()
    carol = await personas.api("carol")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    assert badges(await _page(personas, "petra")) == {}
    assert (await carol.post(f"/api/v1/announcements/{draft['id']}/approve")).status_code == 200
    page = await _page(personas, "petra")
    assert badges(page) == {"/delivery/announcements": 1, "/inbox": 1}
    listed = await _page(personas, "petra", "/delivery/announcements")
    assert f'href="/delivery/announcements/{draft["id"]}"' in listed
    petra = await personas.api("petra")
    assert (await petra.post(f"/api/v1/announcements/{draft['id']}/publish")).status_code == 200
    assert badges(await _page(personas, "petra")) == {"/inbox": 1}


async def test_the_counts_cost_the_same_queries_for_one_item_or_many(personas, monkeypatch):
    async def count_queries(name: str) -> int:
        client = await personas.browser(name)
        counter = QueryCounter(monkeypatch)
        with_bar = await client.get("/", headers=HTML)
        monkeypatch.undo()
        counter_plain = QueryCounter(monkeypatch)
        plain = await client.get("/", headers={"Accept": "*/*"})  # a script's fetch: no counts
        monkeypatch.undo()
        assert with_bar.status_code == plain.status_code == 200
        assert "data-count" not in plain.text
        return counter.count - counter_plain.count

    ids = await _defects_to_rectify(personas, 12)
    await _rectify(personas, ids[:1])
    few = {name: await count_queries(name) for name in ("carol", "sam", "bob")}
    await _rectify(personas, ids[1:])
    many = {name: await count_queries(name) for name in ("carol", "sam", "bob")}
    # One statement counts them all: carol's five (to recheck, procedures to approve, return visits to call,
    # contact sheets, unread), sam's three (to check, contact sheets, unread), bob's two (to rectify, unread).
    assert few == many == {"carol": 1, "sam": 1, "bob": 1}


async def test_htmx_asks_for_a_fresh_bar_that_keeps_the_current_entry(personas):
    ids = await _defects_to_rectify(personas, 2)
    await _rectify(personas, ids)
    carol = await personas.browser("carol")
    page = (await carol.get("/rechecks", headers=HTML)).text
    assert 'hx-get="/nav?path=/rechecks"' in page
    r = await carol.post(f"/rechecks/defects/{ids[0]}", data={"result": "pass", "note": ""},
                         headers={"HX-Request": "true"})
    assert r.status_code == 200
    bar = await carol.get("/nav?path=/rechecks", headers={"HX-Request": "true"})
    assert bar.status_code == 200 and bar.text.lstrip().startswith('<nav class="weui-tabbar app-nav"')
    assert badges(bar.text) == {"/rechecks": 1, "/inbox": 2}
    assert re.search(r'<a href="/rechecks" class="weui-tabbar__item weui-bar__item_on"', bar.text)
    assert (await carol.get("/nav?path=//evil.example", headers={"HX-Request": "true"})).status_code == 200



async def _unread_messages(user, numbers: range) -> None:
    from server.notifications.tables import InboxMessage

    await InboxMessage.insert(*[InboxMessage(user=user.id, title=f"消息 {n}", dedupe_key=f"badge-{user.id}-{n}")
                                for n in numbers]).run()


async def test_a_count_stops_at_99_plus(personas):
    """Counting stops at 100 rows (waiting.BADGE_BOUND): the badge and the tile say 99+, the screen reader
    "more than 99"; up to 99 the count is exact."""
    carol = personas.user("carol")
    await _unread_messages(carol, range(99))
    page = await _page(personas, "carol", "/")
    assert badges(page) == {"/inbox": 99} and tiles(page) == {"/inbox": 99}
    assert page.count(">99</span>") == 2 and "（99 项待处理）" in page

    await _unread_messages(carol, range(99, 249))
    page = await _page(personas, "carol", "/")
    assert badges(page) == {"/inbox": 100} and tiles(page) == {"/inbox": 100}  # 100: "more than 99"
    assert page.count(">99+</span>") == 2  # the tab bar's badge and the home tile's
    assert "（超过 99 项待处理）" in page and ">249<" not in page
