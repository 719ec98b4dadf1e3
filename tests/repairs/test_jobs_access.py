"""Who may do what to a repair job: a repair unit sees exactly its own jobs (404 for another's), each
role outside a move gets 403; the password-free job link opens that job only."""
from __future__ import annotations

from server import signing
from server.repairs.job_tables import RepairAssignment, RepairCheck, RepairPlan, RepairSurvey
from server.repairs.tables import RepairRequest
from tests.repairs.jobs_support import assigned, repair_unit, triaged
from tests.repairs.support import multipart


async def test_a_repair_unit_sees_exactly_its_own_jobs(personas):
    party, _ = await repair_unit(personas)
    _h, mine = await assigned(personas, party.id)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    from tests.repairs.support import report

    unit = (await RepairRequest.objects().get(RepairRequest.id == mine).run()).unit
    theirs = (await report(olga, unit, component="decoration")).json()["id"]
    await carol.post(f"/api/v1/repairs/{theirs}/triage", json={"component": "decoration", "urgency": "normal",
                                                               "survey_needed": False})
    builder_a = personas.parties["builder_a"].id
    assert (await carol.post(f"/api/v1/repairs/{theirs}/assign", json={"party_id": builder_a})).status_code == 201
    unassigned = (await report(olga, unit, component="heating")).json()["id"]
    rita, bob, bert = await personas.api("rita"), await personas.api("bob"), await personas.api("bert")
    for client, own, others in ((rita, mine, (theirs, unassigned)), (bob, theirs, (mine, unassigned))):
        listed = (await client.get("/api/v1/repairs")).json()
        assert [i["id"] for i in listed["items"]] == [own] and listed["total"] == 1
        assert (await client.get(f"/api/v1/repairs/{own}")).status_code == 200
        assert (await client.get(f"/api/v1/repairs/{own}/job")).status_code == 200
        for other in others:
            assert (await client.get(f"/api/v1/repairs/{other}")).status_code == 404
            assert (await client.get(f"/api/v1/repairs/{other}/job")).status_code == 404
            assert (await client.post(f"/api/v1/repairs/{other}/start")).status_code == 404
    assert (await bert.get("/api/v1/repairs")).json()["total"] == 0
    # once the job goes to another unit, the first one no longer sees it
    await RepairRequest.update({RepairRequest.status: "triaged"}).where(RepairRequest.id == mine).run()
    assert (await carol.post(f"/api/v1/repairs/{mine}/assign", json={"party_id": builder_a})).status_code == 201
    assert (await rita.get(f"/api/v1/repairs/{mine}")).status_code == 404
    assert (await bob.get("/api/v1/repairs")).json()["total"] == 2


async def test_each_role_outside_a_move_is_refused(personas):
    party, _ = await repair_unit(personas)
    _h, repair_id = await triaged(personas)
    base = f"/api/v1/repairs/{repair_id}"
    clients = {name: await personas.api(name) for name in ("olga", "ian", "quinn", "rita", "bob", "sam")}
    moves = [("send-to-survey", {}, ("olga", "ian", "quinn", "sam")),
             ("surveys", None, ("olga", "ian", "sam", "bob")),
             ("plans", None, ("olga", "ian", "sam")),
             ("plan-decision", {"decision": "approve"}, ("olga", "ian", "quinn", "sam")),
             ("assign", {"party_id": party.id}, ("olga", "ian", "quinn", "sam", "bob")),
             ("visit-time", {"visit_at": "2030-01-01T10:00"}, ("olga", "ian", "quinn")),
             ("checks", None, ("olga", "ian", "quinn", "bob")),
             ("start", {}, ("olga", "ian", "quinn", "sam"))]
    for path, body, names in moves:
        for name in names:
            if body is None:
                r = await clients[name].post(f"{base}/{path}", files=multipart({"findings": "x", "text": "x"}))
            else:
                r = await clients[name].post(f"{base}/{path}", json=body)
            assert r.status_code in (403, 404), (path, name, r.status_code)
            if name in ("olga", "ian", "quinn", "sam"):
                assert r.status_code == 403, (path, name)
    # a contractor whose unit has no job here: not even told the job exists
    assert (await clients["rita"].post(f"{base}/start")).status_code == 404
    assert (await clients["rita"].get(f"{base}/job")).status_code == 404
    assert (await RepairRequest.objects().get(RepairRequest.id == repair_id).run()).status == "triaged"
    for table in (RepairSurvey, RepairPlan, RepairAssignment, RepairCheck):
        assert await table.count().run() == 0


async def test_the_job_link_opens_that_job_only(personas, client):
    party, _ = await repair_unit(personas)
    _h, repair_id = await assigned(personas, party.id, visit_at="2030-05-01T09:30")
    link = (await RepairAssignment.objects().first().run())
    from server.notifications.tables import InboxMessage

    path = (await InboxMessage.objects().where(InboxMessage.party == party.id).first().run()).link
    page = await client.get(path, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "卫生间顶棚漏水" in page.text and "2030-05-01 09:30" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    from tests.support import csrf

    await csrf(client)
    token = path.split("/")[2]
    payload, mac = token.split(".")
    forged = signing.sign("repair_job", {"a": link.id, "r": repair_id + 1, "p": party.id}, 60)
    wrong_purpose = signing.sign("notice", {"a": link.id, "r": repair_id, "p": party.id}, 60)
    expired = signing.sign("repair_job", {"a": link.id, "r": repair_id, "p": party.id}, -10)
    altered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{mac}"
    for bad in (forged, wrong_purpose, expired, altered, "nonsense"):
        assert (await client.get(f"/rj/{bad}/")).status_code == 410, bad
        assert (await client.post(f"/rj/{bad}/start")).status_code == 410
    # the link starts the repair, without a password; audited as the unit
    r = await client.post(f"{path}/start")
    assert r.status_code in (200, 303), r.text
    assert (await RepairRequest.objects().get(RepairRequest.id == repair_id).run()).status == "in_repair"
    # given to another unit: the old link opens nothing
    await RepairAssignment.update({RepairAssignment.superseded: True}).where(RepairAssignment.id == link.id).run()
    assert (await client.get(path)).status_code == 410
