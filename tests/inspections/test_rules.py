"""The rules as tables: who may do what (403/404 otherwise), and which transitions are illegal (409)."""
import pytest

from server.audit.tables import AuditEntry
from server.inspections.tables import Defect, Inspection
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection

EVERYONE = ["alice", "carol", "ian", "sam", "paul", "bob", "bert", "olga", "quinn"]


async def _state(personas, stage: str) -> dict:
    """An inspection (and defect) in the state an action needs."""
    unit, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    a = personas.parties["builder_a"].id
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects", data=defect_form(a),
                             files=photo_files(1))).json()
    if stage in ("rectifying", "rectified"):
        await complete(ian, inspection["id"])
    if stage == "rectified":
        bob = await personas.api("bob")
        r = await bob.post(f"/api/v1/defects/{defect['id']}/rectify", data={"note": "ok"}, files=photo_files(1))
        assert r.status_code == 200
    return {"unit": unit["id"], "inspection": inspection["id"], "defect": defect["id"],
            "unit_id_for_new": unit["id"] + 1}


# action -> (state needed, roles allowed, the status they get, how to call it)
ACTIONS = {
    "create inspection": ("in_progress", {"alice", "carol", "ian"}, 201,
                          lambda c, s: c.post("/api/v1/inspections", json={"unit_id": s["unit_id_for_new"]})),
    "record defect": ("in_progress", {"alice", "carol", "ian"}, 201,
                      lambda c, s, p=None: c.post(f"/api/v1/inspections/{s['inspection']}/defects",
                                                  data=defect_form(s["party"]), files=photo_files(1))),
    "rectify": ("rectifying", {"bob"}, 200,
                lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/rectify", data={"note": "x"},
                                    files=photo_files(1))),
    "check": ("rectifying", {"sam", "paul"}, 201,
              lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/checks", json={"result": "ok"})),
    "recheck": ("rectified", {"carol", "ian"}, 200,
                lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/recheck", json={"result": "pass"})),
    "list defects": ("rectifying", {"alice", "carol", "ian", "sam", "paul", "bob", "bert", "quinn"}, 200,
                     lambda c, s: c.get("/api/v1/defects")),
    "read inspection": ("in_progress", {"alice", "carol", "ian", "sam", "paul", "quinn"}, 200,
                        lambda c, s: c.get(f"/api/v1/inspections/{s['inspection']}")),
}


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_each_role_may_do_only_what_the_rules_allow(personas, action):
    stage, allowed, status, call = ACTIONS[action]
    shared = await _state(personas, stage)
    for name in EVERYONE:
        # Each allowed role acts on a state of its own, so one role's success
        # never leaves the next a conflict (409) to be excused.
        state = await _state(personas, stage) if name in allowed else shared
        state["party"] = personas.parties["builder_a"].id
        client = await personas.api(name)
        r = await call(client, state)
        if name in allowed:
            assert r.status_code == status, (action, name, r.status_code, r.text)
        elif name == "bert" and action == "rectify":
            assert r.status_code == 404, (action, name)  # another party's defect: not even there
        else:
            assert r.status_code == 403, (action, name, r.status_code)


async def _snapshot(state):
    inspection = await Inspection.objects().get(Inspection.id == state["inspection"]).run()
    defect = await Defect.objects().get(Defect.id == state["defect"]).run()
    return inspection.status, defect.status, defect.reopen_count, await AuditEntry.count().run()


ILLEGAL = {
    "start again": ("in_progress", "ian", lambda c, s: c.post(f"/api/v1/inspections/{s['inspection']}/start")),
    "rectify before the inspection is finished": (
        "in_progress", "bob", lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/rectify", data={"note": "x"},
                                                  files=photo_files(1))),
    "recheck an open defect": ("rectifying", "carol",
                               lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/recheck", json={"result": "pass"})),
    "rectify twice": ("rectified", "bob",
                      lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/rectify", data={"note": "x"},
                                          files=photo_files(1))),
    "complete twice": ("rectifying", "ian", lambda c, s: c.post(f"/api/v1/inspections/{s['inspection']}/complete")),
    "record a defect after finishing": (
        "rectifying", "ian", lambda c, s: c.post(f"/api/v1/inspections/{s['inspection']}/defects",
                                                 data=defect_form(s["party"]), files=photo_files(1))),
    "check a closed defect": ("closed", "sam",
                              lambda c, s: c.post(f"/api/v1/defects/{s['defect']}/checks", json={"result": "ok"})),
}


@pytest.mark.parametrize("case", list(ILLEGAL))
async def test_an_illegal_transition_is_409_and_changes_nothing(personas, case):
    stage, who, call = ILLEGAL[case]
    state = await _state(personas, "rectified" if stage == "closed" else stage)
    state["party"] = personas.parties["builder_a"].id
    if stage == "closed":
        carol = await personas.api("carol")
        await carol.post(f"/api/v1/defects/{state['defect']}/recheck", json={"result": "pass"})
    before = await _snapshot(state)
    client = await personas.api(who)
    r = await call(client, state)
    assert r.status_code == 409, (case, r.status_code, r.text)
    assert await _snapshot(state) == before
