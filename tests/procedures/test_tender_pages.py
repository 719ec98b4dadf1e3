"""The tender's records on its procedure's page (phone, htmx forms): refused input keeps what was typed and says
why in Chinese; the PR user writes and publishes the notice; a 409 changes nothing; the overdue notice."""
from __future__ import annotations

import datetime as dt

import pytest

from server import clock
from server.audit.tables import AuditEntry
from server.notifications.tables import InboxMessage
from server.procedures import services
from server.procedures.overdue import steps_overdue_notify
from server.procedures.tables import ProcedureStep
from server.procedures.tender_tables import TenderBid, TenderExpert, TenderNotice
from tests.procedures.support import started

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
async def templates():
    await services.templates_ensure()


async def tender(personas, **kw) -> tuple[dict, str]:
    procedure = await started(personas, template_code="pm_tender", subject_kind="project", **kw)
    return procedure, f"/procedures/{procedure['id']}/tender"


async def test_experts_bidders_and_scores_from_the_page_keep_what_was_typed(personas):
    from server.org.services import party_create

    procedure, base = await tender(personas)
    wanjia = await party_create(actor=None, name="万家物业", kind="property_company")
    carol = await personas.browser("carol")
    page = (await carol.get(f"/procedures/{procedure['id']}")).text
    assert "评标专家" in page and f'hx-post="{base}/experts"' in page and "尚未抽取评标专家。" in page
    assert "万家物业" in page  # offered as a bidder
    refused = await carol.post(f"{base}/experts", data={"name": "李工", "field": "", "drawn_on": "2026-13-40"},
                               headers=HX)
    assert refused.status_code == 400 and 'value="李工"' in refused.text
    assert "此项必填。" in refused.text and "请输入日期，如 2026-12-31。" in refused.text
    assert await TenderExpert.count().run() == 0
    made = await carol.post(f"{base}/experts", data={"name": "李工", "field": "物业管理", "drawn_on": "2026-11-30"},
                            headers=HX)
    assert made.status_code == 200 and "评标专家已登记。" in made.text and "物业管理" in made.text
    assert (await carol.post(f"{base}/bids", data={"party_id": str(wanjia.id)}, headers=HX)).status_code == 200
    bid = await TenderBid.objects().first().run()
    bad = await carol.post(f"{base}/bids/{bid.id}/score", data={"score": "120"}, headers=HX)
    assert bad.status_code == 400 and 'value="120"' in bad.text and "0 到 100" in bad.text
    ok = await carol.post(f"{base}/bids/{bid.id}/score", data={"score": "90.5"}, follow_redirects=False)
    assert ok.status_code == 303
    page = (await carol.get(f"/procedures/{procedure['id']}")).text
    assert "90.50 分" in page and f'hx-post="{base}/records/winner"' in page
    # A winner that is not a listed company cannot even be offered; a filing before the winner is a 409.
    before = await AuditEntry.count().run()
    early = await carol.post(f"{base}/records/winner_filing", data={"number": "备1", "filed_on": "2026-12-01"})
    assert early.status_code == 409 and await AuditEntry.count().run() == before
    # Contractors and owners never see the procedure.
    bob = await personas.browser("bob")
    assert (await bob.get(f"/procedures/{procedure['id']}")).status_code in (403, 404)
    assert (await bob.post(f"{base}/experts", data={"name": "x", "field": "y", "drawn_on": "2026-11-30"})
            ).status_code in (403, 404)


async def test_the_pr_user_writes_and_publishes_the_notice_and_anyone_reads_it(personas, client):
    procedure, base = await tender(personas)
    petra = await personas.browser("petra")
    page = (await petra.get(f"/procedures/{procedure['id']}")).text
    assert f'hx-post="{base}/notice"' in page and "尚无招标公告。" in page
    carol = await personas.browser("carol")
    assert f'hx-post="{base}/notice"' not in (await carol.get(f"/procedures/{procedure['id']}")).text
    assert (await carol.post(f"{base}/notice", data={"title": "x", "body": "y", "opens_on": "2027-01-01",
                                                     "closes_on": "2027-01-02"})).status_code == 403
    typed = {"title": "前期物业招标公告", "body": "欢迎投标。", "opens_on": "2027-01-20", "closes_on": "2027-01-10"}
    refused = await petra.post(f"{base}/notice", data=typed, headers=HX)
    assert refused.status_code == 400 and "投标截止日期不能早于开始日期。" in refused.text
    assert 'value="前期物业招标公告"' in refused.text and "欢迎投标。</textarea>" in refused.text
    assert await TenderNotice.count().run() == 0
    assert (await petra.post(f"{base}/notice", data={**typed, "closes_on": "2027-01-31"}, headers=HX)).status_code == 200
    notice = await TenderNotice.objects().first().run()
    assert (await client.get(f"/tender-notices/{notice.public_token}")).status_code == 404
    published = await petra.post(f"{base}/notice/publish", data={}, headers=HX)
    assert published.status_code == 200 and f'href="/tender-notices/{notice.public_token}"' in published.text
    public = await client.get(f"/tender-notices/{notice.public_token}")
    assert public.status_code == 200 and "前期物业招标公告" in public.text and "2027-01-20 至 2027-01-31" in public.text
    assert (await petra.post(f"{base}/notice/unpublish", data={}, follow_redirects=False)).status_code == 303
    assert (await client.get(f"/tender-notices/{notice.public_token}")).status_code == 404


