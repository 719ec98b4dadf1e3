"""Demo data of repair jobs (server/demo.py): a survey on the request waiting for one, and a job surveyed,
planned, approved and dispatched to the demo repair unit with a visit agreed for tomorrow morning."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server import clock
from server.repairs import dispatch, services, survey
from server.repairs.tables import RepairRequest


async def demo_jobs(*, cs: Any, quality: Any, repair_party_id: int, unit_id: int) -> None:
    waiting = await RepairRequest.objects().where(RepairRequest.status == "surveying").first().run()
    if waiting is not None:
        await survey.survey_record(actor=quality, repair=waiting, fields={
            "findings": "厨房下水管与立管接口处胶圈老化，橱柜底板已泡水。"})
    repair, _created = await services.repair_report(actor=cs, unit_id=unit_id, fields={
        "component": "waterproofing", "location": "阳台", "description": "阳台外墙内侧渗水，墙皮起鼓（业主电话报修）",
        "channel": "phone", "preferred_times": "明天上午"})
    await services.repair_triage(actor=cs, repair=repair, component="waterproofing", urgency="normal",
                                 survey_needed=True)
    await survey.send_to_survey(actor=cs, repair=repair)
    await survey.survey_record(actor=quality, repair=repair, fields={
        "findings": "阳台外墙窗台下方打胶开裂，雨水沿缝渗入；内墙含水率高。"})
    await survey.plan_issue(actor=quality, repair=repair, fields={
        "text": "铲除外墙窗台下开裂胶缝，重新打耐候密封胶；内墙铲除起鼓墙皮，干燥后重做腻子和涂料。"})
    await survey.plan_decide(actor=cs, repair=repair, decision="approve")
    tomorrow = clock.today() + dt.timedelta(days=1)
    await dispatch.repair_assign(actor=cs, repair=repair, fields={
        "party_id": str(repair_party_id), "visit_at": f"{tomorrow.isoformat()}T09:30",
        "visit_note": "业主上午在家，电话联系后上门"})
