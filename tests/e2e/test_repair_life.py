"""A repair's whole life on 390×844 phones in real Chromium (issue 11, "Done when"): the owner opens her
unit's QR link signed out, signs in with the one-time code from her notice, reports a leak with two
photos while the network is cut, and it arrives exactly once when the network returns; CS triages it
and sends it to survey; the quality center records the survey and the plan; CS approves and dispatches;
the repair unit completes through its job link with an after-photo and the owner signs on that phone;
the return-visit cron (a real arq worker in burst mode, the clock moved on) puts it on the CS call list;
a 2-star call reopens it. axe-core finds no serious violation on any of these pages."""
from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from server.clock import CHINA
from server.notifications.tables import InboxMessage
from server.photos.tables import Photo
from server.repairs.closing_tables import RepairSignoff, RepairVisit
from server.repairs.qr import repair_form_url
from server.repairs.tables import RepairRequest
from tests.e2e.conftest import _phone_context, assert_accessible, draw_signature, sign_in, until
from tests.e2e.repair_steps import approve_plan, dispatch, fill_repair_form, send_job, survey_and_plan
from tests.photos.images import plain_jpeg
from tests.repairs.closing_support import run_visits_cron, status_of
from tests.repairs.jobs_support import PDF, repair_unit
from tests.repairs.support import homes, owner_with_code
from tests.support import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _files(tmp_path) -> dict[str, str]:
    files = {"leak": plain_jpeg(size=(3000, 2250)), "floor": plain_jpeg(size=(800, 600), color=(20, 60, 200)),
             "survey": plain_jpeg(size=(1200, 900), color=(120, 90, 40)),
             "after": plain_jpeg(size=(1200, 900), color=(200, 200, 190)), "方案": PDF}
    paths = {}
    for name, data in files.items():
        path = tmp_path / (f"{name}.pdf" if data is PDF else f"{name}.jpg")
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


async def _owner_reports_offline(page, context, screens, form_path: str, files: dict) -> int:
    """On the form the QR code opened: two photos, no signal; sent once when the signal returns."""
    await context.set_offline(True)
    await fill_repair_form(page, [files["leak"], files["floor"]], "卫生间顶棚漏水，滴到地面")
    await expect(page.locator(".shot")).to_have_count(2)
    await page.click("button[data-save]")
    await expect(page.locator("#app-toast")).to_contain_text("已保存在本机")
    await expect(page.locator("[data-outbox-count]")).to_have_text("1 条待同步")
    await screens.shot(page, "owner-offline-waiting")
    await assert_accessible(page, "repair form, offline")
    assert await RepairRequest.count().run() == 0
    await context.set_offline(False)  # the `online` event sends the outbox
    await until(lambda: page.evaluate("Outbox.all().then(r => r.length === 0)"))
    repairs = await RepairRequest.objects().run()
    assert len(repairs) == 1
    await page.goto(form_path)  # the app starts again with signal: nothing is sent twice
    await asyncio.sleep(1)
    assert await RepairRequest.count().run() == 1
    return repairs[0].id


