"""The installable app: manifest, a root-scoped service worker, an offline page."""
import json
import re


async def test_the_manifest_describes_an_installable_chinese_app(client):
    r = await client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    manifest = r.json()
    assert manifest["lang"] == "zh-CN" and manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["name"] == "客户服务中心"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_the_service_worker_is_served_from_the_root_and_its_shell_exists(client):
    r = await client.get("/sw.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert r.headers["service-worker-allowed"] == "/" and r.headers["cache-control"] == "no-cache"
    version = re.search(r'const VERSION = "([0-9a-f]+)"', r.text).group(1)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", r.text).group(1))
    assert len(version) == 12 and "/offline" in shell
    for url in shell:
        assert (await client.get(url)).status_code == 200, url
    assert 'request.method !== "GET"' in r.text  # POSTs are never cached


async def test_the_offline_page_needs_no_sign_in_and_names_nobody(personas):
    alice = await personas.browser("alice")
    r = await alice.get("/offline")
    assert r.status_code == 200 and "Alice" not in r.text and "/admin/" not in r.text


async def test_the_favicon_is_served_without_sign_in_and_linked_from_the_pages(client):
    from io import BytesIO

    from PIL import Image

    r = await client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/vnd.microsoft.icon"
    icon = Image.open(BytesIO(r.content))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    login = await client.get("/login")
    assert '<link rel="icon" href="/favicon.ico"' in login.text
