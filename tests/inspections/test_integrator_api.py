"""The API as an integrator meets it (issue 9.8): categories by code or Chinese name,
a list of them, key kinds and the after-photo rule said in the schema."""
import pytest

from server.inspections.default_checklist import CATEGORIES, CATEGORY_NAMES_ZH
from server.inspections.tables import Defect
from tests.inspections.support import complete, defect_form, photo_files, unit_under_inspection


@pytest.mark.parametrize("sent, stored", [("墙面", "wall"), ("公共部位", "common_area"), (" 给排水 ", "plumbing"),
                                          ("公共区域", "common_area"), ("Doors & windows", "door_window"),
                                          ("railing", "railing")])
async def test_a_category_is_taken_by_code_or_by_name(personas, sent, stored):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data=defect_form(personas.parties["builder_a"].id, category=sent), files=photo_files(1))
    assert r.status_code == 201, r.text
    assert r.json()["category"] == stored
    assert (await Defect.objects().get(Defect.id == r.json()["id"]).run()).category == stored


@pytest.mark.parametrize("sent", ["墙", "walls and floors", ""])
async def test_an_unknown_category_is_refused_by_name(personas, sent):
    _, inspection = await unit_under_inspection(personas)
    ian = await personas.api("ian")
    r = await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                       data=defect_form(personas.parties["builder_a"].id, category=sent), files=photo_files(1),
                       headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 400
    assert r.json()["errors"] == {"category": "请选择问题类别。"}
    assert await Defect.count().run() == 0


async def test_the_categories_are_listed_in_the_callers_language(personas):
    ian = await personas.api("ian")
    zh = (await ian.get("/api/v1/defect-categories", headers={"Accept-Language": "zh-CN"})).json()
    en = (await ian.get("/api/v1/defect-categories", headers={"Accept-Language": "en"})).json()
    assert [c["code"] for c in zh["items"]] == list(CATEGORIES) and zh["total"] == len(CATEGORIES)
    assert [c["name_zh"] for c in en["items"]] == [CATEGORY_NAMES_ZH[code] for code in CATEGORIES]
    assert zh["items"][0] == {"code": "wall", "name_zh": "墙面", "label": "墙面"}
    assert en["items"][0] == {"code": "wall", "name_zh": "墙面", "label": "Walls"}
    assert (await (await personas.api("bob")).get("/api/v1/defect-categories")).status_code == 200


async def test_the_schema_says_what_a_category_a_key_kind_and_rectify_take(personas):
    schema = (await (await personas.api("ian")).get("/schema/openapi.json")).json()
    record = schema["paths"]["/api/v1/inspections/{inspection_id}/defects"]["post"]["description"]
    for code in CATEGORIES:
        assert f"`{code}` {CATEGORY_NAMES_ZH[code]} (" in record
    assert "/api/v1/defect-categories" in schema["paths"]
    keys = schema["components"]["schemas"]["HandoverIn"]["properties"]["keys"]["description"]
    assert "`kind` is a name from `GET /api/v1/key-kinds`" in keys
    rectify = schema["paths"]["/api/v1/defects/{defect_id}/rectify"]["post"]
    assert "An after-photo is required" in rectify["description"]
    assert "No after-photo" in rectify["responses"]["400"]["description"]


async def test_rectify_without_an_after_photo_says_so(personas):
    _, inspection = await unit_under_inspection(personas)
    ian, bob = await personas.api("ian"), await personas.api("bob")
    defect = (await ian.post(f"/api/v1/inspections/{inspection['id']}/defects",
                             data=defect_form(personas.parties["builder_a"].id), files=photo_files(1))).json()
    assert (await complete(ian, inspection["id"])).status_code == 200
    for language, detail, field in (
            ("en", "A photo of the rectified work is required before it can be marked rectified.",
             "Add at least one photo of the rectified work."),
            ("zh-CN", "标记为已整改前，须先上传至少一张整改后的照片。", "请至少上传一张整改后的照片。")):
        r = await bob.post(f"/api/v1/defects/{defect['id']}/rectify", json={"note": "已修补"},
                           headers={"Accept-Language": language})
        assert r.status_code == 400
        assert (r.json()["detail"], r.json()["errors"]) == (detail, {"photos": field})
    assert (await Defect.objects().get(Defect.id == defect["id"]).run()).status == "open"
