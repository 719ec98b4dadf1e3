"""A rectified defect tells the people who act next, and nobody else; the
channels carry one message per destination per hour, the inbox every item."""
import datetime as dt
import re

from server.clock import local_time
from server.jobs import enqueue
from server.notifications.tables import ChannelDestination, ChannelItem, ChannelMessage, InboxMessage
from tests.inspections.support import WebhookReceiver, complete, defect_form, photo_files, unit_under_inspection
from tests.notifications.support import SmtpReceiver, inbox_counts, inbox_of, join_party
from tests.photos.support import run_worker


async def _defects_to_rectify(personas, count: int) -> list[int]:
    """`count` defects of Builder A on one unit, inspected by ian, notice sent; their ids."""
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    ids = []
    for i in range(count):
        r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                           data=defect_form(personas.parties["builder_a"].id, description=f"墙面空鼓 {i}"),
                           files=photo_files(1))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert (await complete(ian, inspection["id"])).status_code == 200
    return ids


async def _rectify(personas, defect_ids: list[int]) -> None:
    bob = await personas.api("bob")
    for defect_id in defect_ids:
        r = await bob.post(f"/api/v1/defects/{defect_id}/rectify", data={"note": "已修补"}, files=photo_files(1))
        assert r.status_code == 200, r.text


async def _an_hour_passes() -> None:
    await ChannelDestination.update({ChannelDestination.last_sent_at: ChannelDestination.last_sent_at
                                     - dt.timedelta(minutes=61)}).where(
        ChannelDestination.last_sent_at.is_not_null()).run()


async def test_a_rectified_defect_tells_checkers_and_recheckers_through_inbox_webhook_and_email(personas, monkeypatch):
    from server.accounts.tables import User
    from server.settings import reset_settings
    from workers.settings import WorkerSettings

    other_inspector = User(username="ivy", password_hash="x", role="inspector", display_name="Ivy")
    await other_inspector.save().run()
    with WebhookReceiver() as robot, SmtpReceiver() as smtp:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        reset_settings()
        try:
            await join_party(personas, ["sam"], "监理公司", "supervision_unit", webhook_url=robot.url("/robot/sup"))
            await join_party(personas, ["paul"], "项目部", "department", email="xiangmu@dev.example")
            [defect_id] = await _defects_to_rectify(personas, 1)
            await run_worker(WorkerSettings)  # photos, and the contractor's notice
            before = await inbox_counts(personas)
            assert before == {}  # the contractor's notice is addressed to its party, not a person

            await _rectify(personas, [defect_id])
            await run_worker(WorkerSettings)
        finally:
            monkeypatch.delenv("SMTP_HOST")
            reset_settings()

    # Exactly who: the checkers (sam, paul), CS staff (carol) and the inspector who found it (ian).
    assert await inbox_counts(personas) == {"sam": 1, "paul": 1, "carol": 1, "ian": 1}
    assert await InboxMessage.count().where(InboxMessage.user == other_inspector.id).run() == 0
    [to_check] = await inbox_of(personas, "sam")
    assert to_check["title"] == "待检查：阳光花园 1号楼 101" and to_check["link"] == f"/checks/defects/{defect_id}"
    assert "Builder A" in to_check["body"] and "墙面空鼓 0" in to_check["body"]
    assert (await inbox_of(personas, "paul")) == [to_check]
    [to_recheck] = await inbox_of(personas, "carol")
    assert to_recheck["title"] == "待复验：阳光花园 1号楼 101"
    assert to_recheck["link"] == f"/rechecks#recheck-{defect_id}"
    assert await inbox_of(personas, "ian") == [to_recheck]
    # The channels of their parties: the supervision unit's robot and the department's mailbox, once each.
    assert [m["path"] for m in robot.received if m["path"] == "/robot/sup"] == ["/robot/sup"]
    sup = next(m for m in robot.received if m["path"] == "/robot/sup")["json"]["markdown"]
    assert sup["title"] == "待检查：阳光花园 1号楼 101"
    assert f"/checks/defects/{defect_id}" in sup["content"]
    assert [m["to"] for m in smtp.messages] == [["xiangmu@dev.example"]]
    assert smtp.messages[0]["subject"] == "待检查：阳光花园 1号楼 101"
    assert await ChannelMessage.count().where(ChannelMessage.status == "sent").run() == 2


