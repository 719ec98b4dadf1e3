"""The lists' Excel downloads, opened back with openpyxl: Chinese headers, the rows the page's filters
select, values typed as Excel numbers and dates, and who may download what (a contractor only its own
party's defects). Runs on whichever database DATABASE_URL names (SQLite and PostgreSQL in CI)."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from server import clock

DAY = dt.timedelta(days=1)


async def _dataset(personas: Any) -> dict[str, Any]:
    """P1 (楼A: 101, 102) and P2 (楼B: 201). Builder A (bob): a1 open and overdue, a2 rectified, a3 open in P2,
    a4 open without a notice yet (not a task); Builder B (bert): b1 open, b2 closed."""
    from server.inquiries.tables import Inquiry
    from server.inspections.tables import Defect, Inspection, RectificationNotice
    from server.org.tables import Building, Project, Unit
    from server.repairs.closing_tables import RepairQuote
    from server.repairs.tables import RepairRequest

    now = clock.now()
    ids: dict[str, Any] = {}
    units = {}
    for project_name, building_name, numbers in (("一期", "1号楼", ("101", "102")), ("二期", "2号楼", ("201",))):
        project = Project(name=project_name)
        await project.save().run()
        building = Building(project=project.id, name=building_name)
        await building.save().run()
        ids[project_name], ids[building_name] = project.id, building.id
        for number in numbers:
            unit = Unit(building=building.id, number=number, floor=int(number[0]))
            await unit.save().run()
            units[number] = unit.id
            inspection = Inspection(unit=unit.id, status="rectifying", kind="acceptance", is_first=True,
                                    scheduled_for=clock.today(), started_at=now - 9 * DAY, completed_at=now - 9 * DAY)
            await inspection.save().run()
            ids[f"i{number}"] = inspection.id
    builders = {"A": personas.parties["builder_a"].id, "B": personas.parties["builder_b"].id}
    notices = {}
    for key, number in (("A1", "101"), ("A2", "201"), ("B1", "102")):
        notice = RectificationNotice(inspection=ids[f"i{number}"], party=builders[key[0]], number=f"N-{key}",
                                     deadline=now + DAY)
        await notice.save().run()
        notices[key] = notice.id

    def defect(key: str, number: str, who: str, status: str, deadline: dt.datetime | None, notice: str | None,
               description: str = "墙面空鼓") -> Defect:
        return Defect(inspection=ids[f"i{number}"], unit=units[number], room="客厅", category="wall", severity="major",
                      description=description, construction_unit=builders[who], status=status,
                      deadline=deadline, notice=notices[notice] if notice else None, created_at=now - 9 * DAY,
                      reopen_count=1 if key == "a2" else 0)

    rows = {"a1": defect("a1", "101", "A", "open", now - 3 * DAY - dt.timedelta(hours=1), "A1",
                         description="=HYPERLINK(\"http://x\")"),
            "a2": defect("a2", "101", "A", "rectified", now - DAY, "A1"),
            "a3": defect("a3", "201", "A", "open", now + 5 * DAY, "A2"),
            "a4": defect("a4", "102", "A", "open", now + 5 * DAY, None),
            "b1": defect("b1", "102", "B", "open", now + 2 * DAY, "B1"),
            "b2": defect("b2", "102", "B", "closed", None, "B1")}
    for key, row in rows.items():
        await row.save().run()
        ids[key] = row.id
    for key, number, status, reported in (("r1", "101", "reported", 3), ("r2", "102", "closed", 40),
                                          ("r3", "201", "reported", 1)):
        repair = RepairRequest(unit=units[number], component="waterproofing", location="卫生间", description="漏水",
                               reported_on=clock.today() - reported * DAY, channel="phone", status=status)
        await repair.save().run()
        ids[key] = repair.id
    await RepairQuote(repair=ids["r2"], amount=Decimal("1234.50"), description="换管").save().run()
    for key, status in (("q1", "open"), ("q2", "answered"), ("q3", "open")):
        inquiry = Inquiry(channel="phone", category="物业费", question=f"问题{key}", status=status,
                          project=ids["一期"], asker_name="王先生")
        await inquiry.save().run()
        ids[key] = inquiry.id
    return ids


async def _sheet(client: Any, url: str, **params: Any) -> list[tuple]:
    r = await client.get(url, params=params)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert r.headers["content-disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(r.content))
    assert len(book.sheetnames) == 1
    return list(book.active.iter_rows(values_only=True))


async def test_contractor_gets_its_own_tasks_under_the_list_filters(personas):
    ids = await _dataset(personas)
    bob = await personas.browser("bob")
    rows = await _sheet(bob, "/exports/defects.xlsx")
    assert rows[0] == ("编号", "项目", "楼栋", "房屋", "房间", "类别", "说明", "严重程度", "施工单位", "状态", "记录时间",
                       "整改期限", "逾期天数", "退回次数", "整改完成时间", "关闭时间")
    assert sorted(r[0] for r in rows[1:]) == sorted([ids["a1"], ids["a3"]])  # open with a notice (the default)
    a1 = next(r for r in rows[1:] if r[0] == ids["a1"])
    assert a1[1:6] == ("一期", "1号楼", "101", "客厅", "墙面")
    assert a1[6] == '=HYPERLINK("http://x")'  # kept as text, not turned into a formula
    assert a1[7:10] == ("严重", "Builder A", "待整改")
    assert isinstance(a1[10], dt.datetime) and isinstance(a1[11], dt.datetime)  # Excel dates, read back
    assert a1[11].date() == (clock.now() - 3 * DAY - dt.timedelta(hours=1)).astimezone(clock.CHINA).date()
    assert a1[12] == 3 and a1[13] == 0
    assert [r[0] for r in await _sheet(bob, "/exports/defects.xlsx", status="all")][1:] == \
        [ids["a1"], ids["a2"], ids["a3"]]
    assert [r[0] for r in await _sheet(bob, "/exports/defects.xlsx", status="all", project=ids["一期"])][1:] == \
        [ids["a1"], ids["a2"]]
    assert [r[0] for r in await _sheet(bob, "/exports/defects.xlsx", status="all", building=ids["2号楼"])][1:] == \
        [ids["a3"]]
    assert [r[0] for r in await _sheet(bob, "/exports/defects.xlsx", overdue="1")][1:] == [ids["a1"]]
    # Another party's project filter selects nothing of bob's; bert's own file holds only bert's.
    bert = await personas.browser("bert")
    assert [r[0] for r in await _sheet(bert, "/exports/defects.xlsx", status="all")][1:] == [ids["b1"], ids["b2"]]
    page = await bob.get("/tasks", params={"status": "all", "project": ids["一期"]}, headers={"accept": "text/html"})
    assert f'href="/exports/defects.xlsx?status=all&amp;project={ids["一期"]}"' in page.text


async def test_staff_get_every_party_and_others_are_refused(personas):
    ids = await _dataset(personas)
    carol = await personas.browser("carol")
    rows = await _sheet(carol, "/exports/defects.xlsx", status="all")
    assert [r[0] for r in rows[1:]] == [ids[k] for k in ("a1", "a2", "a3", "b1", "b2")]
    # The CS center's recheck list (rectified defects) links to the same file of its defects.
    page = await carol.get("/rechecks", headers={"accept": "text/html"})
    assert 'href="/exports/defects.xlsx?status=rectified"' in page.text
    assert [r[0] for r in (await _sheet(carol, "/exports/defects.xlsx", status="rectified"))[1:]] == [ids["a2"]]
    olga = await personas.api("olga")
    assert (await olga.get("/exports/defects.xlsx")).status_code == 403
    for name, url in (("bob", "/exports/repairs.xlsx"), ("paul", "/exports/repairs.xlsx"),
                      ("bob", "/exports/inquiries.xlsx"), ("quinn", "/exports/inquiries.xlsx")):
        assert (await (await personas.api(name)).get(url)).status_code == 403, (name, url)


async def test_repairs_export_follows_the_list_filters(personas):
    ids = await _dataset(personas)
    carol = await personas.browser("carol")
    rows = await _sheet(carol, "/exports/repairs.xlsx")
    assert rows[0] == ("编号", "项目", "楼栋", "房屋", "部位", "位置", "说明", "状态", "报修方式", "紧急程度", "报修日期",
                       "记录时间", "金额（元）")
    assert [r[0] for r in rows[1:]] == [ids["r1"], ids["r2"], ids["r3"]]
    r2 = next(r for r in rows[1:] if r[0] == ids["r2"])
    assert r2[4:10] == ("防水、防渗漏", "卫生间", "漏水", "已关闭", "电话报修", None)  # no urgency yet: an empty cell
    assert r2[12] == 1234.5 and isinstance(r2[10], dt.datetime)
    assert r2[10].date() == clock.today() - 40 * DAY
    assert [r[0] for r in (await _sheet(carol, "/exports/repairs.xlsx", status="reported"))[1:]] == \
        [ids["r1"], ids["r3"]]
    assert [r[0] for r in (await _sheet(carol, "/exports/repairs.xlsx", status="reported",
                                         project_id=str(ids["二期"])))[1:]] == [ids["r3"]]
    quinn = await personas.browser("quinn")
    assert len(await _sheet(quinn, "/exports/repairs.xlsx", status="nonsense")) == 4  # unknown status: all
    page = await carol.get("/repairs", params={"status": "reported"}, headers={"accept": "text/html"})
    assert 'href="/exports/repairs.xlsx?status=reported"' in page.text


async def test_inquiries_export_follows_the_status_filter(personas):
    ids = await _dataset(personas)
    alice = await personas.browser("alice")
    rows = await _sheet(alice, "/exports/inquiries.xlsx")
    assert rows[0] == ("编号", "项目", "名称", "电话", "咨询方式", "类别", "问题", "状态", "答复", "记录时间", "答复时间",
                       "关闭时间")
    assert [r[0] for r in rows[1:]] == [ids["q1"], ids["q2"], ids["q3"]]
    assert rows[1][1:3] == ("一期", "王先生") and isinstance(rows[1][9], dt.datetime)
    assert [r[0] for r in (await _sheet(alice, "/exports/inquiries.xlsx", status="open"))[1:]] == \
        [ids["q1"], ids["q3"]]
    page = await alice.get("/inquiries", params={"status": "open"}, headers={"accept": "text/html"})
    assert 'href="/exports/inquiries.xlsx?status=open"' in page.text


async def test_long_list_is_read_in_chunks(personas, monkeypatch):
    """More rows than one chunk: every row once, in id order (the keyset carries on where a chunk ended)."""
    from server.reports import list_xlsx

    ids = await _dataset(personas)
    monkeypatch.setattr(list_xlsx, "CHUNK_ROWS", 2)
    carol = await personas.browser("carol")
    rows = await _sheet(carol, "/exports/defects.xlsx", status="all")
    assert [r[0] for r in rows[1:]] == [ids[k] for k in ("a1", "a2", "a3", "b1", "b2")]