async def test_a_leak_from_the_qr_code_to_a_reopening_return_visit(personas, chromium, live_server, screens,
                                                                   tmp_path):
    h = await homes(personas)
    party, _ = await repair_unit(personas)
    owner, code = await owner_with_code(h["theirs"])
    files = _files(tmp_path)
    # The owner's phone blocks the service worker, so that cutting the network reaches the page's uploads.
    owner_phone = await _phone_context(chromium, live_server, service_workers="block")
    cs, qc, unit = [await _phone_context(chromium, live_server) for _ in range(3)]
    try:
        # ---- the owner scans the QR code by her door: signed out, the one-time code first
        page = await owner_phone.new_page()
        form_path = urlsplit(repair_form_url(h["theirs"])).path
        await page.goto(form_path)
        assert urlsplit(page.url).path == "/owner/sign-in"
        await assert_accessible(page, "owner sign-in")
        await screens.shot(page, "owner-sign-in")
        await page.fill("#f-mobile", owner.username)
        await page.fill("#f-code", code)
        async with page.expect_navigation():
            await page.click("form[action='/owner/sign-in'] button[type=submit]")
        assert urlsplit(page.url).path == form_path
        await expect(page.locator("form[data-repair-form]")).to_be_visible()
        rid = await _owner_reports_offline(page, owner_phone, screens, form_path, files)
        repair = await RepairRequest.objects().get(RepairRequest.id == rid).run()
        assert (repair.unit, repair.component, repair.location, repair.channel, repair.status) == (
            h["theirs"], "waterproofing", "卫生间", "owner_app", "reported")
        assert await Photo.count().where((Photo.subject_id == rid) & (Photo.stage == "reported")).run() == 2
        await page.goto("/owner/repairs")
        async with page.expect_navigation():
            await page.click(f"a[href='/owner/repairs/{rid}']")
        await expect(page.locator("[data-description]")).to_have_text("卫生间顶棚漏水，滴到地面")
        await assert_accessible(page, "owner's request")
        await screens.shot(page, "owner-request")

        # ---- CS triage: a leak, normal urgency, a site survey needed; then to the quality center
        carol = await sign_in(cs, "carol", PASSWORD)
        await carol.goto("/repairs")
        async with carol.expect_navigation():
            await carol.click(f"a[data-repair='{rid}']")
        await expect(carol.locator("input[name=component][value=waterproofing]")).to_be_checked()
        await carol.locator("input[name=urgency][value=normal]").check(force=True)
        await carol.locator("input[name=survey_needed][value=yes]").check(force=True)
        await assert_accessible(carol, "triage")
        async with carol.expect_navigation():
            await carol.click(f"form[action='/repairs/{rid}/triage'] button[type=submit]")
        repair = await RepairRequest.objects().get(RepairRequest.id == rid).run()
        assert (repair.status, repair.urgency, repair.survey_needed) == ("triaged", "normal", True)
        async with carol.expect_navigation():
            await carol.click("button[data-send-survey]")
        assert await status_of(rid) == "surveying"
        await screens.shot(carol, "cs-sent-to-survey")

        # ---- the quality center: its list offers no CS button; the survey (photo, findings) and the plan
        quinn = await sign_in(qc, "quinn", PASSWORD)
        await quinn.goto("/repairs")
        await expect(quinn.locator(f"a[data-repair='{rid}']")).to_contain_text("现场勘查中")
        await expect(quinn.locator("a[href='/repairs/new']")).to_have_count(0)
        await assert_accessible(quinn, "quality center's list")
        await survey_and_plan(quinn, rid, files["survey"], files["方案"])
        assert await status_of(rid) == "planned"
        await assert_accessible(quinn, "survey and plan")
        await screens.shot(quinn, "qc-survey-and-plan")

        # ---- CS approves the plan and dispatches the job to the repair unit
        await approve_plan(carol, rid)
        await dispatch(carol, party.id, "2030-05-01T09:30")
        await send_job(carol)
        await expect(carol.locator("[data-party]")).to_have_text("修缮公司")
        assert await status_of(rid) == "assigned"
        await assert_accessible(carol, "dispatched")
        await screens.shot(carol, "cs-dispatched")

        # ---- the repair unit opens its link (no account), starts, completes with an after-photo
        link = (await InboxMessage.objects().where(InboxMessage.party == party.id).first().run()).link
        job = await unit.new_page()
        await job.goto(link)
        async with job.expect_navigation():
            await job.click("button[data-start]")
        await job.set_input_files("#f-after", [files["after"]])
        await job.fill("#f-note", "凿除地面重做防水层，闭水试验48小时无渗漏")
        await assert_accessible(job, "completion through the link")
        await screens.shot(job, "unit-completes")
        async with job.expect_navigation():
            await job.click(f"form[action='{link}/complete'] button[type=submit]")
        assert urlsplit(job.url).path == f"{link}/sign"
        assert await status_of(rid) == "completed"
        assert await Photo.count().where((Photo.subject_id == rid) & (Photo.stage == "after")).run() == 1

        # ---- the owner signs on the repairer's phone
        await draw_signature(job, "canvas[data-signature='f-owner']")
        await job.fill("#f-signer_name", owner.display_name)
        await assert_accessible(job, "owner signs")
        await screens.shot(job, "owner-signs")
        await job.click("button[name=outcome][value=signed]")
        async with job.expect_navigation():
            await job.click("[data-answer=yes]")
        assert await status_of(rid) == "signed_off"
        signoff = await RepairSignoff.objects().get(RepairSignoff.repair == rid).run()
        assert (signoff.outcome, signoff.via, signoff.signer_name) == ("signed", "screen", owner.display_name)

        # ---- the return-visit cron, three days on (the project's default), lists it for CS to call
        signed_day = signoff.created_at.astimezone(CHINA).date()
        await run_visits_cron(dt.datetime.combine(signed_day + dt.timedelta(days=3), dt.time(9), CHINA))
        await carol.goto("/repairs/visits")
        due = (signed_day + dt.timedelta(days=3)).isoformat()
        await expect(carol.locator(f"[data-visit-due='{rid}']")).to_contain_text(f"{due} 起回访")
        await assert_accessible(carol, "call list")
        await screens.shot(carol, "cs-call-list")

        # ---- a 2-star call: the repair is reopened
        async with carol.expect_navigation():
            await carol.click(f"[data-visit-due='{rid}']")
        await carol.locator("input[name=reached][value=yes]").check(force=True)
        await carol.locator("input[name=satisfaction][value='2']").check(force=True)
        await expect(carol.locator("input[name=follow_up][value=reopen]")).to_be_checked()
        await carol.fill("#f-comment", "墙角还有水渍")
        async with carol.expect_navigation():
            await carol.click(f"form[action='/repairs/{rid}/visit'] button[type=submit]")
        visit = await RepairVisit.objects().get(RepairVisit.repair == rid).run()
        assert (visit.reached, visit.satisfaction, visit.outcome) == (True, 2, "reopened")
        assert await status_of(rid) == "reopened"
        await carol.goto(f"/repairs/{rid}")
        await expect(carol.locator("#repair-title ~ p .chip").first).to_have_text("重新维修")
        await expect(carol.locator(f"[data-visit='{visit.id}']")).to_contain_text("墙角还有水渍")
        await expect(carol.locator(f"form[action='/repairs/{rid}/triage']")).to_be_visible()
        await expect(carol.locator("[data-completion] ~ .shots img")).to_have_count(1)  # after-photo, once
        await expect(carol.locator("[data-history]")).to_contain_text("已列入回访名单")
        codes = await carol.evaluate(r"document.querySelector('[data-history]').innerText.match(/\b[a-z_]{5,}\b/g)")
        assert codes is None, codes  # every line of the history in words, no audit codes
        await assert_accessible(carol, "reopened repair")
        await screens.shot(carol, "cs-reopened")
    finally:
        for context in (owner_phone, cs, qc, unit):
            await context.close()
