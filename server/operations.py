"""What an operator's commands do, shared by `server.cli` (one command at a
time) and `server.launcher` (`make run`), so neither imports the other."""
from __future__ import annotations

CREATE_ADMIN_HINT = "python -m server createsuperuser --username U --password P"


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
    """Load the demo project and its logins into an empty database."""
    from server import db
    from server.demo import seed_demo

    await db.start_pool()
    try:
        created = await seed_demo()
    finally:
        await db.close_pool()
    print("Demo data loaded." if created else "Database not empty: demo data not loaded.")


async def first_run() -> None:
    """At `make run`: the demo where the settings allow it (DEMO, else a loopback
    HOST); otherwise, on an empty database, how to make the first admin."""
    from server import db
    from server.accounts.tables import User
    from server.settings import get_settings

    settings = get_settings()
    if settings.demo:
        await seed()
        return
    await db.start_pool()
    try:
        empty = await User.count().run() == 0
    finally:
        await db.close_pool()
    if empty:
        reason = "DEMO=0" if settings.demo_setting is False else f"HOST={settings.host} is not a loopback address"
        print(f"No users yet and no demo data ({reason}; DEMO=1 loads the demo).\n"
              f"Create the first admin: {CREATE_ADMIN_HINT}", flush=True)


async def verify_records() -> int:
    """Check every signed legal record (server/integrity.py); print each altered one. 0 when all hold, 1 otherwise."""
    from server import db
    from server.integrity import verify_records as verify

    await db.check_connection()
    await db.start_pool()
    try:
        report = await verify()
    finally:
        await db.close_pool()
    for finding in report.findings:
        print(finding, flush=True)
    checked = ", ".join(f"{count} {table}" for table, count in report.checked.items())
    if report.findings:
        print(f"Checked {checked}: {len(report.findings)} problem(s) found.", flush=True)
        return 1
    print(f"Checked {checked}: every record matches its hashes and signatures.", flush=True)
    return 0


async def backup(target: str) -> None:
    from pathlib import Path

    from server.backup import backup as make_backup

    manifest = await make_backup(Path(target))
    print(f"Backed up {len(manifest['tables'])} tables ({sum(manifest['tables'].values())} rows) and "
          f"{len(manifest['files'])} files to {target}", flush=True)


async def restore_check(source: str | None) -> int:
    """Restore a backup (or one made now) into a fresh database and media folder and compare. 0 when identical."""
    from pathlib import Path

    from server.backup import restore_check as check

    manifest, differences = await check(Path(source) if source else None)
    for difference in differences:
        print(f"DIFFERENT {difference}", flush=True)
    summary = (f"{len(manifest['tables'])} tables ({sum(manifest['tables'].values())} rows) and "
               f"{len(manifest['files'])} files")
    if differences:
        print(f"Restore check FAILED: {len(differences)} difference(s) in {summary}.", flush=True)
        return 1
    print(f"Restore check passed: {summary} restored identical.", flush=True)
    return 0