async def test_many_rectified_in_an_hour_make_one_message_per_destination_and_an_inbox_line_each(personas):
    from workers.settings import WorkerSettings

    with WebhookReceiver() as robot:
        await join_party(personas, ["sam"], "监理公司", "supervision_unit", webhook_url=robot.url("/robot/sup"))
        await join_party(personas, ["carol", "ian"], "客服中心", "department", webhook_url=robot.url("/robot/cs"))
        ids = await _defects_to_rectify(personas, 13)
        await run_worker(WorkerSettings)
        robot.received.clear()

        await _rectify(personas, ids[:1])
        await run_worker(WorkerSettings)  # the first goes at once
        assert sorted(m["path"] for m in robot.received) == ["/robot/cs", "/robot/sup"]

        await _rectify(personas, ids[1:])
        await run_worker(WorkerSettings)  # twelve more within the hour: they wait
        assert len(robot.received) == 2
        assert await ChannelItem.count().where(ChannelItem.message.is_null()).run() == 24

        await _an_hour_passes()
        for row in await ChannelDestination.select(ChannelDestination.id).run():
            await enqueue("channel_flush", row["id"], job_id=f"test-flush:{row['id']}")
        await run_worker(WorkerSettings)

    assert sorted(m["path"] for m in robot.received) == ["/robot/cs", "/robot/cs", "/robot/sup", "/robot/sup"]
    digest = [m["json"]["markdown"] for m in robot.received[2:] if m["path"] == "/robot/sup"][0]
    assert digest["title"] == "12 条新消息"
    assert sorted(int(i) for i in re.findall(r"/checks/defects/(\d+)", digest["content"])) == sorted(ids[1:])
    # carol and ian share one robot: one digest for both, each defect once.
    cs = [m["json"]["markdown"]["content"] for m in robot.received[2:] if m["path"] == "/robot/cs"][0]
    assert cs.count("待复验") == 12
    # The inbox lists every defect for every person.
    assert await inbox_counts(personas) == {"sam": 13, "paul": 13, "carol": 13, "ian": 13}
    assert await ChannelItem.count().where(ChannelItem.message.is_null()).run() == 0


async def test_the_sweep_sends_a_due_digest_once_and_retries_a_failure(personas):
    from server.notifications import digests

    with WebhookReceiver() as robot:
        await join_party(personas, ["sam"], "监理公司", "supervision_unit", webhook_url=robot.url("/robot/sup"))
        ids = await _defects_to_rectify(personas, 2)
        robot.fail_next = 1
        await _rectify(personas, ids)  # Redis jobs left unrun: the sweep finds the work
        assert await digests.sweep() == ["retrying"]
        assert robot.received == []
        assert await digests.sweep() == []  # not before its backoff, and the hour is claimed
        await ChannelMessage.update({ChannelMessage.next_attempt_at: dt.datetime.now(dt.timezone.utc)}, force=True).run()
        assert await digests.sweep() == ["sent"]
        assert [m["json"]["markdown"]["title"] for m in robot.received] == ["2 条新消息"]
        assert await digests.sweep() == []


async def test_a_failed_recheck_tells_the_construction_unit_again_with_the_reason_and_the_new_deadline(personas):
    from server.inspections.tables import Defect
    from server.org.tables import Party
    from workers.settings import WorkerSettings

    builder_a, builder_b = personas.parties["builder_a"], personas.parties["builder_b"]
    with WebhookReceiver() as robot:
        await Party.update({Party.webhook_url: robot.url("/robot/a")}).where(Party.id == builder_a.id).run()
        await Party.update({Party.webhook_url: robot.url("/robot/b")}).where(Party.id == builder_b.id).run()
        [defect_id] = await _defects_to_rectify(personas, 1)
        await _rectify(personas, [defect_id])
        await run_worker(WorkerSettings)
        robot.received.clear()
        before = await InboxMessage.count().where(InboxMessage.party == builder_a.id).run()

        carol = await personas.api("carol")
        r = await carol.post(f"/api/v1/defects/{defect_id}/recheck", json={"result": "fail", "note": "仍有空鼓"})
        assert r.status_code == 200, r.text
        await run_worker(WorkerSettings)

    defect = await Defect.objects().get(Defect.id == defect_id).run()
    told = await InboxMessage.select(InboxMessage.title, InboxMessage.body, InboxMessage.link).where(
        InboxMessage.party == builder_a.id).order_by(InboxMessage.id).run()
    assert len(told) == before + 1
    assert told[-1]["title"] == "复验不通过：阳光花园 1号楼 101"
    assert "仍有空鼓" in told[-1]["body"]
    assert local_time(defect.deadline) in told[-1]["body"]
    assert told[-1]["link"] == f"/tasks/defects/{defect_id}"
    assert await InboxMessage.count().where(InboxMessage.party == builder_b.id).run() == 0
    assert [m["path"] for m in robot.received] == ["/robot/a"]
    assert robot.received[0]["json"]["markdown"]["title"] == "复验不通过：阳光花园 1号楼 101"
