"""Helpers for the hand-off tests: a local SMTP receiver, parties with channels, who got what."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from typing import Any

from server.notifications.tables import InboxMessage


class SmtpReceiver:
    """A real SMTP server on a free local port (aiosmtpd) that keeps each mail."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
                mail = message_from_bytes(envelope.content, policy=policy.default)
                receiver.messages.append({"to": envelope.rcpt_tos, "subject": str(mail["Subject"]),
                                          "body": mail.get_content()})
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpReceiver":
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


async def inbox_of(personas: Any, name: str) -> list[dict]:
    """The messages addressed to one persona (to them, not to their party), oldest first."""
    return await InboxMessage.select(InboxMessage.title, InboxMessage.body, InboxMessage.link).where(
        InboxMessage.user == personas.user(name).id).order_by(InboxMessage.id).run()


async def inbox_counts(personas: Any) -> dict[str, int]:
    """{persona: messages addressed to them} for every persona with at least one."""
    counts = {}
    for name, user in personas.users.items():
        n = await InboxMessage.count().where(InboxMessage.user == user.id).run()
        if n:
            counts[name] = n
    return counts


async def join_party(personas: Any, names: list[str], party_name: str, kind: str, **channels: str) -> Any:
    """A party with these channels (webhook_url, email), and these personas in it."""
    from server.accounts.tables import User
    from server.org.services import party_create

    party = await party_create(actor=None, name=party_name, kind=kind, **channels)
    for name in names:
        await User.update({User.party: party.id}).where(User.id == personas.user(name).id).run()
        personas.user(name).party = party.id
    return party
