"""A unit's own photos (meter readings at key handover): who sees them, and
that only "not found" means "not visible" (issue 9.6): a bug or a database
error in the check is an error, never a photo quietly hidden."""
import pytest

from server.accounts.tables import UnitOwner
from server.photos.access import subject_visible
from tests.handover.test_key_handover import passed_unit  # noqa: F401 - fixture
from tests.inspections.support import photo_files


async def _meter_photo(personas, unit_id: int) -> int:
    carol = await personas.api("carol")
    r = await carol.post(f"/api/v1/units/{unit_id}/photos", data={"stage": "meter_water"}, files=photo_files(1))
    assert r.status_code == 201, r.text
    return r.json()["photos"][0]["id"]


async def test_staff_and_the_units_owner_see_its_meter_photo_others_get_404(personas, passed_unit):  # noqa: F811
    photo_id = await _meter_photo(personas, passed_unit["id"])
    for name in ("carol", "sam"):
        r = await (await personas.api(name)).get(f"/photos/{photo_id}/original")
        assert r.status_code == 200 and r.content.startswith(b"\xff\xd8"), name
    olga = await personas.api("olga")
    assert (await olga.get(f"/photos/{photo_id}/original")).status_code == 404  # not her home (yet)
    await UnitOwner(unit=passed_unit["id"], user=personas.user("olga").id).save().run()
    assert (await olga.get(f"/photos/{photo_id}/original")).status_code == 200
    bob = await personas.api("bob")
    assert (await bob.get(f"/photos/{photo_id}/original")).status_code == 404
    assert await subject_visible(personas.user("carol"), "unit", 999999) is False  # no such unit


async def test_an_error_while_checking_is_raised_not_read_as_not_visible(personas, passed_unit, monkeypatch):  # noqa: F811
    from server.handover import unit_photos

    async def broken(user, unit_id):
        raise ConnectionError("database went away")

    monkeypatch.setattr(unit_photos, "unit_for", broken)
    with pytest.raises(ConnectionError):
        await subject_visible(personas.user("carol"), "unit", passed_unit["id"])
