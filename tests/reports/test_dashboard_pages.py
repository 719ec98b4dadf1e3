"""The dashboard page: figures, drill-down links, filters kept on a refusal, the
Excel download opened back with openpyxl, and who may open it."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.reports.known import build


async def test_dashboard_shows_every_figure_with_its_table(personas):
    ids = await build()
    carol = await personas.browser("carol")
    r = await carol.get(f"/dashboards/projects/{ids['project']}", headers={"accept": "text/html"})
    assert r.status_code == 200, r.text
    html = r.text
    assert "60.00%" in html
    for key in ("pass_rate", "open_by_category", "open_by_contractor", "ageing", "rectification_times",
                "reopen_rates", "overdue_now", "planned_done", "inquiries_by_category", "sla_attainment",
                "satisfaction_trend"):
        section = html.split(f'id="fig-{key}"')[1].split("</section>")[0]
        assert "<svg" in section and "<table>" in section, key
        assert f"dashboard.xlsx?table={key}" in section, key
    # Drill-down: the building row of the pass-rate table links to the building's dashboard.
    assert f'href="/dashboards/projects/{ids["project"]}?building_id={ids["1号楼"]}"' in html
    assert f'contractor_id={ids["甲公司"]}' in html
    r = await carol.get(f"/dashboards/projects/{ids['project']}", params={"contractor_id": ids["甲公司"]},
                        headers={"accept": "text/html"})
    assert "80.00%" in r.text and "甲公司 ×" in r.text


async def test_sla_and_satisfaction_on_the_page_and_a_month_drills_to_its_dates(personas):
    ids = await build()
    carol = await personas.browser("carol")
    base = f"/dashboards/projects/{ids['project']}"
    html = (await carol.get(base, headers={"accept": "text/html"})).text
    sla = html.split('id="fig-sla_attainment"')[1].split("</section>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>((?:\s*<td class="num">[^<]*</td>)+)', sla)
    cells = {label: re.findall(r'<td class="num">([^<]*)</td>', tds) for label, tds in rows}
    assert cells["报修：紧急"] == ["2", "1", "50.00"]  # the dataset's NOW is past: asked now, more are due
    assert cells["客户咨询（答复）"][2] == "33.33"
    trend = html.split('id="fig-satisfaction_trend"')[1].split("</section>")[0]
    assert "回访满意度（按月）" in trend and "3.50" in trend and "4.50" in trend
    assert 'viewBox="0 0 320' in trend  # the averages drawn on a 0-5 scale
    month = f'href="{base}?date_from=2026-02-01&amp;date_to=2026-02-28"'
    assert month in trend
    r = await carol.get(base, params={"date_from": "2026-02-01", "date_to": "2026-02-28"},
                        headers={"accept": "text/html"})
    trend = r.text.split('id="fig-satisfaction_trend"')[1].split("</section>")[0]
    assert ">2026-02</a>" in trend and "2026-03" not in trend


async def test_bad_filter_keeps_what_was_typed(personas):
    ids = await build()
    carol = await personas.browser("carol")
    r = await carol.get(f"/dashboards/projects/{ids['project']}",
                        params={"date_from": "2026-03-10", "date_to": "2026-03-01"}, headers={"accept": "text/html"})
    assert r.status_code == 400
    assert 'value="2026-03-10"' in r.text and 'aria-invalid="true"' in r.text
    assert "<svg" not in r.text


async def test_excel_download_opens_with_the_same_numbers(personas):
    ids = await build()
    carol = await personas.browser("carol")
    r = await carol.get(f"/dashboards/projects/{ids['project']}/dashboard.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert len(book.sheetnames) == 11
    first = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert first[0][0] == "P"
    totals = {row[0]: row[1:] for row in first[2:]}
    assert [float(v) for v in totals["1号楼"]] == [3, 2, 66.67]
    assert [float(v) for v in totals["2号楼"]] == [2, 1, 50.0]
    r = await carol.get(f"/dashboards/projects/{ids['project']}/dashboard.xlsx",
                        params={"table": "rectification_times", "building_id": ids["2号楼"]})
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert len(book.sheetnames) == 1
    rows = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert f"building_id={ids['2号楼']}" in rows[0][0]
    assert [(row[0], row[1], float(row[2]), float(row[3])) for row in rows[2:]] == [("乙公司", 4, 3.0, 10.0)]
    r = await carol.get(f"/dashboards/projects/{ids['project']}/dashboard.xlsx",
                        params={"table": "satisfaction_trend"})
    rows = list(load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [(row[0], row[1], float(row[2]), row[3], float(row[4])) for row in rows[2:]] == [
        ("2026-02", 2, 3.5, 1, 50.0), ("2026-03", 2, 4.5, 2, 100.0)]
    bad = await carol.get(f"/dashboards/projects/{ids['project']}/dashboard.xlsx", params={"table": "nope"})
    assert bad.status_code == 400


async def test_who_may_open_the_dashboard(personas):
    ids = await build()
    url = f"/dashboards/projects/{ids['project']}"
    for name in ("alice", "carol", "paul", "quinn"):
        client = await personas.browser(name)
        assert (await client.get(url, headers={"accept": "text/html"})).status_code == 200, name
        nav = (await client.get("/", headers={"accept": "text/html"})).text
        assert 'href="/dashboards"' in nav, name
    for name in ("bob", "olga"):
        client = await personas.api(name)
        assert (await client.get(url)).status_code == 403, name
        assert (await client.get(url + "/dashboard.xlsx")).status_code == 403, name
    carol = await personas.browser("carol")
    assert (await carol.get("/dashboards/projects/999999")).status_code == 404
    assert (await carol.get("/dashboards/projects/999999/dashboard.xlsx")).status_code == 404
    index = await carol.get("/dashboards", headers={"accept": "text/html"})
    assert re.search(rf'href="/dashboards/projects/{ids["project"]}"', index.text)
