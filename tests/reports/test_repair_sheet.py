"""The repair completion sheet (维修完工单) as a page and as a PDF through the document
pipeline: a repair reported with photos, checked, completed with an after-photo and
signed by the owner on her phone; real workers process the photos and render the
PDF, which is opened: the Chinese unit number, the description, the warranty's
reasoning, the check, the sign-off's SHA-256, and its images counted (two before,
one after, the signature). Who may have it: staff and the owner; a contractor 403;
another owner, or a repair not signed off yet, 404."""
from __future__ import annotations

import datetime as dt

from server import clock
from tests.inspections.support import photo_files
from tests.photos.support import run_worker
from tests.reports.support import fetch_pdf, pdf_image_count, pdf_text
from tests.reports.test_pdf_documents import _flat, _keep_png
from tests.repairs.closing_support import another_owner, complete, move, signature
from tests.repairs.support import homes, multipart, report


async def _signed_repair(personas) -> tuple[dict, int]:
    h = await homes(personas)
    carol, olga = await personas.api("carol"), await personas.api("olga")
    delivered = (clock.today() - dt.timedelta(days=400)).isoformat()  # within the 5 years of waterproofing
    assert (await carol.post(f"/api/v1/units/{h['mine']}/delivered", json={"delivered_on": delivered})).status_code == 201
    r = await report(olga, h["mine"], files=photo_files(2), description="卫生间顶棚漏水，滴到地面")
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = await carol.post(f"/api/v1/repairs/{rid}/triage",
                         json={"component": "waterproofing", "urgency": "emergency", "survey_needed": False})
    assert r.status_code == 200, r.text
    await move(personas, rid, "assign", "start")
    r = await carol.post(f"/api/v1/repairs/{rid}/checks",
                         files=multipart({"aspect": "safety", "result": "ok", "note": "已设警示围挡"}))
    assert r.status_code == 201, r.text
    return h, rid


async def _process_photos() -> None:
    from workers.settings import HeavyWorkerSettings, WorkerSettings

    await run_worker(WorkerSettings)
    await run_worker(HeavyWorkerSettings)


async def test_the_completion_sheet_page_and_pdf(personas):
    from server.org.tables import Unit
    from server.repairs.closing_tables import RepairSignoff

    h, rid = await _signed_repair(personas)
    carol, olga = await personas.browser("carol"), await personas.api("olga")
    url = f"/documents/repair-completion/{rid}"
    assert (await carol.get(url)).status_code == 404  # not completed: no sheet yet
    assert (await complete(await personas.api("carol"), rid, note="更换防水层，闭水试验48小时无渗漏")).status_code == 200
    assert (await carol.get(url)).status_code == 404  # completed, not signed yet
    r = await olga.post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature(), "signer_name": "王业主"})
    assert r.status_code == 201, r.text
    record = await RepairSignoff.objects().get(RepairSignoff.repair == rid).run()
    await _process_photos()
    number = (await Unit.select(Unit.number).where(Unit.id == h["mine"]).first().run())["number"]

    page = await carol.get(url)
    assert page.status_code == 200 and "维修完工单" in page.text and record.content_sha256 in page.text
    assert page.text.count('src="/photos/') == 3 and f"/api/v1/repair-signoffs/{record.id}/signature" in page.text
    detail = await carol.get(f"/repairs/{rid}")
    assert f'href="{url}"' in detail.text  # the repair's page links to its sheet

    data, _digest = await fetch_pdf(carol, url)
    text = _flat(pdf_text(data))
    assert "维修完工单" in text and f"1号楼·{number}" in text and number == "101"
    assert "卫生间顶棚漏水，滴到地面" in text and "更换防水层，闭水试验48小时无渗漏" in text
    assert "已设警示围挡" in text and "王业主" in text and "紧急" in text
    assert "保修期内" in text  # the warranty's reasoning: within the period
    assert record.content_sha256 in text
    assert pdf_image_count(data) == 4  # two photos before, one after, the owner's signature
    assert _keep_png(data, "repair-completion").stat().st_size > 10_000


async def test_who_may_have_the_sheet(personas):
    _h, rid = await _signed_repair(personas)
    await complete(await personas.api("carol"), rid)
    olga = await personas.browser("olga")
    r = await (await personas.api("olga")).post(f"/api/v1/repairs/{rid}/sign-off", json={"signature": signature()})
    assert r.status_code == 201, r.text
    url = f"/documents/repair-completion/{rid}"
    assert (await olga.get(url)).status_code == 200  # the owner, from her repair's page
    assert f'href="{url}"' in (await olga.get(f"/owner/repairs/{rid}")).text
    oscar = await another_owner(personas)
    for path in ("", "/progress/" + "a" * 64, "/file/" + "a" * 64):
        assert (await oscar.get(url + path)).status_code == 404, path
    bob = await personas.api("bob")  # a contractor
    assert (await bob.get(url)).status_code == 403
    assert (await bob.post(url)).status_code == 403
    assert (await (await personas.browser("carol")).get("/documents/repair-completion/999999")).status_code == 404
