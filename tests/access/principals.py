"""Who calls in the access matrix: a client per principal, on the dataset of tests/dataset.py.

Each principal has an API client (bearer token) and a browser (session
cookie and CSRF token, made without the password form: argon2 is slow on
purpose). `contractor` is Builder A's, whose defects, notice and repair job
the dataset holds; `contractor_other` is Builder B's and `repair_unit` a
repair company's, both with nothing of their own there. `owner` owns the
dataset's home; `owner_other` owns the next home of the same building.
"""
from __future__ import annotations

from typing import Any

from tests.dataset import OWNER
from tests.delivery.support import PHONES
from tests.support import csrf, make_client

NAMES = {"admin": "alice", "cs_staff": "carol", "inspector": "ian", "project_staff": "paul", "supervisor": "sam",
         "quality_center": "quinn", "sales": "sally", "property": "percy", "pr": "petra", "contractor": "bob",
         "contractor_other": "bert", "repair_unit": "rita", "owner": OWNER, "owner_other": PHONES[1]}


async def _browser(personas: Any, user: Any) -> Any:
    from server.accounts.services import session_create

    client = make_client(personas.app)
    await client.__aenter__()
    personas._clients.append(client)
    client.cookies.set("sid", await session_create(user), domain="testserver.local")
    await csrf(client)
    return client


async def _anonymous(personas: Any) -> Any:
    """Signed out, but with a CSRF token: so a refusal is the access rule's, not the CSRF check's."""
    client = make_client(personas.app)
    await client.__aenter__()
    personas._clients.append(client)
    await csrf(client)
    return client


async def _repair_company_user(personas: Any) -> Any:
    from server.accounts.tables import User
    from server.org.services import party_create
    from tests.support import _password_hash

    company = await party_create(actor=None, name="安居维修", kind="repair_unit")
    user = User(username="rita", password_hash=_password_hash(), role="contractor", party=company.id,
                display_name="Rita")
    await user.save().run()
    personas.users["rita"] = user
    return user


async def clients(personas: Any) -> dict[str, tuple[Any, Any]]:
    """{principal: (browser, API client)} for every principal of tests.access.matrix.PRINCIPALS."""
    from server.accounts.tables import User

    await _repair_company_user(personas)
    made = {}
    for principal, name in NAMES.items():
        if name not in personas.users:
            personas.users[name] = await User.objects().get(User.username == name).run()
        made[principal] = (await _browser(personas, personas.user(name)), await personas.api(name))
    anonymous = await _anonymous(personas)
    made["anonymous"] = (anonymous, anonymous)
    return made


async def extra_ids(personas: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Ids the routes need beyond tests.dataset.build's: a procedure step, Builder A's inbox message, a bid…"""
    from server.notifications.tables import InboxMessage
    from server.org.services import party_create
    from server.org.tables import Unit
    from server.procedures.tables import ProcedureStep

    from server.delivery.tables import DeliverySlot

    slot = await DeliverySlot.objects().where(DeliverySlot.batch == data["batch_id"]).first().run()
    step = await ProcedureStep.objects().where(ProcedureStep.procedure == data["procedure_id"]).order_by(
        ProcedureStep.position).first().run()
    message = await InboxMessage.objects().where(InboxMessage.party == personas.parties["builder_a"].id).order_by(
        InboxMessage.id).first().run()  # addressed to Builder A: a message of `contractor`
    unit = await Unit.objects().get(Unit.id == data["unit_id"]).run()
    company = await party_create(actor=None, name="万家物业", kind="property_company")
    carol = await personas.api("carol")
    bid = await carol.post(f"/api/v1/procedures/{data['tender_id']}/tender/bids", json={"party_id": company.id})
    assert bid.status_code == 201, bid.text
    return {"step_id": step.id, "slot_id": slot.id, "message_id": message.id, "unit_type_id": unit.unit_type,
            "bid_id": bid.json()["id"],
            "expert_id": 999_999,  # none is drawn in the dataset: a refusal must come before the lookup
            "ok_batch": "0" * 32, "schema_path": "swagger", "import_kind": "contracts", "tender_kind": "winner"}
