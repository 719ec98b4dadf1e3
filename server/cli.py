"""`python -m server <command>`: the commands an operator runs.

  migrate                 apply every migration (both databases)
  createsuperuser         make an admin (no prompts when --username and --password are given)
  seed                    load the demo project and demo logins if the database is empty
  run                     everything `make run` needs: Redis if not configured, migrate, seed, web, workers
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server import db

    await db.check_connection()
    await db.start_pool()
    try:
        result = await run_forwards("all")
        if not result.success:
            raise SystemExit(f"Migrations failed: {result.message}")
        await db.refresh_statistics()
    finally:
        await db.close_pool()


async def create_superuser(username: str, password: str) -> None:
    from server import db
    from server.accounts import roles
    from server.accounts.services import user_create

    await db.start_pool()
    try:
        user = await user_create(actor=None, username=username, password=password, role=roles.ADMIN,
                                 display_name=username)
    finally:
        await db.close_pool()
    print(f"Created admin {user.username} (id {user.id})")


async def seed() -> None:
    from server import db
    from server.demo import seed_demo

    await db.start_pool()
    try:
        created = await seed_demo()
    finally:
        await db.close_pool()
    print("Demo data loaded." if created else "Database not empty: demo data not loaded.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply all migrations")
    su = commands.add_parser("createsuperuser", help="create an admin user")
    su.add_argument("--username")
    su.add_argument("--password")
    commands.add_parser("seed", help="load demo data into an empty database")
    commands.add_parser("run", help="start Redis (if needed), migrate, seed, web server and workers")
    args = parser.parse_args(argv)

    from server.db import DatabaseUnavailable
    from server.errors import Invalid
    from server.settings import SettingsError, get_settings

    try:
        get_settings()
        if args.command == "migrate":
            asyncio.run(migrate())
        elif args.command == "createsuperuser":
            username = args.username or input("Username: ")
            password = args.password or getpass.getpass("Password: ")
            asyncio.run(create_superuser(username, password))
        elif args.command == "seed":
            asyncio.run(seed())
        elif args.command == "run":
            from server.launcher import run

            run()
    except SettingsError as exc:
        sys.exit(f"Configuration error: {exc}")
    except DatabaseUnavailable as exc:
        sys.exit(str(exc))
    except Invalid as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        sys.exit(f"{exc.message} {details}")
