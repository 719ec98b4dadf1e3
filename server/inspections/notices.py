"""Rectification notices (整改通知单): made when an inspection is finished,
one per construction unit, and dispatched through its channels by a worker."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from server import signing
from server.audit.services import audit_record
from server.inspections.tables import Defect, Inspection, NoticeDelivery, PartyProject, RectificationNotice
from server.jobs import enqueue
from server.notifications.channels import email_enabled
from server.org.tables import Party, Unit
from server.settings import get_settings

LINK_PURPOSE = "notice"
LINK_DAYS = 30


def notice_number(inspection_id: int, party_id: int, when: dt.datetime) -> str:
    return f"ZG{when:%Y%m%d}-{inspection_id}-{party_id}"


def notice_link_token(notice_id: int, party_id: int) -> str:
    """A password-free link for the contractor: that notice's defects only, for LINK_DAYS."""
    return signing.sign(LINK_PURPOSE, {"n": notice_id, "p": party_id}, LINK_DAYS * 86400)


def notice_from_token(token: str) -> tuple[int, int] | None:
    data = signing.unsign(LINK_PURPOSE, token)
    if not data or not isinstance(data.get("n"), int) or not isinstance(data.get("p"), int):
        return None
    return data["n"], data["p"]


def deadline_for(severity: str, start: dt.datetime | None = None) -> dt.datetime:
    """When a defect of this severity must be rectified, counted from `start` (now)."""
    settings = get_settings()
    days = settings.urgent_rectify_days if severity == "urgent" else settings.rectify_days
    return (start or dt.datetime.now(dt.timezone.utc)) + dt.timedelta(days=days)


async def notices_create(*, actor: Any, inspection: Inspection) -> list[int]:
    """Inside the completing transaction: one notice per construction unit with
    open defects, each defect given its deadline, and a delivery row per channel."""
    defects = await Defect.select(Defect.id, Defect.construction_unit, Defect.severity).where(
        (Defect.inspection == inspection.id) & (Defect.status == "open")).run()
    by_party: dict[int, list[dict]] = defaultdict(list)
    for defect in defects:
        by_party[defect["construction_unit"]].append(defect)
    parties = {p["id"]: p for p in await Party.select().where(Party.id.is_in(list(by_party) or [-1])).run()}
    start = dt.datetime.now(dt.timezone.utc)
    notice_ids = []
    for party_id, party_defects in sorted(by_party.items()):
        deadlines = {d["id"]: deadline_for(d["severity"], start) for d in party_defects}
        notice = RectificationNotice(inspection=inspection.id, party=party_id, deadline=max(deadlines.values()),
                                     number=notice_number(inspection.id, party_id, start))
        await notice.save().run()
        # The deadline depends only on severity: one update per severity, not per defect.
        for severity in {d["severity"] for d in party_defects}:
            ids = [d["id"] for d in party_defects if d["severity"] == severity]
            await Defect.update({Defect.notice: notice.id, Defect.deadline: deadlines[ids[0]]}).where(
                Defect.id.is_in(ids)).run()
        party = parties[party_id]
        channels = ["inbox"]
        if party["webhook_url"]:
            channels.append("webhook")
        if party["email"] and email_enabled():
            channels.append("email")
        await NoticeDelivery.insert(*[NoticeDelivery(notice=notice.id, channel=c) for c in channels]).run()
        await audit_record(actor=actor, object_type="rectification_notice", object_id=notice.id, action="create",
                           details={"party_id": party_id, "defects": len(party_defects), "channels": channels})
        notice_ids.append(notice.id)
    if by_party:
        await _remember_projects(inspection, list(by_party))
    return notice_ids


async def _remember_projects(inspection: Inspection, party_ids: list[int]) -> None:
    """These parties now have work in the inspection's project (PartyProject: their task list's filter).
    DO NOTHING on the pair already there, also when another inspection of the project just added it."""
    place = await Unit.select(Unit.building.project.as_alias("project")).where(Unit.id == inspection.unit).first().run()
    await PartyProject.insert(*[PartyProject(party=p, project=place["project"]) for p in party_ids]).on_conflict(
        action="DO NOTHING").run()


async def notices_dispatch(notice_ids: list[int]) -> None:
    """After commit: queue each notice's delivery. If Redis is down the
    deliveries stay pending and the worker's sweep sends them later."""
    for notice_id in notice_ids:
        await enqueue("notice_dispatch", notice_id, job_id=f"notice:{notice_id}")
