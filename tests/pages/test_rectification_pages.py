"""Rectification in the browser: the contractor's tasks, the password-free
notice link, the notice with its deliveries, checks, rechecks and the inbox.

Assertions on page text are in English (the language switch), so they hold
before and after the Chinese catalog has these strings.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from server.audit.tables import AuditEntry
from server.inspections.notices import notice_link_token
from server.inspections.tables import Defect, DefectCheck, NoticeDelivery, RectificationNotice
from server.notifications.tables import InboxMessage
from server.org.tables import Party
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection
from tests.support import csrf, make_client

EMPTY_FILE = [("photos", ("", b"", "application/octet-stream"))]  # what a browser sends for "no file chosen"


def with_pages(app):
    """Add these pages to an app that does not have them yet (until server/app.py registers them)."""
    from server.handover.pages import HANDOVER_PAGES
    from server.inspections.rectification_pages import RECTIFICATION_PAGES
    from server.notifications.pages import INBOX_PAGES

    paths = {route.path for route in app.routes}
    for handlers, probe in ((RECTIFICATION_PAGES, "/tasks"), (HANDOVER_PAGES, "/handover"), (INBOX_PAGES, "/inbox")):
        if probe not in paths:
            for handler in handlers:
                app.register(handler)
    return app


@pytest.fixture(scope="module")
def app(migrated_db):
    from server.app import create_app

    return with_pages(create_app())


async def english(client):
    token = await csrf(client)
    await client.post("/language", data={"language": "en", "next": "/", "_csrf_token": token})
    return client


async def notices(personas, *, webhook: str = "") -> dict:
    """An inspection of one unit finished with one defect for Builder A and one for Builder B."""
    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    if webhook:
        await Party.update({Party.webhook_url: webhook}).where(Party.id == a).run()
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    base = f"/api/v1/inspections/{inspection['id']}"
    mine = (await ian.post(f"{base}/defects", data=defect_form(a, description="墙面空鼓 A"), files=photo_files(1))).json()
    theirs = (await ian.post(f"{base}/defects", data=defect_form(b, description="地面裂缝 B"), files=photo_files(1))).json()
    done = await complete(ian, inspection["id"])
    assert done.status_code == 200, done.text
    notice_a = await RectificationNotice.objects().get(RectificationNotice.party == a).run()
    notice_b = await RectificationNotice.objects().get(RectificationNotice.party == b).run()
    return {"unit": unit, "mine": mine["id"], "theirs": theirs["id"], "notice": notice_a, "other_notice": notice_b}


async def rectify(client, url: str, **extra):
    return await client.post(url, data={"note": "已重新批荡"}, files=photo_files(1), follow_redirects=False, **extra)


# ---------------------------------------------------------------- the contractor's tasks

async def test_a_contractor_sees_only_its_own_tasks_and_a_foreign_defect_is_a_404(personas):
    made = await notices(personas)
    bob = await english(await personas.browser("bob"))
    tasks = await bob.get("/tasks")
    assert tasks.status_code == 200
    assert "墙面空鼓 A" in tasks.text and "地面裂缝 B" not in tasks.text
    assert f'href="/tasks/defects/{made["mine"]}"' in tasks.text
    assert (await bob.get(f"/tasks/defects/{made['theirs']}")).status_code == 404
    assert (await rectify(bob, f"/tasks/defects/{made['theirs']}/rectify")).status_code == 404
    page = await bob.get(f"/tasks/defects/{made['mine']}")
    assert page.status_code == 200 and "Upload rectification photos" in page.text
    assert (await (await personas.browser("carol")).get("/tasks")).status_code == 403


async def another_unit_with_a_defect(personas, building_id: int, description: str) -> int:
    from server.org.tables import Unit

    unit = await Unit.objects().where(Unit.building == building_id).order_by(Unit.id, ascending=False).first().run()
    carol, ian = await personas.api("carol"), await personas.api("ian")
    inspection = (await carol.post("/api/v1/inspections", json={"unit_id": unit.id})).json()
    await ian.post(f"/api/v1/inspections/{inspection['id']}/start")
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                             data=defect_form(personas.parties["builder_a"].id, description=description),
                             files=photo_files(1))).json()
    assert (await complete(ian, inspection["id"])).status_code == 200
    return defect["id"]


async def test_overdue_work_comes_first_in_red_with_the_days_late(personas):
    made = await notices(personas)
    later = await another_unit_with_a_defect(personas, made["unit"]["building_id"], "门框松动 C")
    now = dt.datetime.now(dt.timezone.utc)
    await Defect.update({Defect.deadline: now + dt.timedelta(days=5)}).where(Defect.id == made["mine"]).run()
    await Defect.update({Defect.deadline: now - dt.timedelta(days=3, hours=2)}).where(Defect.id == later).run()
    bob = await english(await personas.browser("bob"))
    page = await bob.get("/tasks")
    assert page.text.index("门框松动 C") < page.text.index("墙面空鼓 A")  # the unit with overdue work first
    assert "3 days overdue" in page.text and "task_late" in page.text and "5 days left" in page.text
    only_late = await bob.get("/tasks?overdue=1")
    assert "门框松动 C" in only_late.text and "墙面空鼓 A" not in only_late.text
    htmx = await bob.get("/tasks?status=all", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "<html" not in htmx.text and 'id="task-list"' in htmx.text


async def test_the_project_filter_lists_the_projects_a_contractor_has_notices_in(personas):
    from server.inspections.tables import PartyProject
    from server.org.services import building_create, project_create, units_bulk_create

    made = await notices(personas)  # 阳光花园: builders A and B
    await another_unit_with_a_defect(personas, made["unit"]["building_id"], "门框松动 C")  # A again: no new row
    second = await project_create(actor=None, name="滨江一号")
    building = await building_create(actor=None, project_id=second.id, name="5号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=1)
    await another_unit_with_a_defect(personas, building.id, "窗框渗水 D")  # A in the second project
    a, b = personas.parties["builder_a"].id, personas.parties["builder_b"].id
    rows = await PartyProject.select(PartyProject.party, PartyProject.project.name.as_alias("name")).run()
    assert sorted((r["party"], r["name"]) for r in rows) == sorted([(a, "阳光花园"), (b, "阳光花园"), (a, "滨江一号")])
    bob = await personas.browser("bob")
    page = (await bob.get("/tasks")).text
    options = page[page.index('id="f-project"'):page.index("</select>", page.index('id="f-project"'))]
    assert options.index("滨江一号") < options.index("阳光花园")  # by name
    assert f'<option value="{second.id}">滨江一号</option>' in options
    bert_page = (await (await personas.browser("bert")).get("/tasks")).text
    assert "滨江一号" not in bert_page and "窗框渗水 D" not in bert_page


async def test_rectifying_needs_an_after_photo_and_keeps_the_note(personas):
    made = await notices(personas)
    bob = await personas.browser("bob")
    url = f"/tasks/defects/{made['mine']}/rectify"
    refused = await bob.post(url, data={"note": "已处理"}, files=EMPTY_FILE)
    assert refused.status_code == 400
    assert "请至少上传一张整改后的照片" in refused.text  # the domain's message, in the user's language
    assert "已处理" in refused.text and 'aria-invalid="true"' in refused.text
    assert (await Defect.objects().get(Defect.id == made["mine"]).run()).status == "open"
    sent = await rectify(bob, url)
    assert sent.status_code == 303 and sent.headers["location"] == "/tasks"
    defect = await Defect.objects().get(Defect.id == made["mine"]).run()
    assert defect.status == "rectified" and defect.rectify_note == "已重新批荡"
    htmx = await rectify(bob, url, headers={"HX-Request": "true"})
    assert htmx.status_code == 409  # already rectified: the service says no


# ---------------------------------------------------------------- the password-free link

async def test_the_signed_link_opens_that_notice_without_signing_in_and_rectifies_by_token(personas, app):
    from server.photos.tables import Photo
    from tests.photos.support import run_worker
    from workers.settings import WorkerSettings

    made = await notices(personas)
    await run_worker(WorkerSettings)  # thumbnails ready
    token = notice_link_token(made["notice"].id, made["notice"].party)
    async with make_client(app) as stranger:
        page = await stranger.get(f"/n/{token}")
        assert page.status_code == 200
        assert "墙面空鼓 A" in page.text and "地面裂缝 B" not in page.text
        for defect_id, status in ((made["mine"], 200), (made["theirs"], 404)):
            photo = await Photo.objects().get((Photo.subject_type == "defect") & (Photo.subject_id == defect_id)).run()
            thumb = await stranger.get(f"/n/{token}/photos/{photo.id}/thumb")
            assert thumb.status_code == status, defect_id
        assert (await stranger.get(f"/n/{token}/defects/{made['mine']}")).status_code == 200
        # Another notice's defect is not reachable with this token.
        assert (await stranger.get(f"/n/{token}/defects/{made['theirs']}")).status_code == 404
        assert (await rectify(stranger, f"/n/{token}/defects/{made['theirs']}/rectify",
                              headers={"X-CSRFToken": stranger.cookies["csrftoken"]})).status_code == 404
        # CSRF still applies: the page set the cookie, the header must match it.
        assert (await rectify(stranger, f"/n/{token}/defects/{made['mine']}/rectify")).status_code == 403
        sent = await rectify(stranger, f"/n/{token}/defects/{made['mine']}/rectify",
                             headers={"X-CSRFToken": stranger.cookies["csrftoken"]})
        assert sent.status_code == 303 and sent.headers["location"] == f"/n/{token}"
    assert (await Defect.objects().get(Defect.id == made["mine"]).run()).status == "rectified"
    entry = await AuditEntry.objects().where((AuditEntry.object_type == "defect") & (AuditEntry.action == "rectify")).first().run()
    assert entry.actor_id is None and "Builder A" in entry.actor_name


async def test_a_tampered_expired_or_foreign_party_token_is_refused_in_chinese(personas, client):
    from server import signing

    made = await notices(personas)
    notice = made["notice"]
    good = notice_link_token(notice.id, notice.party)
    payload, mac = good.split(".")
    bad_tokens = [
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        signing.sign("notice", {"n": notice.id, "p": notice.party}, -60),
        signing.sign("notice", {"n": notice.id, "p": made["other_notice"].party}, 3600),
        signing.sign("other-purpose", {"n": notice.id, "p": notice.party}, 3600),
        made["other_notice"].number,
    ]
    for token in bad_tokens:
        page = await client.get(f"/n/{token}")
        assert page.status_code == 410, token
        assert "此链接无效或已过期，请联系客服中心重新发送。" in page.text
        assert (await client.get(f"/n/{token}/defects/{made['mine']}")).status_code == 410


# ---------------------------------------------------------------- the notice

async def test_the_notice_page_shows_a_failed_webhook_and_prints_without_navigation(personas):
    made = await notices(personas, webhook="http://127.0.0.1:9/robot")
    notice = made["notice"]
    await NoticeDelivery.update({NoticeDelivery.status: "failed", NoticeDelivery.attempts: 8,
                                 NoticeDelivery.last_error: "HTTP 500: robot down"}).where(
        (NoticeDelivery.notice == notice.id) & (NoticeDelivery.channel == "webhook")).run()
    carol = await english(await personas.browser("carol"))
    page = await carol.get(f"/tasks/notices/{notice.id}")
    assert page.status_code == 200
    assert notice.number in page.text and "墙面空鼓 A" in page.text
    assert "Failed" in page.text and "HTTP 500: robot down" in page.text
    assert "Group robot (webhook)" in page.text and "In-app message" in page.text
    bob = await personas.browser("bob")
    assert (await bob.get(f"/tasks/notices/{notice.id}")).status_code == 200
    assert (await bob.get(f"/tasks/notices/{made['other_notice'].id}")).status_code == 404
    printed = await carol.get(f"/tasks/notices/{notice.id}/print")
    assert printed.status_code == 200 and notice.number in printed.text
    assert "app-nav" not in printed.text and "@page" not in printed.text  # print CSS lives in followup.css


# ---------------------------------------------------------------- checks and rechecks

async def test_supervisors_record_checks_once_per_client_id_and_others_are_refused(personas):
    made = await notices(personas)
    sam = await english(await personas.browser("sam"))
    listing = await sam.get("/checks")
    assert listing.status_code == 200 and "墙面空鼓 A" in listing.text and "地面裂缝 B" in listing.text
    page = await sam.get(f"/checks/defects/{made['mine']}")
    assert page.status_code == 200 and "data-client-id" in page.text
    client_id = str(uuid.uuid4())
    for _ in range(2):  # a retry on a bad network
        r = await sam.post(f"/checks/defects/{made['mine']}", data={"result": "not_ok", "note": "阴角未处理",
                                                                   "client_id": client_id},
                           files=EMPTY_FILE, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/checks"
    assert await DefectCheck.count().run() == 1
    assert "Checked: not OK" in (await sam.get("/checks")).text
    bad = await sam.post(f"/checks/defects/{made['mine']}", data={"result": "maybe", "note": "留着"}, files=EMPTY_FILE)
    assert bad.status_code == 400 and "留着" in bad.text
    for name in ("bob", "carol", "ian"):
        other = await personas.browser(name)
        assert (await other.get("/checks")).status_code == 403, name
        assert (await other.post(f"/checks/defects/{made['mine']}", data={"result": "ok"},
                                 files=EMPTY_FILE)).status_code == 403, name


async def test_the_cs_center_rechecks_side_by_side_and_a_fail_needs_a_reason(personas):
    made = await notices(personas)
    bob = await personas.browser("bob")
    assert (await rectify(bob, f"/tasks/defects/{made['mine']}/rectify")).status_code == 303
    carol = await english(await personas.browser("carol"))
    listing = await carol.get("/rechecks")
    assert listing.status_code == 200 and "墙面空鼓 A" in listing.text and "地面裂缝 B" not in listing.text
    assert "Before" in listing.text and "After" in listing.text
    url = f"/rechecks/defects/{made['mine']}"
    no_reason = await carol.post(url, data={"result": "fail", "note": " "}, headers={"HX-Request": "true"})
    assert no_reason.status_code == 400 and "<html" not in no_reason.text
    assert "Give the reason it failed." in no_reason.text and 'aria-invalid="true"' in no_reason.text
    assert no_reason.text.count('<form class="recheck') == 1 and f'id="recheck-{made["mine"]}"' in no_reason.text
    whole_page = await carol.post(url, data={"result": "fail", "note": ""})
    assert whole_page.status_code == 400 and "<html" in whole_page.text
    assert whole_page.text.count('<form class="recheck') == 1  # the list, this defect's card marked
    assert f'id="f-note-{made["mine"]}" name="note" rows="3" maxlength="1000" aria-invalid="true"' in whole_page.text
    failed = await carol.post(url, data={"result": "fail", "note": "仍有空鼓"}, follow_redirects=False)
    assert failed.status_code == 303
    defect = await Defect.objects().get(Defect.id == made["mine"]).run()
    assert defect.status == "open" and defect.reopen_count == 1
    page = await (await english(bob)).get(f"/tasks/defects/{made['mine']}")
    assert "仍有空鼓" in page.text and "Sent back 1 time" in page.text
    assert (await rectify(bob, f"/tasks/defects/{made['mine']}/rectify")).status_code == 303
    passed = await carol.post(url, data={"result": "pass"}, follow_redirects=False)
    assert passed.status_code == 303
    assert (await Defect.objects().get(Defect.id == made["mine"]).run()).status == "closed"
    for name in ("bob", "sam", "paul"):
        other = await personas.browser(name)
        assert (await other.get("/rechecks")).status_code == 403, name
        assert (await other.post(url, data={"result": "pass"})).status_code == 403, name


# ---------------------------------------------------------------- the inbox

async def test_the_inbox_shows_the_notice_message_unread_first_and_opening_marks_it_read(personas):
    from server.inspections.dispatch import notice_deliver_all

    made = await notices(personas)
    await notice_deliver_all(made["notice"].id)
    message = await InboxMessage.objects().get(InboxMessage.party == personas.parties["builder_a"].id).run()
    bob = await english(await personas.browser("bob"))
    inbox = await bob.get("/inbox")
    assert inbox.status_code == 200 and made["notice"].number in inbox.text and "1 unread" in inbox.text
    opened = await bob.post(f"/inbox/{message.id}/open", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/tasks/notices/{made['notice'].id}"
    assert (await InboxMessage.objects().get(InboxMessage.id == message.id).run()).read_at is not None
    assert "0 unread" in (await bob.get("/inbox")).text
    bert = await personas.browser("bert")
    assert made["notice"].number not in (await bert.get("/inbox")).text
    assert (await bert.post(f"/inbox/{message.id}/read")).status_code == 404


async def test_the_lists_show_each_defects_first_before_photo(personas):
    """first_photos (the task and check lists) picks what round_photos' first before photo is."""
    from types import SimpleNamespace

    from server.inspections.rectification_reads import first_photos, round_photos
    from server.photos.tables import Photo

    made = await notices(personas)
    await Photo.delete().where(Photo.subject_type == "defect").run()

    def photo(defect: int, stage: str, status: str = "ready") -> Photo:
        return Photo(subject_type="defect", subject_id=defect, stage=stage, status=status, image_format="JPEG",
                     byte_size=1, original_key="x")

    await Photo.insert(photo(made["mine"], "rectified"), photo(made["mine"], "found", "processing"),
                       photo(made["mine"], "found"), photo(made["theirs"], "rectified")).run()
    ids = {(r["subject_id"], r["stage"], r["status"]): r["id"] for r in await Photo.select().run()}
    rows = [SimpleNamespace(id=made["mine"]), SimpleNamespace(id=made["theirs"])]
    first, every = await first_photos(rows), await round_photos(rows)
    assert [p.id for p in first[made["mine"]]["found"]] == [ids[(made["mine"], "found", "processing")]]
    assert first[made["mine"]]["found"][0].status == "processing"  # the row then shows the camera, not a later photo
    assert first[made["theirs"]] == {"found": [], "rectified": []}  # no before photo at all
    assert [p.id for p in every[made["mine"]]["found"]][:1] == [p.id for p in first[made["mine"]]["found"]]
