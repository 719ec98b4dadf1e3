"""PDFs are cached by a hash of their content (issue 13): asking again for an
unchanged document answers the kept PDF at once, whoever asks, and renders
nothing; a change of the record makes a new PDF. Counted with the renderer's
own counter, around a real worker."""
from __future__ import annotations

from decimal import Decimal

from tests.delivery.support import ready_batch
from tests.photos.support import run_worker
from tests.reports.support import FILE_RE, PROGRESS_RE, ask_pdf, fetch_pdf, pdf_text


async def test_an_unchanged_document_is_rendered_once(personas, redis_server):
    import redis

    from server.delivery.tables import ConfirmedArea
    from server.reports import pdf
    from workers.settings import WorkerSettings

    import shutil

    from server.settings import get_settings

    shutil.rmtree(get_settings().media_root / "reports", ignore_errors=True)  # no PDF kept by a test before
    setup = await ready_batch(personas, slots=False)
    unit_id = setup["units"][0]
    url = f"/documents/settlement-statement/{unit_id}"
    carol, alice = await personas.browser("carol"), await personas.browser("alice")

    before = pdf.renders
    first, digest = await fetch_pdf(carol, url)
    assert pdf.renders == before + 1

    # Asked again, by the same person and by another: the download at once, no job queued.
    for browser in (carol, alice):
        r = await ask_pdf(browser, url)
        assert r.status_code == 200
        assert FILE_RE.search(r.text).group(2) == digest and not PROGRESS_RE.search(r.text)
    assert redis.Redis(port=redis_server.port).zcard("arq:queue") == 0
    await run_worker(WorkerSettings)
    assert pdf.renders == before + 1
    again, same = await fetch_pdf(alice, url)
    assert (same, again) == (digest, first) and pdf.renders == before + 1

    # The confirmed area arrives: another statement, another PDF.
    await ConfirmedArea(unit=unit_id, registered_area=Decimal("89.00"), source="确权面积.xlsx").save().run()
    r = await ask_pdf(carol, url)
    assert PROGRESS_RE.search(r.text) and digest not in r.text
    changed, new_digest = await fetch_pdf(carol, url)
    assert new_digest != digest and pdf.renders == before + 2
    assert "89.00" in pdf_text(changed) and "89.00" not in pdf_text(first)


async def test_without_htmx_the_button_opens_the_progress_page(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.browser("carol")
    url = f"/documents/settlement-statement/{setup['units'][0]}"
    page = await carol.get(f"/delivery/units/{setup['units'][0]}/statement")
    assert f'action="{url}"' in page.text
    r = await carol.post(url, follow_redirects=False)
    assert r.status_code == 303 and "/progress/" in r.headers["location"]
    r = await carol.get(r.headers["location"])
    # Being made, or made already by the test before (same statement, same hash: the cache).
    assert r.status_code == 200 and "<html" in r.text and ("正在生成 PDF" in r.text or "PDF 已生成" in r.text)


async def test_a_pdf_that_is_not_coming_offers_try_again(personas, redis_server, monkeypatch):
    import shutil

    from server.reports import pdf
    from server.settings import get_settings
    from workers.settings import WorkerSettings

    setup = await ready_batch(personas, slots=False)
    carol = await personas.browser("carol")
    url = f"/documents/settlement-statement/{setup['units'][0]}"

    # The renderer fails in the worker: the progress says so, and the button asks again.
    def broken(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    shutil.rmtree(get_settings().media_root / "reports", ignore_errors=True)
    r = await ask_pdf(carol, url)
    progress = PROGRESS_RE.search(r.text).group(1)
    await run_worker(WorkerSettings)
    r = await carol.get(progress, headers={"HX-Request": "true"})
    assert "PDF 生成失败，请重试。" in r.text and f'hx-post="{url}"' in r.text and not PROGRESS_RE.search(r.text)
    monkeypatch.undo()
    fetched, _digest = await fetch_pdf(carol, url)  # asked again: made this time
    assert fetched.startswith(b"%PDF-")

    # A job that never ends (its worker died): after the last poll the page stops waiting.
    r = await carol.get(f"{url}/progress/{'a' * 64}?polls=359", headers={"HX-Request": "true"})
    assert PROGRESS_RE.search(r.text) and "polls=360" in r.text
    r = await carol.get(f"{url}/progress/{'a' * 64}?polls=360", headers={"HX-Request": "true"})
    assert "PDF 生成失败，请重试。" in r.text and not PROGRESS_RE.search(r.text)

    # Redis is down: nothing would make it, so the answer says so at once.
    shutil.rmtree(get_settings().media_root / "reports", ignore_errors=True)
    redis_server.stop()
    try:
        r = await ask_pdf(carol, url)
    finally:
        redis_server.start()
    assert r.status_code == 200 and "PDF 生成失败，请重试。" in r.text and not PROGRESS_RE.search(r.text)


async def test_a_changed_document_deletes_its_superseded_pdf(personas):
    """The old PDF of a document whose content changed is deleted once the new one is kept;
    the same document in the other language, and other documents, keep theirs."""
    import shutil

    from server.delivery.tables import ConfirmedArea
    from server.reports import pdf
    from server.settings import get_settings

    root = get_settings().media_root
    shutil.rmtree(root / "reports", ignore_errors=True)
    setup = await ready_batch(personas, slots=False)
    unit_id, other_unit = setup["units"][0], setup["units"][1]
    url = f"/documents/settlement-statement/{unit_id}"
    carol, alice = await personas.browser("carol"), await personas.browser("alice")
    alice.cookies.set("lang", "en")

    def kept(digest: str, unit: int = unit_id) -> bool:
        return (root / pdf.pdf_key("settlement-statement", unit, digest)).is_file()

    _zh, old_zh = await fetch_pdf(carol, url)
    english, old_en = await fetch_pdf(alice, url)
    _other, other = await fetch_pdf(carol, f"/documents/settlement-statement/{other_unit}")
    assert old_en != old_zh and "Area settlement statement" in pdf_text(english)
    assert kept(old_zh) and kept(old_en) and kept(other, other_unit)

    await ConfirmedArea(unit=unit_id, registered_area=Decimal("89.00"), source="确权面积.xlsx").save().run()
    _new, new_zh = await fetch_pdf(carol, url)
    assert new_zh != old_zh
    assert kept(new_zh) and not kept(old_zh)  # superseded: deleted
    assert kept(old_en) and kept(other, other_unit)  # another language, another document: kept
    assert sorted(p.name for p in (root / "reports" / "settlement-statement" / str(unit_id)).iterdir()) == sorted(
        [f"{new_zh}.pdf", f"{old_en}.pdf", "current-en", "current-zh_CN"])
    # The old download link answers 404 now; asking again offers the new PDF.
    assert (await carol.get(f"{url}/file/{old_zh}")).status_code == 404

    _new_en, new_en = await fetch_pdf(alice, url)
    assert new_en != old_en and kept(new_en) and not kept(old_en) and kept(new_zh)
