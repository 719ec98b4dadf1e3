"""Demo data for a first look (`make run` loads it into an empty database).

The logins are listed in README.md; they all share DEMO_PASSWORD. Never
loaded into a database that already has users.
"""
from __future__ import annotations

from server.accounts import roles
from server.accounts.services import unit_owner_add, user_create
from server.accounts.tables import User
from server.inspections.default_checklist import CATEGORIES
from server.inspections.trades import trades_set
from server.org.services import (
    building_create,
    party_create,
    project_create,
    unit_type_create,
    units_bulk_create,
)
from server.org.tables import Unit
from server.procedures.services import start_procedure

DEMO_PASSWORD = "demo12345"

# Defect categories the finishing contractor answers for; the general contractor has the rest.
DEMO_FINISHING_TRADES = ("door_window", "equipment")

DEMO_USERS = [
    # (username, role, display name, party key)
    ("admin", roles.ADMIN, "系统管理员", None),
    ("kefu", roles.CS_STAFF, "王客服", None),
    ("yanfang", roles.INSPECTOR, "李验房", None),
    ("xiangmu", roles.PROJECT_STAFF, "赵工（项目部）", None),
    ("jianli", roles.SUPERVISOR, "周监理", None),
    ("shigong", roles.CONTRACTOR, "陈工（中建三局）", "builder"),
    ("weixiu", roles.CONTRACTOR, "郑师傅（安居维修）", "repair"),
    ("zhijian", roles.QUALITY_CENTER, "孙质检", None),
    ("xiaoshou", roles.SALES, "钱销售", None),
    ("gongguan", roles.PR, "吴公关", None),
    ("13800000000", roles.OWNER, "刘业主", None),
]

# Registered areas (确权面积) of building 1's first units against a contract
# area of 89.50 m²: within 3 %, exactly at it, and beyond it either way.
DEMO_REGISTERED_AREAS = ["89.10", "90.20", "92.19", "93.00", "86.00", "89.50"]


async def seed_demo() -> bool:
    if await User.count().run() > 0:
        return False
    project = await project_create(actor=None, name="阳光花园", code="YGHY", city="杭州",
                                   address="杭州市余杭区阳光大道 1 号")
    parties = {
        "builder": await party_create(actor=None, name="中建三局第一工程公司", kind="construction_unit",
                                      contact_name="陈工", phone="13900000001"),
        "builder2": await party_create(actor=None, name="浙江精装饰工程有限公司", kind="construction_unit"),
        "supervisor": await party_create(actor=None, name="华信工程监理有限公司", kind="supervision_unit"),
        "repair": await party_create(actor=None, name="安居维修服务有限公司", kind="repair_unit"),
        "property": await party_create(actor=None, name="万家物业服务有限公司", kind="property_company"),
    }
    type_a = await unit_type_create(actor=None, project_id=project.id, name="A户型 三室两厅", description="89 m²")
    type_b = await unit_type_create(actor=None, project_id=project.id, name="B户型 两室两厅", description="72 m²")
    for name, unit_type in (("1号楼", type_a), ("2号楼", type_b)):
        building = await building_create(actor=None, project_id=project.id, name=name)
        await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=6, units_per_floor=2,
                                unit_type_id=unit_type.id)
        # Who answers for what: the capture form fills the construction unit in from these.
        await trades_set(actor=None, building_id=building.id, chosen={
            category: parties["builder2" if category in DEMO_FINISHING_TRADES else "builder"].id
            for category in CATEGORIES})
    users = {}
    for username, role, display_name, party_key in DEMO_USERS:
        users[username] = await user_create(
            actor=None, username=username, password=DEMO_PASSWORD, role=role, display_name=display_name,
            party_id=parties[party_key].id if party_key else None)
    first_unit = await Unit.objects().order_by(Unit.id).first().run()
    await unit_owner_add(actor=None, unit_id=first_unit.id, user_id=users["13800000000"].id)
    # Regulation 3's property-management tender, tracked for the whole project.
    tender = await start_procedure("pm_tender", "project", project.id, project.id, None, users["kefu"])
    await _tender(tender, users, parties["property"])
    await _delivery(project.id, users["kefu"])
    await _repairs(project.id, users["kefu"], users["13800000000"])
    await _repair_jobs(project.id, users, parties["repair"].id)
    await _knowledge(users["kefu"], first_unit.id)
    await _inquiry_sheets(project.id, users, parties["property"])
    await _last_month(users["kefu"], project.id, first_unit.id)
    return True


