"""Shared test set-up: a real database (a fresh SQLite file, or the PostgreSQL
named by DATABASE_URL), a private real Redis on a free port, the app, and
personas.

Environment variables are set before anything from `server` is imported,
because settings and the Piccolo engine are read once per process.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="cs-tests-"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_PORT = _free_port()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP}/test.db")
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
os.environ["MEDIA_ROOT"] = str(_TMP / "media")
os.environ["SECRET_KEY"] = "test-secret-key-0123456789abcdef"
os.environ.pop("DEFAULT_LANGUAGE", None)
os.environ.pop("STORAGE_URL", None)  # the local disk, unless a test asks for the bucket (each_storage)

from tests.support import Personas, RedisServer, redis_server_binary  # noqa: E402


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer(redis_server_binary(), REDIS_PORT, _TMP / "redis")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
async def migrated_db(redis_server):
    from server.operations import migrate

    await migrate()
    from server import db

    await db.start_pool()
    yield
    await db.close_pool()


@pytest.fixture(autouse=True)
async def clean_db(migrated_db, redis_server):
    """Every test starts from empty tables and an empty Redis."""
    from tests.support import truncate_all

    await truncate_all()
    redis_server.flushall()
    yield


@pytest.fixture(scope="session")
def app(migrated_db):
    from server.app import create_app

    return create_app()


@pytest.fixture
async def client(app):
    from tests.support import make_client

    async with make_client(app) as c:
        yield c


@pytest.fixture
async def personas(app):
    """alice (admin), carol (cs_staff), ian (inspector), sam (supervisor), paul (project_staff),
    bob (contractor of Builder A), bert (contractor of Builder B), olga (owner), and clients for each."""
    p = Personas(app)
    await p.setup()
    yield p
    await p.close()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (SeaweedFS) with the bucket `cs-media`: started once, only
    for the tests that ask for it (tests/s3server.py)."""
    from tests.s3server import SeaweedS3

    server = SeaweedS3(_TMP / "s3")
    server.start()
    yield server
    server.stop()


def use_storage_url(monkeypatch, url: str) -> None:
    """Run this test with STORAGE_URL=url (the settings are read once per process)."""
    import dataclasses

    from server import settings as settings_module

    monkeypatch.setattr(settings_module, "_settings", dataclasses.replace(settings_module.get_settings(),
                                                                         storage_url=url))


@pytest.fixture(params=["local", "s3"])
async def each_storage(request, monkeypatch):
    """Run the test twice: files on the local disk (the default), and in a bucket (downloads
    answered by a redirect to a presigned URL, as in production)."""
    from server.photos.storage import close_storage

    if request.param == "s3":
        use_storage_url(monkeypatch, request.getfixturevalue("s3_server").storage_url())
    yield request.param
    await close_storage()