async def test_an_overdue_step_tells_its_department_once_per_breach(personas):
    from tests.procedures.support import department_user

    await department_user(personas, "petra2", "pr")
    procedure, _base = await tender(personas, start_date=clock.today() - dt.timedelta(days=86))
    # Due after 85 days: step 5 (品牌公关部) and the steps before it are overdue; the later ones are not.
    told = await steps_overdue_notify()
    assert told == 5
    pr_users = {personas.user("petra").id, personas.user("petra2").id}
    fifth = next(s for s in procedure["steps"] if s["position"] == 5)
    messages = await InboxMessage.objects().where(InboxMessage.link.like(f"%#step-{fifth['id']}")).run()
    assert {m.user for m in messages} == pr_users and messages[0].title.startswith("已逾期：")
    assert "第5步" in messages[0].body
    assert await steps_overdue_notify() == 0  # the same breach: nobody is told again
    assert await InboxMessage.count().where(InboxMessage.link.like(f"%#step-{fifth['id']}")).run() == 2
    overdue = await AuditEntry.count().where(AuditEntry.action == "overdue").run()
    assert overdue == 5
    # A new due date, passed again, is a new breach; one not yet passed tells nobody.
    carol = await personas.api("carol")
    yesterday = (clock.today() - dt.timedelta(days=2)).isoformat()  # not the breach already told of
    assert (await carol.post(f"/api/v1/procedure-steps/{fifth['id']}/due-date",
                             json={"due_date": (clock.today() + dt.timedelta(days=3)).isoformat()})).status_code == 200
    assert await steps_overdue_notify() == 0
    assert (await carol.post(f"/api/v1/procedure-steps/{fifth['id']}/due-date",
                             json={"due_date": yesterday})).status_code == 200
    assert await steps_overdue_notify() == 1
    assert await InboxMessage.count().where(InboxMessage.link.like(f"%#step-{fifth['id']}")).run() == 4
    step = await ProcedureStep.objects().get(ProcedureStep.id == fifth["id"]).run()
    assert step.overdue_notified_due.isoformat() == yesterday


async def test_the_overdue_cron_job_runs_the_step_notices(personas):
    from server.inspections.overdue import overdue_job

    await tender(personas, start_date=clock.today() - dt.timedelta(days=31))
    await overdue_job()
    assert await AuditEntry.count().where(AuditEntry.action == "overdue").run() == 1  # step 1, due after 30 days
    await overdue_job()
    assert await AuditEntry.count().where(AuditEntry.action == "overdue").run() == 1


async def test_an_overdue_step_awaiting_approval_tells_its_approver(personas):
    from tests.procedures.support import upload

    procedure, _base = await tender(personas, start_date=clock.today() - dt.timedelta(days=76))
    fourth = next(s for s in procedure["steps"] if s["position"] == 4)  # 标书, approved by an administrator
    carol = await personas.api("carol")
    await ProcedureStep.update({ProcedureStep.status: "done"}).where(
        (ProcedureStep.procedure == procedure["id"]) & (ProcedureStep.position < 4)).run()
    assert (await upload(carol, fourth["id"])).status_code == 201
    assert (await carol.post(f"/api/v1/procedure-steps/{fourth['id']}/complete", json={})).status_code == 200
    await InboxMessage.delete(force=True).run()
    assert await steps_overdue_notify() == 1  # only step 4 is overdue and not done
    told = {m.user for m in await InboxMessage.objects().run()}
    assert told == {personas.user("alice").id}
