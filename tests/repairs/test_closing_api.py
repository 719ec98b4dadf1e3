"""Closing a repair through the API: completion with after-photos, the owner's signed sign-off (a record
never changed) or refusal, who may do what, and bad input refused in Chinese with nothing stored."""
from __future__ import annotations

import hashlib

import pytest

from server.audit.tables import AuditEntry
from server.photos.tables import Photo
from server.repairs.closing_tables import RepairCompletion, RepairSignoff
from server.repairs.signoff import signoff_verify
from tests.repairs.closing_support import BLANK, another_owner, complete, in_repair, signature, status_of
from tests.support import csrf
from tests.repairs.support import homes, multipart, report

ZH = {"Accept-Language": "zh-CN"}


async def test_cs_completes_with_after_photos_and_the_owner_signs_on_her_phone(personas):
    _h, rid = await in_repair(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    r = await complete(carol, rid)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    after = await Photo.select(Photo.stage).where((Photo.subject_type == "repair") & (Photo.subject_id == rid)).run()
    assert [p["stage"] for p in after] == ["after"]
    completion = await RepairCompletion.objects().get(RepairCompletion.repair == rid).run()
    assert completion.note == "更换防水层，闭水试验48小时无渗漏"
    r = await olga.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature(), "signer_name": "王业主"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["outcome"], body["via"], body["completion_id"]) == ("signed", "owner_phone", completion.id)
    assert await status_of(rid) == "signed_off"
    record = await RepairSignoff.objects().get(RepairSignoff.id == body["id"]).run()
    assert await signoff_verify(record)
    assert len(record.content_sha256) == 64 and record.content_sha256 == body["content_sha256"]
    png = (await olga.get(f"/api/v1/repair-signoffs/{record.id}/signature")).content
    assert hashlib.sha256(png).hexdigest() == record.signature_sha256
    # a second answer is a conflict and stores nothing
    before = await RepairSignoff.count().run()
    r = await olga.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})
    assert r.status_code == 409
    r = await carol.post(f"/api/v1/repairs/{rid}/refuse", json={"reason": "还在漏"})
    assert r.status_code == 409
    assert await RepairSignoff.count().run() == before
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.object_type == "repair") & (AuditEntry.object_id == str(rid))).order_by(AuditEntry.id).run()]
    assert actions[-4:] == ["complete", "completion", "sign_off", "sign_off_record"]


async def test_a_refusal_needs_a_reason_and_sends_the_job_back(personas):
    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    assert (await complete(carol, rid)).status_code == 200
    r = await carol.post(f"/api/v1/repairs/{rid}/refuse", json={"reason": "  "}, headers=ZH)
    assert r.status_code == 400 and "原因" in r.json()["errors"]["reason"]
    assert await status_of(rid) == "completed" and await RepairSignoff.count().run() == 0
    r = await carol.post(f"/api/v1/repairs/{rid}/refuse", json={"reason": "墙角还在渗水", "signer_name": "王业主"})
    assert r.status_code == 201 and r.json()["via"] == "screen"
    assert await status_of(rid) == "in_repair"
    # the repair unit comes back, completes again; that completion gets its own answer
    assert (await complete(carol, rid)).status_code == 200
    r = await carol.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature(), "signer_name": "王业主"})
    assert r.status_code == 201, r.text
    rows = await RepairSignoff.select(RepairSignoff.outcome, RepairSignoff.reason).order_by(RepairSignoff.id).run()
    assert rows == [{"outcome": "refused", "reason": "墙角还在渗水"}, {"outcome": "signed", "reason": ""}]


@pytest.mark.parametrize("case", ["no_photo", "text_file", "blank_signature"])
async def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(personas, case):
    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    photos_before = await Photo.count().run()
    if case == "blank_signature":
        assert (await complete(carol, rid)).status_code == 200
        r = await carol.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": BLANK}, headers=ZH)
        assert r.status_code == 400 and "签字" in r.json()["errors"]["signature"]
        assert await status_of(rid) == "completed" and await RepairSignoff.count().run() == 0
        return
    files = [] if case == "no_photo" else [("photos", ("after.jpg", b"this is not a photo", "image/jpeg"))]
    r = await complete(carol, rid, files=files)
    assert r.status_code in (400, 415), r.text
    message = r.json()["errors"].get("photos") if case == "no_photo" else r.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert await status_of(rid) == "in_repair"
    assert await RepairCompletion.count().run() == 0 and await Photo.count().run() == photos_before


async def test_who_may_do_what(personas):
    h, rid = await in_repair(personas)
    olga, bob, sam, quinn, alice = [await personas.api(n) for n in ("olga", "bob", "sam", "quinn", "alice")]
    # an owner or a supervisor does not complete (403); a contractor without the job sees nothing (404)
    assert (await complete(olga, rid)).status_code == 403
    assert (await complete(sam, rid)).status_code == 403
    assert (await complete(bob, rid)).status_code == 404
    assert await status_of(rid) == "in_repair"
    assert (await complete(alice, rid)).status_code == 200
    # another owner's repair is not found
    oscar = await another_owner(personas)
    assert (await oscar.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 404
    assert (await oscar.post(f"/api/v1/repairs/{rid}/refuse", json={"reason": "x"})).status_code == 404
    assert (await quinn.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 403
    assert (await alice.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 403
    assert await status_of(rid) == "completed"


async def test_illegal_moves_are_409_and_change_nothing(personas):
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    rid = (await report(olga, h["mine"])).json()["id"]
    audit_before = await AuditEntry.count().run()
    assert (await complete(carol, rid)).status_code == 409  # still reported
    assert (await olga.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})).status_code == 409
    assert (await carol.post(f"/api/v1/repairs/{rid}/visits", json={"reached": True, "satisfaction": 5})
            ).status_code == 409
    assert (await carol.post(f"/api/v1/repairs/{rid}/close")).status_code == 409
    assert (await carol.post(f"/api/v1/repairs/{rid}/sign-off-link")).status_code == 409
    assert await status_of(rid) == "reported"
    assert await AuditEntry.count().run() == audit_before
    assert await RepairCompletion.count().run() == 0 and await Photo.count().run() == 0


async def test_a_signed_link_lets_the_owner_sign_from_home_once(personas, client):
    _h, rid = await in_repair(personas)
    carol = await personas.api("carol")
    assert (await complete(carol, rid)).status_code == 200
    r = await carol.post(f"/api/v1/repairs/{rid}/sign-off-link")
    assert r.status_code == 200
    path = r.json()["url"].split("://", 1)[-1].split("/", 1)[1]
    page = await client.get("/" + path)
    assert page.status_code == 200 and 'data-signature="f-owner"' in page.text
    assert (await client.get("/" + path[:-3] + "abc")).status_code == 410
    await csrf(client)
    r = await client.post("/" + path, data={"outcome": "signed", "signature": signature(), "signer_name": "王业主"},
                          follow_redirects=False)
    assert r.status_code in (303, 200), r.text
    assert await status_of(rid) == "signed_off"
    row = await RepairSignoff.objects().get(RepairSignoff.repair == rid).run()
    assert (row.via, row.created_by) == ("link", None)
