"""The job forms on a request's page (quality center: survey and plan; CS: decision, dispatch, visit,
checks), the repair unit's job list and job page, and the list's fixed query count."""
from __future__ import annotations

import re

from server.repairs.job_tables import RepairAssignment, RepairCheck, RepairPlan, RepairSurvey
from server.repairs.tables import RepairRequest
from tests.delivery.test_query_counts import _count
from tests.inspections.support import photo_files
from tests.repairs.jobs_support import PDF, assigned, repair_unit, triaged
from tests.repairs.support import multipart, report

HX = {"HX-Request": "true"}


def _client_id(html: str, action: str) -> str:
    form = re.search(rf'action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(r'name="client_id" value="([0-9a-f-]{36})"', form).group(1)


async def test_survey_plan_decision_dispatch_and_checks_on_the_pages(personas):
    party, _ = await repair_unit(personas)
    _h, repair_id = await triaged(personas)
    carol, quinn = await personas.browser("carol"), await personas.browser("quinn")
    page = (await carol.get(f"/repairs/{repair_id}")).text
    assert "提交安全质量监督中心勘查" in page
    r = await carol.post(f"/repairs/{repair_id}/send-to-survey", follow_redirects=False)
    assert r.status_code == 303
    page = (await quinn.get(f"/repairs/{repair_id}")).text
    action = f"/repairs/{repair_id}/survey"
    client_id = _client_id(page, action)
    # bad input: the message beside the field, the findings kept, nothing stored
    r = await quinn.post(action, headers=HX, files=multipart({"client_id": client_id, "findings": ""}))
    assert r.status_code == 400 and "请描述现场勘查发现的情况。" in r.text
    assert await RepairSurvey.count().run() == 0
    r = await quinn.post(action, headers=HX, files=multipart(
        {"client_id": client_id, "findings": "防水层破损"}, photo_files(1)))
    assert r.status_code == 200 and r.headers.get("hx-redirect") == f"/repairs/{repair_id}"
    page = (await quinn.get(f"/repairs/{repair_id}")).text
    assert "防水层破损" in page and "出具维修方案" in page
    action = f"/repairs/{repair_id}/plan"
    r = await quinn.post(action, headers=HX, files=multipart({"client_id": _client_id(page, action), "text": "重做防水"},
                                                            [("documents", ("方案.pdf", PDF, "application/pdf"))]))
    assert r.status_code == 200, r.text
    page = (await carol.get(f"/repairs/{repair_id}")).text
    assert "方案.pdf" in page and "批准方案" in page and "派单" not in page  # not approved yet
    r = await carol.post(f"/repairs/{repair_id}/plan-decision", data={"decision": "return"})
    assert r.status_code == 400 and "请说明退回维修方案的原因。" in r.text
    r = await carol.post(f"/repairs/{repair_id}/plan-decision", data={"decision": "approve"}, follow_redirects=False)
    assert r.status_code == 303
    page = (await carol.get(f"/repairs/{repair_id}")).text
    assert "派单" in page and f'<option value="{party.id}"' in page
    r = await carol.post(f"/repairs/{repair_id}/assign", data={"party_id": "", "visit_at": "2030-05-01T09:30"})
    assert r.status_code == 400 and "请选择维修单位。" in r.text and 'value="2030-05-01T09:30"' in r.text
    r = await carol.post(f"/repairs/{repair_id}/assign", data={"party_id": str(party.id),
                                                               "visit_at": "2030-05-01T09:30"}, follow_redirects=False)
    assert r.status_code == 303
    assert (await RepairAssignment.objects().first().run()).party == party.id
    rita = await personas.browser("rita")
    jobs = (await rita.get("/repairs/jobs")).text
    assert f'data-job="{repair_id}"' in jobs and "2030-05-01 09:30" in jobs
    job = (await rita.get(f"/repairs/jobs/{repair_id}")).text
    assert "开始维修" in job and "重做防水" in job
    r = await rita.post(f"/repairs/jobs/{repair_id}/start", follow_redirects=False)
    assert r.status_code == 303
    page = (await carol.get(f"/repairs/{repair_id}")).text
    action = f"/repairs/{repair_id}/checks"
    r = await carol.post(action, headers=HX, files=multipart(
        {"client_id": _client_id(page, action), "aspect": "safety", "result": "not_ok"}))
    assert r.status_code == 400 and "请说明存在的问题。" in r.text and await RepairCheck.count().run() == 0
    r = await carol.post(action, headers=HX, files=multipart(
        {"client_id": _client_id(page, action), "aspect": "safety", "result": "not_ok", "note": "无围挡"}))
    assert r.status_code == 200
    page = (await carol.get(f"/repairs/{repair_id}")).text
    row = re.search(r'<tr data-check="\d+">.*?</tr>', page, re.S).group(0)
    assert "维修安全" in row and "不合格" in row and "无围挡" in row
    assert (await RepairPlan.objects().first().run()).decision == "approved"


async def test_the_job_list_and_pages_are_the_units_own(personas):
    party, _ = await repair_unit(personas)
    _h, repair_id = await assigned(personas, party.id)
    rita, bob, carol = await personas.browser("rita"), await personas.browser("bob"), await personas.browser("carol")
    assert 'data-job="' not in (await bob.get("/repairs/jobs")).text
    assert (await bob.get(f"/repairs/jobs/{repair_id}")).status_code == 404
    assert (await bob.post(f"/repairs/jobs/{repair_id}/start")).status_code == 404
    assert (await carol.get("/repairs/jobs")).status_code == 403
    assert (await rita.get(f"/repairs/{repair_id}")).status_code == 403  # the staff page is not theirs
    assert (await rita.post(f"/repairs/{repair_id}/assign", data={"party_id": "1"})).status_code == 403
    assert (await RepairRequest.objects().get(RepairRequest.id == repair_id).run()).status == "assigned"


async def test_the_job_list_costs_the_same_for_one_job_or_many(personas, monkeypatch):
    party, _ = await repair_unit(personas)
    _h, first = await assigned(personas, party.id, visit_at="2030-01-01T10:00")
    rita_api, rita = await personas.api("rita"), await personas.browser("rita")
    paths = [(rita_api, "/api/v1/repairs"), (rita, "/repairs/jobs")]
    one = [await _count(monkeypatch, client, path) for client, path in paths]
    olga, carol = await personas.api("olga"), await personas.api("carol")
    unit = (await RepairRequest.objects().get(RepairRequest.id == first).run()).unit
    for index in range(22):
        repair_id = (await report(olga, unit, files=photo_files(1) if index % 2 else None)).json()["id"]
        await carol.post(f"/api/v1/repairs/{repair_id}/triage", json={
            "component": "waterproofing", "urgency": "normal", "survey_needed": False})
        r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={
            "party_id": party.id, "visit_at": "2030-01-02T10:00" if index % 3 else ""})
        assert r.status_code == 201
    many = [await _count(monkeypatch, client, path) for client, path in paths]
    assert len(__import__("json").loads(many[0][1])["items"]) == 23
    assert many[1][1].count('data-job="') == 20  # a page of the page's size
    # The same queries whatever the number of jobs, but for the count: one job fits on its page, which
    # shows the total (pagination.total_shown_by); 23 fill the page of 20 and the page counts them.
    api_one, page_one = (count for count, _ in one)
    assert [count for count, _ in many] == [api_one, page_one + 1]


