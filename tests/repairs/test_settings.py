"""A project's warranty terms: longer than the statutory ones, never shorter; its seasons;
a request in that project is decided by them."""
from __future__ import annotations

import datetime as dt
import re

from server.audit.tables import AuditEntry
from server.clock import today
from server.repairs.tables import RepairSettings
from tests.repairs.support import homes, report


async def test_longer_periods_apply_to_the_projects_requests_shorter_ones_are_refused(personas):
    h = await homes(personas)
    carol = await personas.api("carol")
    url = f"/api/v1/projects/{h['project']}/repair-settings"
    assert (await carol.get(url)).json() == {
        "structure_years": 50, "waterproofing_years": 5, "pipes_electrical_years": 2, "decoration_years": 2,
        "heating_seasons": 2, "cooling_seasons": 2, "heating_start": "11-15", "heating_end": "03-15",
        "cooling_start": "06-01", "cooling_end": "09-30", "return_visit_days": 3,
        "emergency_response_hours": "0.25", "emergency_on_site_hours": "2.00", "emergency_done_hours": "4.00",
        "normal_response_hours": "2.00", "normal_on_site_hours": "24.00", "normal_done_hours": "72.00",
        "scheduled_response_hours": "24.00", "scheduled_on_site_hours": "168.00", "scheduled_done_hours": "336.00"}
    r = await carol.put(url, json={"decoration_years": 1, "heating_seasons": "两", "cooling_start": "02-29",
                                   "return_visit_days": 0}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400
    assert r.json()["errors"] == {
        "decoration_years": "项目可以设定更长的保修期，但不得短于 2。", "heating_seasons": "请输入整数。",
        "cooling_start": "请按 月-日 填写季节的起止日，例如 11-15 和 03-15。", "return_visit_days": "请输入 1 到 60 之间的整天数。"}
    assert await RepairSettings.count().run() == 0

    delivered = today() - dt.timedelta(days=365 * 2 + 30)  # past two years, within three
    await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": delivered.isoformat()})
    await carol.post(f"/api/v1/units/{h['elsewhere']}/delivered", json={"delivered_on": delivered.isoformat()})
    assert (await report(carol, h["mine"], component="decoration")).json()["warranty"]["in_warranty"] is False
    r = await carol.put(url, json={"decoration_years": 3, "heating_start": "10-15", "heating_end": "04-15"})
    assert r.status_code == 200 and r.json()["decoration_years"] == 3
    mine = (await report(carol, h["mine"], component="decoration")).json()["warranty"]
    assert (mine["in_warranty"], mine["period"]) == (True, {"count": 3, "unit": "years"})
    # the other project keeps the statutory terms
    assert (await report(carol, h["elsewhere"], component="decoration")).json()["warranty"]["in_warranty"] is False
    assert (await (await personas.api("olga")).put(url, json={"decoration_years": 9})).status_code == 403
    assert (await (await personas.api("olga")).get(url)).status_code == 403
    audit = await AuditEntry.select(AuditEntry.details).where(AuditEntry.action == "repair_settings").output(
        load_json=True).run()
    assert [a["details"]["before"] for a in audit] == [None]
    assert audit[0]["details"]["after"]["heating_start"] == "10-15"


async def test_the_settings_page_keeps_what_was_typed_and_saves_longer_terms(personas):
    h = await homes(personas)
    carol = await personas.browser("carol")
    url = f"/repairs/projects/{h['project']}/settings"
    assert f'href="{url}"' in (await carol.get(f"/repairs?project_id={h['project']}")).text
    page = await carol.get(url)
    assert page.status_code == 200 and 'name="decoration_years" type="text" value="2"' in page.text
    form = {"structure_years": "50", "waterproofing_years": "4", "pipes_electrical_years": "2",
            "decoration_years": "3", "heating_seasons": "2", "heating_start": "11-15", "heating_end": "03-15",
            "cooling_seasons": "2", "cooling_start": "06-01", "cooling_end": "09-30", "return_visit_days": "-1"}
    r = await carol.post(url, data=form)
    assert r.status_code == 400
    assert "项目可以设定更长的保修期，但不得短于 5。" in r.text and "请输入 1 到 60 之间的整天数。" in r.text
    assert 'value="4"' in r.text and 'value="-1"' in r.text
    assert await RepairSettings.count().run() == 0
    r = await carol.post(url, data={**form, "waterproofing_years": "8", "return_visit_days": "5"},
                         follow_redirects=False)
    assert r.status_code == 303
    row = await RepairSettings.objects().first().run()
    assert (row.waterproofing_years, row.decoration_years, row.return_visit_days) == (8, 3, 5)
    assert (await (await personas.browser("ian")).get(url)).status_code == 403


async def test_a_negative_sla_on_the_settings_page_is_said_in_chinese_kept_and_not_stored(personas):
    h = await homes(personas)
    carol = await personas.browser("carol")
    url = f"/repairs/projects/{h['project']}/settings"
    page = (await carol.get(url)).text
    form = {name: value for name, value in re.findall(r'name="([a-z_]+)" type="text" value="([^"]*)"', page)}
    assert form["normal_done_hours"] == "72.00"
    r = await carol.post(url, data={**form, "normal_done_hours": "-8", "decoration_years": "3"})
    assert r.status_code == 400 and "请输入大于 0 的小时数，例如 2 或 0.25。" in r.text
    assert 'name="normal_done_hours" type="text" value="-8"' in r.text
    assert 'name="decoration_years" type="text" value="3"' in r.text
    assert await RepairSettings.count().run() == 0
