"""The procedure page on a phone (issue 10.5): what waits for the user comes
first, a done step folds to one line, and "done" cannot be pressed before the
step's documents are there (the server refuses it as well)."""
from __future__ import annotations

import re

import pytest

from server.procedures import services
from tests.pages.test_rectification_pages import english
from tests.procedures.support import PDF, started
from tests.procedures.test_procedure_pages import step_id


@pytest.fixture(autouse=True)
async def templates():
    await services.templates_ensure()


def complete_button(html: str, step: int) -> str:
    form = re.search(r'<form[^>]*action="/procedures/steps/%d/complete".*?</form>' % step, html, re.S).group(0)
    return re.search(r"<button[^>]*>", form).group(0)


async def test_done_is_disabled_until_the_documents_are_there_and_a_done_step_folds(personas):
    procedure = await started(personas)
    first = step_id(procedure, 1)
    paul = await english(await personas.browser("paul"))
    page = (await paul.get(f"/procedures/{procedure['id']}")).text
    assert " disabled" in complete_button(page, first)
    # Waiting for paul (项目部): step 1, linked, before the steps themselves.
    waiting = re.search(r'<nav class="app-card proc-next".*?</nav>', page, re.S).group(0)
    assert f'href="#step-{first}"' in waiting and f'href="#step-{step_id(procedure, 2)}"' not in waiting
    assert page.index('class="app-card proc-next"') < page.index('id="steps"')

    # Pressed anyway (a stale page, a script): the server still refuses.
    refused = await paul.post(f"/procedures/steps/{first}/complete", data={"note": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "Upload the required documents first" in refused.text

    await paul.post(f"/procedures/steps/{first}/documents", data={"name": "《商品住宅使用说明书》"},
                    files={"file": ("说明书.pdf", PDF, "application/pdf")})
    page = (await paul.get(f"/procedures/{procedure['id']}")).text
    assert " disabled" not in complete_button(page, first)
    completed = await paul.post(f"/procedures/steps/{first}/complete", data={"note": "第一版"}, follow_redirects=False)
    assert completed.status_code == 303
    page = (await paul.get(f"/procedures/{procedure['id']}")).text
    assert re.search(r'<details class="app-card proc-step proc-step_done" id="step-%d">' % first, page)
    waiting = re.search(r'<nav class="app-card proc-next".*?</nav>', page, re.S).group(0)
    assert f'href="#step-{first}"' not in waiting and f'href="#step-{step_id(procedure, 3)}"' in waiting
    carol = await english(await personas.browser("carol"))
    page = (await carol.get(f"/procedures/{procedure['id']}")).text
    assert re.search(r'<details class="app-card proc-step proc-step_done" id="step-%d">' % first, page)
    assert re.search(r'<article class="app-card proc-step[^"]*" id="step-%d">' % step_id(procedure, 2), page)


async def test_the_cs_center_sees_its_own_steps_first_and_other_departments_forms_folded(personas):
    procedure = await started(personas)
    carol = await english(await personas.browser("carol"))
    page = (await carol.get(f"/procedures/{procedure['id']}")).text
    waiting = re.search(r'<nav class="app-card proc-next".*?</nav>', page, re.S).group(0)
    linked = [int(n) for n in re.findall(r'href="#step-(\d+)"', waiting)]
    assert linked == [step_id(procedure, n) for n in (6, 7, 10)]  # 客服中心's own steps
    # Step 1 is the project department's: carol may stand in, behind a fold.
    step1 = re.search(r'id="step-%d">.*?</article>' % step_id(procedure, 1), page, re.S).group(0)
    assert re.search(r'<details class="fold proc-act">\s*<summary>.*?Work on it for the department</summary>'
                     r'.*?action="/procedures/steps/%d/complete"' % step_id(procedure, 1), step1, re.S)
    step6 = re.search(r'id="step-%d">.*?</article>' % step_id(procedure, 6), page, re.S).group(0)
    assert "proc-act" not in step6 and 'action="/procedures/steps/%d/complete"' % step_id(procedure, 6) in step6
