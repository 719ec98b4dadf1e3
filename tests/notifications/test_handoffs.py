"""Each hand-off tells the people who act next, and nobody else: an approved
announcement (Brand & PR), a procedure step done (its approver, then the next
step's department), an owner's booking or cancellation (CS staff)."""
from server.notifications.tables import ChannelMessage
from tests.delivery.support import PHONES, new_id, owner_api, ready_batch
from tests.delivery.test_announcement import _batch
from tests.inspections.support import WebhookReceiver
from tests.notifications.support import inbox_counts, inbox_of, join_party
from tests.photos.support import run_worker
from tests.procedures.support import department_user, started, upload, xlsx_bytes
from tests.procedures.test_procedures_api import step


async def test_an_approved_announcement_tells_brand_and_pr_to_publish_it(personas):
    from workers.settings import WorkerSettings

    batch = await _batch()
    carol = await personas.api("carol")
    draft = (await carol.post(f"/api/v1/delivery-batches/{batch.id}/announcements")).json()
    assert await inbox_counts(personas) == {}  # a draft waits for nobody but the CS center
    with WebhookReceiver() as robot:
        await join_party(personas, ["petra"], "品牌公关部", "department", webhook_url=robot.url("/robot/pr"))
        assert (await carol.post(f"/api/v1/announcements/{draft['id']}/approve")).status_code == 200
        await run_worker(WorkerSettings)
    assert await inbox_counts(personas) == {"petra": 1}
    [message] = await inbox_of(personas, "petra")
    assert message["title"] == f"待发布：{draft['title']}"
    assert message["link"] == f"/delivery/announcements/{draft['id']}"
    assert "Carol" in message["body"]
    assert [m["json"]["markdown"]["title"] for m in robot.received] == [f"待发布：{draft['title']}"]


async def test_a_procedure_step_tells_its_approver_and_then_the_next_department(personas):
    from workers.settings import WorkerSettings

    procedure = await started(personas)
    sales = await department_user(personas, "xiao", "sales")
    paul, carol = await personas.api("paul"), await personas.api("carol")
    first, second, third = step(procedure, 1), step(procedure, 2), step(procedure, 3)

    assert (await upload(paul, first["id"])).status_code == 201
    assert (await paul.post(f"/api/v1/procedure-steps/{first['id']}/complete", json={})).status_code == 200
    # Step 1 done (no approval): step 2's department, the sales company, is next.
    assert await inbox_counts(personas) == {"xiao": 1}
    [turn] = await inbox_of(personas, "xiao")
    assert turn["title"] == f"轮到您办理：{second['title']}"
    assert turn["link"] == f"/procedures/{procedure['id']}#step-{second['id']}"

    assert (await upload(sales, second["id"], name="确权面积确认文件")).status_code == 201
    assert (await upload(sales, second["id"], xlsx_bytes(), name="交付对照表", filename="对照表.xlsx")).status_code == 201
    assert (await sales.post(f"/api/v1/procedure-steps/{second['id']}/complete", json={})).status_code == 200
    # Step 2 needs the CS center's approval: carol is asked, nobody else.
    assert await inbox_counts(personas) == {"xiao": 1, "carol": 1}
    [ask] = await inbox_of(personas, "carol")
    assert ask["title"] == f"待审批：{second['title']}" and "Xiao" in ask["body"]

    # Rejected: the sales company is told why, and has it to do again.
    r = await carol.post(f"/api/v1/procedure-steps/{second['id']}/reject", json={"reason": "面积与交易中心数据不符"})
    assert r.status_code == 200, r.text
    assert await inbox_counts(personas) == {"xiao": 2, "carol": 1}
    back = (await inbox_of(personas, "xiao"))[-1]
    assert back["title"] == f"退回：{second['title']}" and "面积与交易中心数据不符" in back["body"]
    assert (await sales.post(f"/api/v1/procedure-steps/{second['id']}/complete", json={})).status_code == 200
    assert await inbox_counts(personas) == {"xiao": 2, "carol": 2}  # asked again, as a new message

    r = await carol.post(f"/api/v1/procedure-steps/{second['id']}/approve", json={"note": ""})
    assert r.status_code == 200, r.text
    # Approved, so done: step 3 belongs to the project department.
    assert await inbox_counts(personas) == {"xiao": 2, "carol": 2, "paul": 1}
    [next_turn] = await inbox_of(personas, "paul")
    assert next_turn["title"] == f"轮到您办理：{third['title']}"
    await run_worker(WorkerSettings)
    assert await ChannelMessage.count().run() == 0  # nobody here has a channel: inbox only


async def test_an_owners_booking_and_cancellation_tell_the_cs_staff(personas):
    setup = await ready_batch(personas)
    owner = await owner_api(personas, PHONES[0])
    slots = (await owner.get(f"/api/v1/delivery-batches/{setup['batch']['id']}/slots")).json()["items"]
    before = await inbox_counts(personas)
    r = await owner.post(f"/api/v1/units/{setup['units'][0]}/appointment",
                         json={"slot_id": slots[0]["id"], "client_id": new_id()})
    assert r.status_code == 201, r.text
    booked = await inbox_counts(personas)
    assert {k: v - before.get(k, 0) for k, v in booked.items() if v != before.get(k, 0)} == {"carol": 1}
    [message] = [m for m in await inbox_of(personas, "carol") if m["title"].startswith("已预约")]
    assert message["title"] == "已预约：阳光花园 1号楼 101"
    assert message["link"] == f"/delivery/batches/{setup['batch']['id']}/day"
    assert (await owner.post(f"/api/v1/appointments/{r.json()['id']}/cancel")).status_code == 200
    cancelled = [m["title"] for m in await inbox_of(personas, "carol") if m["title"].startswith("预约已取消")]
    assert cancelled == ["预约已取消：阳光花园 1号楼 101"]
    assert {k for k, v in (await inbox_counts(personas)).items() if v != before.get(k, 0)} == {"carol"}