async def _tender(procedure, users: dict, wanjia) -> None:
    """The tender in progress: its notice published, five experts drawn, three bids scored, no winner yet."""
    import datetime as dt

    from server.clock import today
    from server.procedures import tender

    opens = today()
    await tender.notice_save(actor=users["gongguan"], procedure=procedure, fields={
        "title": "阳光花园前期物业服务招标公告",
        "body": "阳光花园项目（杭州）现公开招标前期物业服务企业。\n投标人须为具有独立法人资格的物业服务企业。\n"
                "请于投标截止日前将投标文件送至客户服务中心。",
        "opens_on": opens.isoformat(), "closes_on": (opens + dt.timedelta(days=20)).isoformat()})
    await tender.notice_set_published(actor=users["gongguan"], procedure=procedure, publish=True)
    for name, field in (("何建国", "物业管理"), ("林晓梅", "物业管理"), ("郑海涛", "建筑工程"), ("许文静", "财务"),
                        ("冯志强", "法律")):
        await tender.expert_add(actor=users["kefu"], procedure=procedure,
                                fields={"name": name, "field": field, "drawn_on": opens})
    yiju = await party_create(actor=None, name="宜居物业管理有限公司", kind="property_company")
    for party_id, name, score in ((wanjia.id, None, "91.50"), (yiju.id, None, "87.25"), (None, "恒安物业（未入库）", "82.00")):
        bid, _created = await tender.bid_add(actor=users["kefu"], procedure=procedure,
                                             fields={"party_id": party_id, "name": name})
        await tender.bid_score(actor=users["kefu"], procedure=procedure, bid_id=bid.id, score=score)


DEMO_KNOWLEDGE = [
    ("卫生间漏水怎么办", "先关闭进户水阀，拍下漏水位置，再在“我的家”里报修或致电客服；防水在保修期（五年）内免费维修。", "报修"),
    ("交房时能领几把钥匙", "每户三把入户门钥匙和两张门禁卡，交付当日在交付中心签字领取。", "交付"),
    ("物业费从哪天开始收", "从房屋交付之日起计收物业费；未按时收房的，从交付通知载明的日期起计。", "物业"),
    ("面积补差怎么算", "以确权面积与合同面积之差计算，误差在 ±3% 以内按实结算，超出部分按合同约定处理。", "交付"),
    ("阳台地漏返水", "多因存水弯堵塞，物业可上门疏通；如属渗漏，按防水报修。", "报修"),
    ("车位什么时候可以购买", "车位由销售公司另行公告，请关注项目公告。", "销售"),
]


async def _knowledge(cs: User, unit_id: int) -> None:
    """The CS center's knowledge base, and two inquiries: one answered from it, one waiting."""
    from server.inquiries import services as inquiries
    from server.knowledge import services as knowledge

    entries = [await knowledge.entry_create(actor=cs, fields={"question": q, "answer": a, "category": c})
               for q, a, c in DEMO_KNOWLEDGE]
    await inquiries.inquiry_record(actor=cs, fields={
        "asker_name": "业主", "asker_phone": "13800000000", "unit_id": unit_id, "channel": "phone", "category": "报修",
        "question": "卫生间顶上滴水怎么处理", "knowledge_entry_id": entries[0].id})
    await inquiries.inquiry_record(actor=cs, fields={
        "asker_name": "李女士", "asker_phone": "13900000009", "channel": "wechat", "category": "销售",
        "question": "小区有没有充电桩车位"})


DEMO_LAST_MONTH = [  # (days into last month, channel, category, question, answer, hours to answer)
    (3, "phone", "交付", "交房要带哪些材料", "请带购房合同、身份证原件和交付通知书；委托他人办理的另带委托书。", 2),
    (9, "walk_in", "物业", "装修要交押金吗", "装修押金 2000 元，验收合格后全额退还。", 30),
    (17, "wechat", "报修", "厨房水管渗水", "", 0),
]


