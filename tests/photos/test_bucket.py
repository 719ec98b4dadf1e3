"""Files in an S3-compatible bucket (STORAGE_URL=s3://..., server/photos/storage_s3.py), against
a real SeaweedFS started by the tests (tests/s3server.py). The photo pipeline runs on it in
tests/photos (the `each_storage` fixture); here: what only a bucket has (the URL setting,
streaming, presigned and streamed downloads, PDFs rendered from the bucket) and
`python -m server storage-migrate`."""
from __future__ import annotations

import hashlib
import os
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import use_storage_url
from tests.photos import images
from tests.photos.support import post_floor_plan, run_worker, served


@pytest.fixture
async def bucket(s3_server, monkeypatch):
    """STORAGE_URL on the test bucket, under a prefix of its own (nothing left by another test)."""
    from server.photos.storage import close_storage, get_storage

    use_storage_url(monkeypatch, s3_server.storage_url(prefix=f"t-{uuid.uuid4().hex[:8]}"))
    yield get_storage()
    await close_storage()


def test_storage_url_is_checked_at_start(monkeypatch):
    from server.photos.storage_url import parse_storage_url
    from server.settings import SettingsError, load_settings

    loc = parse_storage_url("s3://k%2Fy:s%2Bc@media/cs?endpoint=http://10.0.0.5:9000/&serve=stream&expires=600")
    assert (loc.bucket, loc.prefix, loc.endpoint, loc.serve, loc.expires) == (
        "media", "cs/", "http://10.0.0.5:9000", "stream", 600)
    assert (loc.access_key, loc.secret_key) == ("k/y", "s+c")
    assert "s+c" not in repr(loc)  # a log line never carries the secret
    for bad, words in [("http://media", "must be empty"), ("s3://media?endpoint=ftp://x", "endpoint"),
                       ("s3://media?serve=proxy", "serve"), ("s3://media?expires=5", "expires"),
                       ("s3://media?colour=red", "unknown option"), ("s3://key@media", "both"),
                       ("s3://x?endpoint=http://h", "bucket name")]:
        monkeypatch.setenv("STORAGE_URL", bad)
        with pytest.raises(SettingsError, match="STORAGE_URL") as raised:
            load_settings()
        assert words in str(raised.value)


async def test_a_large_file_is_streamed_to_and_from_the_bucket_not_held_in_memory(bucket):
    from server.photos.storage import scratch_dir

    source = scratch_dir() / f"big-{uuid.uuid4().hex}.part"
    block = os.urandom(1024 * 1024)
    with open(source, "wb") as f:
        for _ in range(24):
            f.write(block)
    expected = hashlib.sha256(block * 24).hexdigest()
    await bucket.exists("warm-up")  # the client and botocore's S3 model are made once, not measured
    tracemalloc.start()
    try:
        await bucket.put_file("big/file.bin", source)
        put_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        async for chunk in bucket.chunks("big/file.bin"):
            digest.update(chunk)
            total += len(chunk)
        get_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"\n24 MiB through the bucket: peak allocated {put_peak / 1e6:.1f} MB uploading, "
          f"{get_peak / 1e6:.1f} MB downloading")
    assert not source.exists()  # put_file consumes the staged file
    assert (total, digest.hexdigest()) == (24 * 1024 * 1024, expected)
    assert await bucket.sha256("big/file.bin") == expected  # recorded for storage-migrate
    assert max(put_peak, get_peak) < 6 * 1024 * 1024, "a 24 MiB file was held in memory"
    async with bucket.local_copy("big/file.bin") as copy:
        assert copy.parent == scratch_dir() and copy.stat().st_size == 24 * 1024 * 1024
    assert not copy.exists()  # the worker's copy is removed after use
    await bucket.delete("big/file.bin")
    assert not await bucket.exists("big/file.bin")
    with pytest.raises(FileNotFoundError):
        await bucket.size("big/file.bin")


