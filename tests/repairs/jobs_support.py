"""Helpers for the repair-job tests: a triaged request, a repair unit, moving a job along."""
from __future__ import annotations

from typing import Any

from tests.inspections.support import photo_files
from tests.repairs.support import homes, multipart, new_id, report

ZH = {"Accept-Language": "zh-CN"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def repair_unit(personas: Any, name: str = "修缮公司") -> tuple[Any, Any]:
    """A party of kind repair_unit and a contractor user of it (rita); (party, user)."""
    from server.accounts.tables import User
    from server.org.services import party_create

    party = await party_create(actor=None, name=name, kind="repair_unit")
    bob = personas.user("bob")
    user = User(username="rita", password_hash=bob.password_hash, role="contractor", party=party.id,
                display_name="Rita")
    await user.save().run()
    personas.users["rita"] = user
    return party, user


async def triaged(personas: Any, *, survey_needed: bool = True) -> tuple[dict, int]:
    """Olga's leak, triaged by carol; (homes, repair id)."""
    h = await homes(personas)
    olga, carol = await personas.api("olga"), await personas.api("carol")
    repair_id = (await report(olga, h["mine"])).json()["id"]
    r = await carol.post(f"/api/v1/repairs/{repair_id}/triage", json={
        "component": "waterproofing", "urgency": "normal", "survey_needed": survey_needed})
    assert r.status_code == 200, r.text
    return h, repair_id


async def surveyed(personas: Any) -> tuple[dict, int]:
    """Triaged, sent to survey, and surveyed by quinn with a photo."""
    h, repair_id = await triaged(personas)
    carol, quinn = await personas.api("carol"), await personas.api("quinn")
    assert (await carol.post(f"/api/v1/repairs/{repair_id}/send-to-survey")).status_code == 200
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/surveys", headers=ZH, files=multipart(
        {"client_id": new_id(), "findings": "卫生间防水层破损，楼板渗水"}, photo_files(1)))
    assert r.status_code == 201, r.text
    return h, repair_id


async def planned(personas: Any, *, approve: bool = True) -> tuple[dict, int]:
    h, repair_id = await surveyed(personas)
    quinn, carol = await personas.api("quinn"), await personas.api("carol")
    r = await quinn.post(f"/api/v1/repairs/{repair_id}/plans", headers=ZH, files=multipart(
        {"client_id": new_id(), "text": "凿除地面，重做防水层，闭水试验48小时"},
        [("documents", ("方案.pdf", PDF, "application/pdf"))]))
    assert r.status_code == 201, r.text
    if approve:
        r = await carol.post(f"/api/v1/repairs/{repair_id}/plan-decision", json={"decision": "approve"})
        assert r.status_code == 200, r.text
    return h, repair_id


async def assigned(personas: Any, party_id: int, **extra: Any) -> tuple[dict, int]:
    h, repair_id = await triaged(personas, survey_needed=False)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/repairs/{repair_id}/assign", json={"party_id": party_id, **extra})
    assert r.status_code == 201, r.text
    return h, repair_id
