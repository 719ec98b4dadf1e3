"""Importing homes delivered before the software: every row or none, a report by row;
each home gets its delivery day and its owner an account linked to it."""
from __future__ import annotations

import datetime as dt

from server.accounts.tables import UnitOwner, User
from server.audit.tables import AuditEntry
from server.clock import today
from server.org.tables import Unit
from server.repairs.tables import RecordedDelivery
from tests.repairs.support import homes, report


def csv_file(rows: list[str]) -> list:
    text = "\n".join(["楼栋,房号,业主姓名,手机号,交付日期", *rows]) + "\n"
    return [("file", ("老业主.csv", text.encode("gbk"), "text/csv"))]


async def test_a_bad_row_refuses_the_file_a_good_file_records_days_and_owners(personas):
    h = await homes(personas)
    carol = await personas.api("carol")
    numbers = {u["id"]: u["number"] for u in await Unit.select(Unit.id, Unit.number).run()}
    mine, theirs = numbers[h["mine"]], numbers[h["theirs"]]
    url = f"/api/v1/projects/{h['project']}/delivered-homes/import"
    future = (today() + dt.timedelta(days=3)).isoformat()
    r = await carol.post(url, files=csv_file([
        f"1号楼,{mine},王芳,13912345678,2023-06-30",
        f"1号楼,{theirs},,1391234,{future}",
        "1号楼,9999,李雷,13912345679,2023/7/1",
        f"1号楼,{mine},王芳,13912345678,2023-06-30"]), headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400, r.text
    assert [(p["row"], p["field"]) for p in r.json()["report"]] == [
        (3, "owner_name"), (3, "mobile"), (3, "delivered_on"), (4, "unit"), (5, "unit")]
    assert r.json()["report"][2]["message"] == "这一天还没有到。"
    assert (await RecordedDelivery.count().run(), await User.count().where(User.role == "owner").run()) == (0, 1)

    r = await carol.post(url, files=csv_file([f"1号楼,{mine},王芳,13912345678,2023-06-30",
                                              f"1号楼,{theirs},王芳,139 1234 5678,2023/7/1"]))
    assert r.status_code == 200 and r.json() == {"imported": 2, "accounts_made": 1}, r.text
    owner = await User.objects().get(User.username == "13912345678").run()
    assert (owner.role, owner.display_name, owner.password_hash) == ("owner", "王芳", "!unusable")
    assert sorted(r["unit"] for r in await UnitOwner.select(UnitOwner.unit).where(UnitOwner.user == owner.id).run()) \
        == sorted([h["mine"], h["theirs"]])
    days = {r["unit"]: r["delivered_on"] for r in await RecordedDelivery.select().run()}
    assert days == {h["mine"]: dt.date(2023, 6, 30), h["theirs"]: dt.date(2023, 7, 1)}
    assert await AuditEntry.count().where(AuditEntry.action == "delivered_record").run() == 2
    # the warranty now counts from the imported day
    body = (await report(carol, h["theirs"], component="waterproofing")).json()["warranty"]
    assert (body["starts_on"], body["ends_on"]) == ("2023-07-01", "2028-07-01")
    # a second import of the same homes: they already have their day
    r = await carol.post(url, files=csv_file([f"1号楼,{mine},王芳,13912345678,2023-06-30"]))
    assert r.status_code == 400 and r.json()["report"][0]["field"] == "unit"
    for name in ("olga", "bob", "ian"):
        assert (await (await personas.api(name)).post(url, files=csv_file([]))).status_code == 403


async def test_a_staff_mobile_is_never_made_an_owner(personas):
    h = await homes(personas)
    await User(username="13700000000", password_hash="x", role="cs_staff", display_name="客服").save().run()
    number = (await Unit.objects().get(Unit.id == h["theirs"]).run()).number
    r = await (await personas.api("alice")).post(
        f"/api/v1/projects/{h['project']}/delivered-homes/import",
        files=csv_file([f"1号楼,{number},张三,13700000000,2024-01-01"]), headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json()["report"] == [
        {"row": 2, "field": "mobile", "message": "这个手机号属于员工账号。"}]
    assert await RecordedDelivery.count().run() == 0


async def test_the_import_page_of_a_project_takes_the_file_too(personas):
    h = await homes(personas)
    number = (await Unit.objects().get(Unit.id == h["theirs"]).run()).number
    carol = await personas.browser("carol")
    page = await carol.get(f"/delivery/projects/{h['project']}/imports")
    assert f'action="/delivery/projects/{h["project"]}/imports/delivered-homes"' in page.text
    url = f"/delivery/projects/{h['project']}/imports/delivered-homes"
    r = await carol.post(url, files=csv_file([f"1号楼,{number},张三,1380000,2024-01-01"]))
    assert r.status_code == 400 and "请输入以 1 开头的 11 位手机号码。" in r.text
    r = await carol.post(url, files=csv_file([f"1号楼,{number},张三,13800000077,2024-01-01"]), follow_redirects=False)
    assert r.status_code == 303
    assert [d["delivered_on"] for d in await RecordedDelivery.select().run()] == [dt.date(2024, 1, 1)]