async def _last_month(cs: User, project_id: int, unit_id: int) -> None:
    """Last month's inquiries of the project, its monthly summary (as the cron makes it on the 1st) with a note,
    and two of its answers published on the project's public page."""
    import datetime as dt

    from server.clock import day_start, today
    from server.inquiries import publishing, services as inquiries, summary
    from server.inquiries.tables import Inquiry

    month = summary.previous_month(today())
    ids = []
    for day, channel, category, question, answer, hours in DEMO_LAST_MONTH:
        row = await inquiries.inquiry_record(actor=cs, fields={
            "asker_name": "业主", "asker_phone": "13800000000", "unit_id": unit_id, "channel": channel,
            "category": category, "question": question, "answer": answer})
        at = day_start(month + dt.timedelta(days=day)) + dt.timedelta(hours=10)
        await Inquiry.update({Inquiry.created_at: at,
                              Inquiry.answered_at: at + dt.timedelta(hours=hours) if answer else None}).where(
            Inquiry.id == row.id).run()
        ids.append(row.id)
    made = await summary.summary_make(project_id, month)
    await summary.summary_edit(actor=cs, summary=made, fields={
        "notes": "交付材料和装修押金问得最多，已整理成问答发布。", "highlights": ids[:2]})
    await publishing.summary_publish(actor=cs, summary=made, inquiry_ids=ids[:2])


async def _repairs(project_id: int, cs: User, owner: User) -> None:
    """Building 2 was delivered before the software: its delivery days are recorded (some homes past two
    years, so a finishing repair is paid by the owner); the demo owner has one of its homes, with repair
    requests in several states."""
    import datetime as dt

    from server import clock
    from server.org.tables import Building
    from server.repairs import services as repairs

    building = await Building.objects().where(
        (Building.project == project_id) & (Building.name == "2号楼")).first().run()
    units = await Unit.objects().where(Unit.building == building.id).order_by(Unit.id).run()
    today = clock.today()
    for index, unit in enumerate(units[:6]):
        years_ago = 3 if index % 2 else 1
        await repairs.delivery_record(actor=cs, unit_id=unit.id,
                                      delivered_on=(today - dt.timedelta(days=365 * years_ago + 20 * index)).isoformat())
    await unit_owner_add(actor=None, unit_id=units[1].id, user_id=owner.id)
    requests = [  # (unit, reporter, component, room, description, channel, days ago, moves)
        (units[1], owner, "waterproofing", "卫生间", "卫生间顶棚渗水，下雨后更明显", "owner_app", 0, []),
        (units[1], owner, "decoration", "客厅", "客厅墙面开裂，裂缝约 40 cm", "owner_app", 5,
         [("triage", {"urgency": "normal", "survey_needed": False})]),
        (units[0], cs, "pipes_electrical", "厨房", "厨房下水管接口漏水（业主电话报修）", "phone", 2,
         [("triage", {"urgency": "emergency", "survey_needed": True}), ("survey", {})]),
        (units[2], cs, "heating", "卧室", "卧室暖气片不热（纸质报修单）", "paper", 9, []),
    ]
    for unit, reporter, component, room, text, channel, days_ago, moves in requests:
        fields = {"component": component, "location": room, "description": text,
                  "preferred_times": "工作日晚上或周六上午"}
        if reporter is cs:
            fields.update(channel=channel, reported_on=(today - dt.timedelta(days=days_ago)).isoformat())
        repair, _created = await repairs.repair_report(actor=reporter, unit_id=unit.id, fields=fields)
        for action, details in moves:
            if action == "triage":
                await repairs.repair_triage(actor=cs, repair=repair, component=component, **details)
            else:
                await repairs.repair_transition(actor=cs, repair=repair, action=action)


async def _repair_jobs(project_id: int, users: dict, repair_party_id: int) -> None:
    """The quality center's survey and plan, and a job at the demo repair unit (server/repairs/job_demo.py)."""
    from server.org.tables import Building
    from server.repairs.job_demo import demo_jobs

    building = await Building.objects().where(
        (Building.project == project_id) & (Building.name == "2号楼")).first().run()
    unit = await Unit.objects().where(Unit.building == building.id).order_by(Unit.id).offset(3).first().run()
    await demo_jobs(cs=users["kefu"], quality=users["zhijian"], repair_party_id=repair_party_id, unit_id=unit.id)


