"""Procedure pages on a phone: the steps in order with state, department, due date (overdue in red),
documents and the buttons each user may press; refused forms keep the page and say why."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from server import clock
from server.procedures import services
from server.procedures.tables import Procedure, ProcedureStep
from tests.pages.test_rectification_pages import english
from tests.procedures.support import PDF, project, started


@pytest.fixture(autouse=True)
async def templates():
    await services.templates_ensure()


def step_id(procedure: dict, position: int) -> int:
    return next(s["id"] for s in procedure["steps"] if s["position"] == position)


async def test_the_procedure_page_shows_every_step_in_order_with_overdue_in_red(personas):
    procedure = await started(personas, start_date=clock.today() - dt.timedelta(days=25))
    carol = await personas.browser("carol")
    page = await carol.get(f"/procedures/{procedure['id']}")
    assert page.status_code == 200
    html = page.text
    assert 'name="viewport" content="width=device-width' in html
    titles = [s["title"] for s in procedure["steps"]]
    steps_at = html.index('id="steps"')  # (the titles also head the "waiting for you" list above)
    positions = [html.index(t, steps_at) for t in titles]
    assert positions == sorted(positions)  # in order
    assert "due_late" in html and "逾期 5 天" in html       # step 1 was due after 20 days
    # Each step names its department (the step titles mention others too, so read the step's own cell).
    responsible = dict(re.findall(r'id="step-(\d+)".*?<dt>责任部门</dt><dd>([^<]+)</dd>', html, re.S))
    assert responsible[str(step_id(procedure, 1))] == "项目部"
    assert responsible[str(step_id(procedure, 2))] == "销售公司"
    assert responsible[str(step_id(procedure, 9))] == "总公司办公室"  # no role: the regulation's name
    assert html.count('action="/procedures/steps/') >= 10     # the CS center may act on every open step
    listing = await carol.get(f"/procedures?project={procedure['project_id']}")
    assert listing.status_code == 200 and f'href="/procedures/{procedure["id"]}"' in listing.text
    assert "交付准备" in listing.text and "1 步逾期" in listing.text


async def test_each_department_sees_only_the_buttons_for_its_own_steps(personas):
    procedure = await started(personas)
    paul = await english(await personas.browser("paul"))
    html = (await paul.get(f"/procedures/{procedure['id']}")).text
    assert f'action="/procedures/steps/{step_id(procedure, 1)}/complete"' in html      # 项目部
    assert f'action="/procedures/steps/{step_id(procedure, 2)}/complete"' not in html  # 销售公司
    assert f'action="/procedures/steps/{step_id(procedure, 1)}/due-date"' not in html  # the CS center's


async def test_complete_without_documents_is_refused_on_the_page_then_upload_and_complete(personas):
    procedure = await started(personas)
    paul = await english(await personas.browser("paul"))
    first = step_id(procedure, 1)
    refused = await paul.post(f"/procedures/steps/{first}/complete", data={"note": "第一版"},
                              headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert "Upload the required documents first" in refused.text and 'id="steps"' in refused.text
    assert 'value="第一版"' in refused.text  # what was typed is kept
    uploaded = await paul.post(f"/procedures/steps/{first}/documents", data={"name": "《商品住宅使用说明书》"},
                               files={"file": ("说明书.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text
    empty = await paul.post(f"/procedures/steps/{first}/documents", files={"file": ("x.pdf", b"", "application/pdf")},
                            follow_redirects=False)
    assert empty.status_code == 400 and "The file is empty." in empty.text
    completed = await paul.post(f"/procedures/steps/{first}/complete", data={"note": "第一版"}, follow_redirects=False)
    assert completed.status_code == 303 and completed.headers["location"] == f"/procedures/{procedure['id']}#step-{first}"
    page = (await paul.get(f"/procedures/{procedure['id']}")).text
    assert "说明书.pdf" in page and "Completed by Paul" in page
    document_link = page.split('href="/procedures/documents/')[1].split('"')[0]
    served = await paul.get(f"/procedures/documents/{document_link}")
    assert served.status_code == 200 and served.content == PDF


async def test_approve_and_reject_from_the_page(personas):
    procedure = await started(personas)
    carol = await english(await personas.browser("carol"))
    seventh = step_id(procedure, 7)  # 交房公告: approved by an administrator
    await carol.post(f"/procedures/steps/{seventh}/documents", files={"file": ("公告.pdf", PDF, "application/pdf")})
    assert (await carol.post(f"/procedures/steps/{seventh}/complete", data={}, follow_redirects=False)).status_code == 303
    assert "Awaiting approval" in (await carol.get(f"/procedures/{procedure['id']}")).text
    alice = await english(await personas.browser("alice"))
    page = (await alice.get(f"/procedures/{procedure['id']}")).text
    assert f'formaction="/procedures/steps/{seventh}/reject"' in page
    no_reason = await alice.post(f"/procedures/steps/{seventh}/reject", data={"reason": ""})
    assert no_reason.status_code == 400 and "Say why the step is rejected." in no_reason.text
    rejected = await alice.post(f"/procedures/steps/{seventh}/reject", data={"reason": "日期写错"},
                                follow_redirects=False)
    assert rejected.status_code == 303
    page = (await alice.get(f"/procedures/{procedure['id']}")).text
    assert "Rejected by Alice:" in page and "日期写错" in page
    swapped = await alice.post(f"/procedures/steps/{seventh}/due-date", data={"due_date": "2030-01-01"},
                               headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<div id="procedure">')
    assert "Due date changed." in swapped.text and "2030-01-01" in swapped.text
    assert page.index("Completed by Carol") < page.rindex("Rejected by Alice")  # the history, oldest first
    assert (await ProcedureStep.objects().get(ProcedureStep.id == seventh).run()).status == "open"


async def test_the_cs_center_starts_a_procedure_for_a_project_from_the_list(personas):
    p = await project("滨江壹号")
    carol = await english(await personas.browser("carol"))
    listing = await carol.get(f"/procedures?project={p.id}")
    assert "Start a procedure for a project" in listing.text and "前期物业招标" in listing.text
    bad = await carol.post("/procedures", data={"template_code": "pm_tender", "project_id": "", "start_date": "soon"})
    assert bad.status_code == 400 and "Choose a project." in bad.text
    made = await carol.post("/procedures", data={"template_code": "pm_tender", "project_id": str(p.id),
                                                 "start_date": "2027-01-01"}, follow_redirects=False)
    assert made.status_code == 303
    procedure = await Procedure.objects().first().run()
    assert made.headers["location"] == f"/procedures/{procedure.id}" and procedure.subject_kind == "project"
    paul = await english(await personas.browser("paul"))
    assert "Start a procedure for a project" not in (await paul.get("/procedures")).text


@pytest.mark.parametrize("name", ["bob", "olga"])
async def test_contractors_and_owners_get_no_procedure_pages(personas, name):
    procedure = await started(personas)
    outsider = await personas.browser(name)
    assert (await outsider.get(f"/procedures/{procedure['id']}")).status_code == 403
    assert (await outsider.get("/procedures")).status_code == 403
    home = await outsider.get("/")
    assert 'href="/procedures"' not in home.text


async def test_a_plain_form_upload_without_javascript_works_too(personas):
    """Without htmx the token comes in the form body, which the CSRF check reads first."""
    procedure = await started(personas)
    paul = await personas.browser("paul")
    token = paul.headers.pop("X-CSRFToken")
    first = step_id(procedure, 1)
    r = await paul.post(f"/procedures/steps/{first}/documents", data={"_csrf_token": token},
                        files={"file": ("说明书.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "说明书.pdf" in (await paul.get(f"/procedures/{procedure['id']}")).text
