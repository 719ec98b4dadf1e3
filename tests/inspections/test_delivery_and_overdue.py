"""Notice delivery (webhook retried with backoff, email over SMTP) and overdue escalation."""
import datetime as dt

import pytest

from server.inspections.dispatch import backoff, deliveries_due, notice_deliver_all
from server.inspections.notices import notice_from_token, notice_link_token
from server.inspections.overdue import overdue_mark
from server.inspections.tables import Defect, NoticeDelivery, RectificationNotice
from server.notifications.tables import InboxMessage
from tests.inspections.support import complete, WebhookReceiver, defect_form, photo_files, unit_under_inspection


async def _finished_inspection(personas, party_key="builder_a"):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                   data=defect_form(personas.parties[party_key].id), files=photo_files(1))
    done = (await complete(ian, inspection["id"])).json()
    return done["notice_ids"][0]


async def test_a_failing_webhook_is_retried_with_backoff_and_shown_meanwhile(personas):
    from server.org.services import party_update

    with WebhookReceiver() as receiver:
        await party_update(actor=None, party_id=personas.parties["builder_a"].id, webhook_url=receiver.url("/robot"))
        notice_id = await _finished_inspection(personas)
        receiver.fail_next = 1
        results = await notice_deliver_all(notice_id)
        assert sorted(results) == ["retrying", "sent"]  # the inbox got it; the robot answered 500
        webhook = await NoticeDelivery.objects().get(
            (NoticeDelivery.notice == notice_id) & (NoticeDelivery.channel == "webhook")).run()
        assert webhook.status == "retrying" and "500" in webhook.last_error and webhook.attempts == 1
        assert await deliveries_due() == []  # not before its backoff
        await NoticeDelivery.update({NoticeDelivery.next_attempt_at: dt.datetime.now(dt.timezone.utc)}).where(
            NoticeDelivery.id == webhook.id).run()
        from workers.notices import sweep_deliveries

        assert await sweep_deliveries({}) == 1
        assert len(receiver.received) == 1
        link = receiver.received[0]["json"]["markdown"]["content"]
        assert "/n/" in link
    # The staff page of the notice shows each channel's state.
    carol = await personas.browser("carol")
    page = await carol.get(f"/tasks/notices/{notice_id}")
    assert page.status_code == 200


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(20).total_seconds() == 7200


async def test_email_goes_out_over_smtp_when_configured(personas, monkeypatch):
    from aiosmtpd.controller import Controller

    from server.org.services import party_update
    from server.settings import reset_settings

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(port))
        reset_settings()
        await party_update(actor=None, party_id=personas.parties["builder_a"].id, email="site@builder-a.example")
        notice_id = await _finished_inspection(personas)
        assert sorted(await notice_deliver_all(notice_id)) == ["sent", "sent"]
        assert inbox.messages[0].rcpt_tos == ["site@builder-a.example"]
        from email import message_from_bytes, policy

        mail = message_from_bytes(inbox.messages[0].content, policy=policy.default)
        assert "整改通知单" in mail["Subject"] and "/n/" in mail.get_content()
    finally:
        controller.stop()
        monkeypatch.delenv("SMTP_HOST")
        reset_settings()


async def test_overdue_work_is_marked_once_and_escalated_to_the_project_department(personas):
    notice_id = await _finished_inspection(personas)
    await notice_deliver_all(notice_id)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    delivery_ids = await overdue_mark(later)
    assert delivery_ids  # an overdue reminder for the contractor
    defect = await Defect.objects().where(Defect.notice == notice_id).first().run()
    assert defect.overdue_since is not None
    escalations = await InboxMessage.select().where(InboxMessage.user == personas.user("paul").id).run()
    assert len(escalations) == 1 and "逾期" in escalations[0]["title"]
    assert await overdue_mark(later + dt.timedelta(minutes=5)) == []  # once per deadline
    bob = await personas.api("bob")
    listed = (await bob.get("/api/v1/defects?overdue=true")).json()
    assert listed["total"] == 0  # not overdue by the real clock yet; the filter uses now


async def test_the_password_free_link_is_signed_and_expires(personas, monkeypatch):
    notice_id = await _finished_inspection(personas)
    notice = await RectificationNotice.objects().get(RectificationNotice.id == notice_id).run()
    token = notice_link_token(notice.id, notice.party)
    assert notice_from_token(token) == (notice.id, notice.party)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert notice_from_token(tampered) is None
    import time

    monkeypatch.setattr(time, "time", lambda: 10 ** 12)
    assert notice_from_token(token) is None


@pytest.mark.parametrize("token", ["", "abc", "a.b", "..", "eyJuIjoxfQ.AAAA"])
def test_garbage_tokens_are_refused(token):
    assert notice_from_token(token) is None
