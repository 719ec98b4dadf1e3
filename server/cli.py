"""`python -m server <command>`: the commands an operator runs.

  migrate                 apply every migration (both databases)
  createsuperuser         make an admin (no prompts when --username and --password are given)
  seed                    load the demo project and demo logins if the database is empty
  verify-records          check every signed legal record's hash, signature images and audit entry;
                          exits 1 naming each record that was altered
  backup --to DIR         PostgreSQL: pg_dump, the media folder and a manifest of row counts and file hashes
  restore-check [--from DIR]  restore a backup (a new one if no DIR) into a fresh database and media folder,
                          compare counts and hashes with its manifest; exits 1 naming each difference
  run                     everything `make run` needs (see server/launcher.py): Redis if not configured,
                          migrate, the demo on a loopback HOST or DEMO=1, then web and workers, supervised
  storage-migrate         copy MEDIA_ROOT's files into the STORAGE_URL bucket (resumable, SHA-256 verified;
                          server/photos/storage_migrate.py); exits 1 when a file failed

The commands themselves live in `server.operations`, which the launcher calls too.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from server.operations import backup, create_superuser, migrate, restore_check, seed, verify_records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply all migrations")
    su = commands.add_parser("createsuperuser", help="create an admin user")
    su.add_argument("--username")
    su.add_argument("--password")
    commands.add_parser("seed", help="load demo data into an empty database")
    commands.add_parser("verify-records", help="check every signed legal record; exit 1 naming the altered ones")
    backup_parser = commands.add_parser("backup", help="PostgreSQL dump + media folder + manifest into a folder")
    backup_parser.add_argument("--to", required=True)
    check_parser = commands.add_parser("restore-check", help="restore a backup into a fresh database and compare")
    check_parser.add_argument("--from", dest="source")
    commands.add_parser("run", help="start Redis (if needed), migrate, the demo (loopback HOST or DEMO=1), "
                                    "web server and workers, restarting any that stops")
    commands.add_parser("storage-migrate", help="copy the files under MEDIA_ROOT into the STORAGE_URL bucket "
                                                "(resumable, verified by SHA-256)")
    args = parser.parse_args(argv)

    from server.backup import BackupError
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
        elif args.command == "verify-records":
            sys.exit(asyncio.run(verify_records()))
        elif args.command == "backup":
            asyncio.run(backup(args.to))
        elif args.command == "restore-check":
            sys.exit(asyncio.run(restore_check(args.source)))
        elif args.command == "storage-migrate":
            from server.photos.storage_migrate import storage_migrate

            if asyncio.run(storage_migrate()).failed:
                sys.exit(1)
        elif args.command == "run":
            from server.launcher import run

            run()
    except SettingsError as exc:
        sys.exit(f"Configuration error: {exc}")
    except BackupError as exc:
        sys.exit(f"Backup failed: {exc}")
    except DatabaseUnavailable as exc:
        sys.exit(str(exc))
    except Invalid as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        sys.exit(f"{exc.message} {details}")
