"""Delivery batches: units of a building or project, readiness and what each lacks, owner accounts."""
from server.accounts.tables import UnitOwner, User
from server.delivery.tables import DeliveryBatchUnit
from tests.delivery.support import PHONES, ready_batch


async def test_a_batch_shows_which_units_are_ready_and_what_the_others_lack(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.api("carol")
    got = (await carol.get(f"/api/v1/delivery-batches/{setup['batch']['id']}")).json()
    assert got["total"] == 4 and got["ready"] == 1
    by_id = {u["unit_id"]: u for u in got["units"]}
    assert by_id[setup["units"][0]]["ready"] is True and by_id[setup["units"][0]]["lacks"] == []
    assert by_id[setup["units"][1]]["lacks"] == ["keys"]
    assert by_id[setup["units"][2]]["lacks"] == ["inspection", "keys"]
    assert by_id[setup["units"][2]]["lacks_text"][0] == "未通过验收"


async def test_a_unit_goes_into_one_batch_only(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/projects/{setup['project_id']}/delivery-batches", json={
        "name": "重复", "starts_on": "2026-12-01", "ends_on": "2026-12-02"})
    assert r.status_code == 400 and "building_id" in r.json()["errors"]
    assert await DeliveryBatchUnit.count().run() == 4


async def test_bad_batch_input_is_answered_field_by_field(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/projects/{setup['project_id']}/delivery-batches", json={
        "name": "", "starts_on": "2026-12-05", "ends_on": "2026-12-01"})
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"name", "ends_on"}
    r = await carol.post(f"/api/v1/projects/{setup['project_id']}/delivery-batches", json={
        "name": "x", "starts_on": "tomorrow", "ends_on": "2026-12-01"})
    assert r.status_code == 400 and "starts_on" in r.json()["errors"]


async def test_owner_accounts_are_made_once_per_mobile_without_a_password(personas):
    setup = await ready_batch(personas, slots=False)
    owners = await User.select(User.username, User.role, User.password_hash).where(User.role == "owner").run()
    assert {o["username"] for o in owners} >= set(PHONES)
    assert all(not o["password_hash"].startswith("$argon2") for o in owners if o["username"] in PHONES)
    assert await UnitOwner.count().where(UnitOwner.unit.is_in(setup["units"])).run() == 4
    carol = await personas.api("carol")
    again = (await carol.post(f"/api/v1/delivery-batches/{setup['batch']['id']}/owners")).json()
    assert again == {"accounts_made": 0, "units_linked": 0, "units_without_mobile": []}
    # Nobody signs in to an owner account with a password.
    from tests.support import make_client

    async with make_client(personas.app) as client:
        r = await client.post("/api/v1/auth/token", json={"username": PHONES[0], "password": "!unusable"})
        assert r.status_code == 401


async def test_only_organisers_set_up_batches_and_others_get_404(personas):
    setup = await ready_batch(personas, slots=False)
    for name, status in (("bob", 403), ("olga", 403), ("ian", 403)):
        client = await personas.api(name)
        r = await client.post(f"/api/v1/projects/{setup['project_id']}/delivery-batches", json={
            "name": "x", "starts_on": "2026-12-01", "ends_on": "2026-12-02"})
        assert r.status_code == status, name
    bob = await personas.api("bob")
    assert (await bob.get(f"/api/v1/delivery-batches/{setup['batch']['id']}")).status_code == 403
    carol = await personas.api("carol")
    assert (await carol.get("/api/v1/delivery-batches/999999")).status_code == 404


async def test_a_batch_starts_its_delivery_preparation_procedure(personas):
    import datetime as dt

    setup = await ready_batch(personas, slots=False)
    carol = await personas.api("carol")
    procedure_id = setup["batch"]["procedure_id"]
    assert procedure_id
    got = (await carol.get(f"/api/v1/procedures/{procedure_id}")).json()
    assert len(got["steps"]) == 10
    # The batch starts in three days, sooner than the template's 60 days: the procedure starts today
    # and still ends on the first delivery day.
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert got["steps"][-1]["due_date"] == setup["batch"]["starts_on"] == (today + dt.timedelta(days=3)).isoformat()
    page = await (await personas.browser("carol")).get(f"/delivery/batches/{setup['batch']['id']}")
    assert f'href="/procedures/{procedure_id}"' in page.text


async def test_setting_up_a_batch_makes_its_owner_accounts(personas):
    from server.org.services import building_create, units_bulk_create
    from server.org.tables import Unit

    setup = await ready_batch(personas, slots=False)
    building = await building_create(actor=None, project_id=setup["project_id"], name="2号楼")
    await units_bulk_create(actor=None, building_id=building.id, floor_from=1, floor_to=1, units_per_floor=2)
    units = [u["id"] for u in await Unit.select(Unit.id).where(Unit.building == building.id).run()]
    carol = await personas.api("carol")
    for unit_id, phone in zip(units, ("13900000001", "")):
        await carol.post(f"/api/v1/units/{unit_id}/contracts", json={
            "contract_area": "70", "unit_price": "20000", "buyer_name": "二号楼业主", "buyer_phone": phone})
    r = await carol.post(f"/api/v1/projects/{setup['project_id']}/delivery-batches", json={
        "name": "2号楼", "starts_on": "2027-01-10", "ends_on": "2027-01-11", "building_id": building.id})
    assert r.status_code == 201, r.text
    owner = await User.objects().get(User.username == "13900000001").run()
    assert owner.role == "owner"
    assert [o["unit"] for o in await UnitOwner.select(UnitOwner.unit).where(UnitOwner.user == owner.id).run()] \
        == [units[0]]
    assert not await UnitOwner.exists().where(UnitOwner.unit == units[1]).run()  # no mobile in its contract