async def test_a_download_is_a_short_lived_presigned_url_and_the_bucket_is_not_public(
        personas, alice, unit_type, bucket, s3_server):
    from workers.settings import WorkerSettings

    photo_id = (await post_floor_plan(alice, unit_type.id, images.plain_jpeg())).json()["photo"]["id"]
    await run_worker(WorkerSettings)
    r = await alice.get(f"/photos/{photo_id}/thumb")
    assert r.status_code == 302
    url = httpx.URL(r.headers["location"])
    assert str(url).startswith(s3_server.endpoint + "/cs-media/t-")
    assert url.params["X-Amz-Expires"] == "300"
    async with httpx.AsyncClient() as browser:
        ok = await browser.get(str(url))
        assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg"
        assert ok.headers["content-disposition"] == f'inline; filename="photo-{photo_id}-thumb.jpg"'
        forged = str(url).replace(url.params["X-Amz-Signature"], "0" * 64)
        assert (await browser.get(forged)).status_code == 403
        assert (await browser.get(f"{s3_server.endpoint}/{url.path.lstrip('/')}")).status_code == 403
    # A page's script that keeps the bytes (the offline download's fetch(), the markup canvas)
    # gets them from the app's own origin, streamed from the bucket.
    data = (await served(alice, f"/photos/{photo_id}/thumb")).content
    for headers, query in (({"Sec-Fetch-Dest": "empty"}, ""), ({"Sec-Fetch-Dest": "image"}, "?via=app")):
        streamed = await alice.get(f"/photos/{photo_id}/thumb{query}", headers=headers)
        assert streamed.status_code == 200 and streamed.content == data
    # Someone who may not see the photo never gets a URL at all.
    bob = await personas.api("bob")
    assert (await bob.get(f"/photos/{photo_id}/thumb", headers={"Accept": "application/json"})).status_code == 404


async def test_serve_stream_passes_the_bytes_through_the_app(alice, unit_type, s3_server, monkeypatch):
    from server.photos.storage import close_storage
    from workers.settings import WorkerSettings

    use_storage_url(monkeypatch, s3_server.storage_url(prefix="stream", serve="stream"))
    try:
        data = images.plain_jpeg()
        photo_id = (await post_floor_plan(alice, unit_type.id, data)).json()["photo"]["id"]
        await run_worker(WorkerSettings)
        r = await alice.get(f"/photos/{photo_id}/original")
        assert r.status_code == 200 and r.content == data
        assert r.headers["content-length"] == str(len(data))
        assert (await served(alice, f"/photos/{photo_id}/display")).status_code == 200
    finally:
        await close_storage()


async def test_a_pdf_is_rendered_from_photos_in_the_bucket_and_kept_there(bucket):
    from server.reports import pdf
    from tests.reports.support import pdf_image_count

    await bucket.put_bytes("photos/p/display.jpg", images.plain_jpeg())
    html = '<p>验房报告</p><img src="/photos/1/display">'
    digest = pdf.content_hash(html, {"/photos/1/display": ["photos/p/display.jpg", 40]})
    with ThreadPoolExecutor(1) as executor:
        assert await pdf.store("inspection-report", 1, digest, html,
                               {"/photos/1/display": ["photos/p/display.jpg", 40]}, executor) is True
        assert await pdf.store("inspection-report", 1, digest, html, {}, executor) is False  # kept: not again
    data = await bucket.read_bytes(pdf.pdf_key("inspection-report", 1, digest))
    assert data.startswith(b"%PDF-") and pdf_image_count(data) == 1


async def test_a_procedure_document_goes_to_the_bucket_and_back_to_staff_only(personas, bucket):
    from tests.procedures.support import PDF, started, upload

    procedure = await started(personas)
    paul = await personas.api("paul")
    stored = (await upload(paul, procedure["steps"][0]["id"], filename="说明书.pdf")).json()
    assert [key async for key in bucket.keys("documents/")] != []
    carol = await personas.api("carol")
    r = await served(carol, stored["url"])
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].endswith("filename*=UTF-8''%E8%AF%B4%E6%98%8E%E4%B9%A6.pdf")
    bob = await personas.api("bob")
    refused = await bob.get(stored["url"])
    assert refused.status_code == 403 and "location" not in refused.headers


async def test_urls_for_browsers_are_signed_for_the_public_endpoint(s3_server):
    from server.photos.storage_s3 import S3Storage

    storage = S3Storage.from_url(s3_server.storage_url(prefix="pub", public_endpoint="https://files.example.cn",
                                                       expires="900"))
    try:
        url = await storage.download_url("photos/x/thumb.jpg", media_type="image/jpeg",
                                         disposition="inline", cache_control="private, max-age=86400")
        assert url.startswith("https://files.example.cn/cs-media/pub/photos/x/thumb.jpg?")
        assert "X-Amz-Expires=900" in url and "response-content-type=image%2Fjpeg" in url
        assert not await storage.exists("photos/x/thumb.jpg")  # the app itself still talks to `endpoint`
    finally:
        await storage.close()
