"""The delivery announcement (交房公告): drafted from the template by the CS center,
approved by the CS center, published by Brand & PR to a public page; corrected
by a new announcement, never edited once published."""
from __future__ import annotations

import datetime as dt
import re

from server.audit.tables import AuditEntry
from server.delivery.tables import Announcement, DeliveryBatch, DeliveryBatchUnit
from tests.pages.test_rectification_pages import english


async def _batch(what_to_bring: str = "身份证原件\n购房合同原件") -> DeliveryBatch:
    from server.org.services import building_create, project_create, units_bulk_create

    project = await project_create(actor=None, name="阳光花园")
    building = await building_create(actor=None, project_id=project.id, name="1号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=2, units_per_floor=2)
    batch = DeliveryBatch(project=project.id, building=building.id, name="第一批", starts_on=dt.date(2026, 12, 5),
                          ends_on=dt.date(2026, 12, 7), place="阳光花园会所一楼", what_to_bring=what_to_bring)
    await batch.save().run()
    from server.org.tables import Unit

    for unit in await Unit.select(Unit.id).where(Unit.building == building.id).run():
        await DeliveryBatchUnit(batch=batch.id, unit=unit["id"]).save().run()
    return batch


async def _published(personas, batch) -> dict:
    carol, petra = await personas.api("carol"), await personas.api("petra")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    assert (await carol.post(f"/api/v1/announcements/{draft['id']}/approve")).status_code == 200
    published = await petra.post(f"/api/v1/announcements/{draft['id']}/publish")
    assert published.status_code == 200, published.text
    return published.json()


async def test_the_draft_is_filled_from_the_template_with_the_batch_data(personas):
    batch = await _batch()
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft" and body["public_url"] is None and body["drafted_by_id"] == personas.user("carol").id
    assert body["title"] == "阳光花园1号楼交房公告"
    text = body["body"]
    assert text.startswith("尊敬的阳光花园业主")
    for expected in ("第一批", "共 4 套", "2026年12月5日至2026年12月7日", "阳光花园会所一楼", "1. 身份证原件",
                     "2. 购房合同原件", "客户服务中心", "特此公告"):
        assert expected in text, expected


async def test_an_english_user_gets_the_english_template(personas):
    batch = await _batch(what_to_bring="")
    carol = await english(await personas.browser("carol"))
    r = await carol.post(f"/delivery/batches/{batch.id}/announcements", follow_redirects=False)
    assert r.status_code == 303
    announcement = await Announcement.objects().first().run()
    assert announcement.title == "Delivery announcement: 阳光花园 1号楼"
    assert "Dear owners of 阳光花园" in announcement.body and "5 December 2026" in announcement.body
    assert "identity card" in announcement.body  # the default list when the batch names nothing


async def test_the_whole_lifecycle_ends_on_a_public_page_that_opens_without_signing_in(personas, client):
    batch = await _batch()
    carol, petra = await personas.api("carol"), await personas.api("petra")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    edited = await carol.patch(f"/api/v1/announcements/{draft['id']}",
                               json={"title": "阳光花园1号楼交房公告（第一批）", "body": draft["body"] + "\n\n附：停车指引"})
    assert edited.status_code == 200 and edited.json()["title"].endswith("（第一批）")
    approved = await carol.post(f"/api/v1/announcements/{draft['id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["approved_by_id"] == personas.user("carol").id
    # not yet published: the public page does not exist
    token = (await Announcement.objects().get(Announcement.id == draft["id"]).run()).public_token
    assert (await client.get(f"/announcements/{token}")).status_code == 404
    published = await petra.post(f"/api/v1/announcements/{draft['id']}/publish")
    assert published.status_code == 200
    out = published.json()
    assert out["status"] == "published" and out["published_by_id"] == personas.user("petra").id
    assert out["published_at"] and out["public_url"].endswith(f"/announcements/{token}")
    page = await client.get(f"/announcements/{token}")  # nobody signed in
    assert page.status_code == 200
    assert "阳光花园1号楼交房公告（第一批）" in page.text and "附：停车指引" in page.text
    assert "@media print" in (await client.get("/static/css/delivery_docs.css")).text
    assert 'name="viewport"' in page.text
    listing = (await petra.get(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    assert listing["total"] == 1 and listing["items"][0]["status"] == "published"
    trail = await AuditEntry.select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state).where(
        (AuditEntry.object_type == "announcement") & (AuditEntry.object_id == str(draft["id"]))).order_by(
        AuditEntry.id).run()
    assert [(t["action"], t["from_state"], t["to_state"]) for t in trail] == [
        ("draft", None, "draft"), ("edit", None, None), ("approve", "draft", "approved"),
        ("publish", "approved", "published")]


async def test_each_role_does_only_its_own_step(personas):
    batch = await _batch()
    carol, petra = await personas.api("carol"), await personas.api("petra")
    ian, olga, bob = await personas.api("ian"), await personas.api("olga"), await personas.api("bob")
    base = f"/api/v1/delivery-batches/{batch.id}/announcements"
    assert (await petra.post(base)).status_code == 403  # PR does not draft
    assert (await ian.post(base)).status_code == 403
    draft = (await carol.post(base)).json()
    one = f"/api/v1/announcements/{draft['id']}"
    assert (await petra.patch(one, json={"title": "x"})).status_code == 403
    assert (await petra.post(f"{one}/approve")).status_code == 403  # PR does not approve
    assert (await carol.post(f"{one}/approve")).status_code == 200
    assert (await carol.post(f"{one}/publish")).status_code == 403  # CS does not publish
    assert (await olga.get(one)).status_code == 403 and (await bob.get(base)).status_code == 403
    assert (await ian.get(one)).status_code == 200  # staff may read
    alice = await personas.api("alice")
    assert (await alice.post(f"{one}/publish")).status_code == 200  # the administrator may do either


async def test_wrong_state_actions_are_409_in_the_users_language(personas):
    batch = await _batch()
    carol, petra = await personas.api("carol"), await personas.api("petra")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    one = f"/api/v1/announcements/{draft['id']}"
    refused = await petra.post(f"{one}/publish")  # a draft cannot be published
    assert refused.status_code == 409 and refused.json()["detail"] == "只有已审核的公告才能发布。"
    await carol.post(f"{one}/approve")
    again = await carol.post(f"{one}/approve")
    assert again.status_code == 409
    assert (await carol.patch(one, json={"body": "改"})).status_code == 409  # approved: no more edits
    await petra.post(f"{one}/publish")
    assert (await petra.post(f"{one}/publish")).status_code == 409
    assert (await carol.patch(one, json={"title": "改"})).status_code == 409
    assert (await Announcement.objects().get(Announcement.id == draft["id"]).run()).title == draft["title"]
    assert (await carol.get("/api/v1/announcements/999999")).status_code == 404
    assert (await carol.post("/api/v1/delivery-batches/999999/announcements")).status_code == 404


async def test_an_empty_announcement_cannot_be_approved(personas):
    batch = await _batch()
    carol = await personas.api("carol")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    one = f"/api/v1/announcements/{draft['id']}"
    assert (await carol.patch(one, json={"title": "  "})).status_code == 400
    assert (await carol.patch(one, json={"body": ""})).status_code == 200
    refused = await carol.post(f"{one}/approve")
    assert refused.status_code == 400 and "空" in refused.json()["detail"]
    assert (await Announcement.objects().get(Announcement.id == draft["id"]).run()).status == "draft"


async def test_a_correction_supersedes_and_the_old_page_links_to_the_new_one(personas, client):
    batch = await _batch()
    carol, petra = await personas.api("carol"), await personas.api("petra")
    old = await _published(personas, batch)
    base = f"/api/v1/delivery-batches/{batch.id}/announcements"
    # a draft cannot be "corrected": edit it instead
    other = (await carol.post(base)).json()
    assert (await carol.post(base, json={"supersedes_id": other["id"]})).status_code == 409
    fix = await carol.post(base, json={"supersedes_id": old["id"]})
    assert fix.status_code == 201
    new = fix.json()
    assert new["supersedes_id"] == old["id"] and new["body"] == old["body"] and new["status"] == "draft"
    await carol.patch(f"/api/v1/announcements/{new['id']}", json={"body": old["body"].replace("阳光花园会所一楼", "2号楼大堂")})
    old_path = old["public_url"].split("testserver.local")[-1].split("127.0.0.1:8000")[-1]
    page = await client.get(old_path)
    assert page.status_code == 200 and "已更正" not in page.text  # the correction is not out yet
    await carol.post(f"/api/v1/announcements/{new['id']}/approve")
    published = (await petra.post(f"/api/v1/announcements/{new['id']}/publish")).json()
    page = await client.get(old_path)
    new_token = published["public_url"].rsplit("/", 1)[-1]
    assert page.status_code == 200 and "本公告已更正" in page.text and f'href="/announcements/{new_token}"' in page.text
    assert (await carol.get(f"/api/v1/announcements/{old['id']}")).json()["superseded_by_id"] == new["id"]
    newest = await client.get(f"/announcements/{new_token}")
    assert "2号楼大堂" in newest.text and "本公告已更正" not in newest.text


async def test_an_unknown_token_is_404(client):
    assert (await client.get("/announcements/nope")).status_code == 404


async def test_the_pages_show_each_role_its_buttons(personas):
    batch = await _batch()
    carol = await personas.browser("carol")
    listing = await carol.get(f"/delivery/batches/{batch.id}/announcements")
    assert listing.status_code == 200 and "按模板起草" in listing.text
    made = await carol.post(f"/delivery/batches/{batch.id}/announcements", follow_redirects=False)
    assert made.status_code == 303
    detail_url = made.headers["location"]
    page = await carol.get(detail_url)
    assert page.status_code == 200 and 'name="body"' in page.text and "/approve" in page.text
    drafted = (await Announcement.objects().first().run()).body
    saved = await carol.post(detail_url, data={"title": "", "body": "交付时间另行通知"})
    assert saved.status_code == 400 and 'aria-invalid="true" aria-describedby="e-title"' in saved.text
    assert re.search(r'<textarea[^>]* name="body"[^>]*>交付时间另行通知</textarea>', saved.text)  # what was typed is kept
    assert (await Announcement.objects().first().run()).body == drafted  # and nothing was saved
    assert (await carol.post(detail_url, data={"title": "交房公告", "body": "正文"}, follow_redirects=False)).status_code == 303
    assert (await carol.post(f"{detail_url}/approve", follow_redirects=False)).status_code == 303
    again = await carol.post(f"{detail_url}/approve")
    assert again.status_code == 409 and "只有草稿才能审核" in again.text
    petra = await personas.browser("petra")
    page = await petra.get(detail_url)
    assert "/publish" in page.text and 'name="body"' not in page.text
    assert (await petra.post(f"{detail_url}/publish", follow_redirects=False)).status_code == 303
    page = await carol.get(detail_url)
    token = (await Announcement.objects().first().run()).public_token
    assert f'href="/announcements/{token}"' in page.text and 'name="supersedes_id"' in page.text
    listing = await petra.get(f"/delivery/batches/{batch.id}/announcements")
    assert "按模板起草" not in listing.text and "交房公告" in listing.text