async def _delivery(project_id: int, cs: User) -> None:
    """Building 1 in a delivery batch two weeks out: contracts, confirmed areas, owners, time slots."""
    import datetime as dt
    from decimal import Decimal

    from server import clock
    from server.delivery import batches, day
    from server.delivery.services import contract_record
    from server.delivery.tables import ConfirmedArea
    from server.org.tables import Building

    building = await Building.objects().where(
        (Building.project == project_id) & (Building.name == "1号楼")).first().run()
    units = await Unit.objects().where(Unit.building == building.id).order_by(Unit.id).run()
    for index, unit in enumerate(units):
        phone = "13800000000" if index == 0 else f"1380000{index:04d}"
        await contract_record(actor=cs, unit_id=unit.id, contract_area="89.50", unit_price="32000.00",
                              buyer_name="刘业主" if index == 0 else f"业主{unit.number}", buyer_phone=phone)
    await ConfirmedArea.insert(*[ConfirmedArea(unit=u.id, registered_area=Decimal(a), source="测绘报告")
                                 for u, a in zip(units, DEMO_REGISTERED_AREAS)]).run()
    first_day = clock.today() + dt.timedelta(days=14)  # China time, as the batch and its procedure count
    batch, _count = await batches.batch_create(
        actor=cs, project_id=project_id, building_id=building.id, name="一期1号楼交付", starts_on=first_day,
        ends_on=first_day + dt.timedelta(days=1), place="1号楼大堂",
        what_to_bring="身份证原件、购房合同、缴款凭证、本通知书")
    await batches.owners_setup(actor=cs, batch_id=batch.id)
    for offset in (0, 1):
        await day.slots_generate(actor=cs, batch=batch, day=first_day + dt.timedelta(days=offset), start="09:00",
                                 end="17:00", minutes=30, capacity=4)


async def _inquiry_sheets(project_id: int, users: dict, wanjia) -> None:
    """Inquiries in every state of the contact-sheet flow (server/inquiries/states.py): sent to the sales
    company (a department party, with its user) and the property company; replied, drafted, sent back,
    approved, called back."""
    import datetime as dt

    from server.clock import today
    from server.inquiries import services as inquiries, sheets

    sales = await party_create(actor=None, name="阳光花园销售公司", kind="department")
    seller = await user_create(actor=None, username="xiaoshougongsi", password=DEMO_PASSWORD, role=roles.SALES,
                               display_name="孙销售（销售公司）", party_id=sales.id)
    keeper = await user_create(actor=None, username="wuye", password=DEMO_PASSWORD, role=roles.PROPERTY,
                               display_name="周经理（万家物业）", party_id=wanjia.id)
    cs, boss = users["kefu"], users["admin"]
    due = (today() + dt.timedelta(days=3)).isoformat()
    stops = ["escalated", "drafted", "returned", "approved", "closed"]
    for index, stop in enumerate(stops):
        inquiry = await inquiries.inquiry_record(actor=cs, fields={
            "asker_name": f"张先生{index + 1}", "asker_phone": f"1390000010{index}", "channel": "phone",
            "category": "销售", "question": f"地下车位的销售时间和价格（{index + 1}）", "project_id": project_id})
        made = await sheets.sheet_escalate(actor=cs, inquiry=inquiry, request="请答复车位销售时间与管理费。",
                                           departments=[{"party_id": sales.id, "reply_by": due},
                                                        {"party_id": wanjia.id, "reply_by": due}])
        if stop == "escalated":
            await sheets.sheet_reply(actor=seller, sheet=made[0], reply="车位预计明年三月开售。")
            continue
        await sheets.sheet_reply(actor=seller, sheet=made[0], reply="车位预计明年三月开售。")
        await sheets.sheet_reply(actor=keeper, sheet=made[1], reply="地下车位管理费每月 150 元。")
        await sheets.inquiry_draft(actor=cs, inquiry=inquiry, draft="车位预计明年三月开售，管理费按物业公司标准另计。")
        if stop == "drafted":
            continue
        if stop == "returned":
            await sheets.inquiry_send_back(actor=boss, inquiry=inquiry, reason="请写明管理费标准。")
            continue
        await sheets.inquiry_approve(actor=boss, inquiry=inquiry)
        if stop == "closed":
            await sheets.inquiry_callback(actor=cs, inquiry=inquiry, reached=True, satisfied=True)