async def test_the_unit_completes_through_its_link_and_the_owner_signs_on_that_phone(personas, client):
    from server.notifications.tables import InboxMessage
    from server.photos.tables import Photo
    from server.repairs.closing_tables import RepairCompletion, RepairSignoff
    from tests.repairs.closing_support import signature
    from tests.support import csrf

    party, _ = await repair_unit(personas)
    _h, repair_id = await assigned(personas, party.id)
    path = (await InboxMessage.objects().where(InboxMessage.party == party.id).first().run()).link
    await csrf(client)
    assert (await client.post(f"{path}/start")).status_code in (200, 303)
    page = (await client.get(path)).text
    assert f'action="{path}/complete"' in page and f'href="/owner/repairs/{repair_id}/sign"' not in page
    r = await client.post(f"{path}/complete", files=multipart(
        {"note": "已更换防水层"}, [("photos", ("after.txt", b"just text", "text/plain"))]))
    assert r.status_code == 415 and "不支持此文件格式" in r.text and ">已更换防水层</textarea>" in r.text
    assert (await RepairCompletion.count().run(), await Photo.count().where(Photo.stage == "after").run()) == (0, 0)
    r = await client.post(f"{path}/complete", files=multipart({"note": "已更换防水层"}, photo_files(1)),
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{path}/sign"
    sign = (await client.get(f"{path}/sign")).text
    assert 'data-signature="f-owner"' in sign and "已更换防水层" in sign
    r = await client.post(f"{path}/sign", data={"outcome": "signed", "signature": signature()},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == path
    signoff = await RepairSignoff.objects().first().run()
    assert (signoff.via, signoff.outcome) == ("screen", "signed")
    assert (await RepairRequest.objects().get(RepairRequest.id == repair_id).run()).status == "signed_off"
