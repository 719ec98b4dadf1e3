"""Backups of a PostgreSQL install, and the proof that one restores.

`python -m server backup --to DIR` writes three files:
- `database.dump`: `pg_dump --format=custom` of the database;
- `media.tar`: the media folder (photos, signatures, documents, PDFs);
- `manifest.json`: each table's row count and each file's SHA-256, taken from
  what went into the backup (the dump's snapshot, the bytes archived), so the
  site may keep running while it is made.

`python -m server restore-check [--from DIR]` (`make restore-check`) restores a
backup (a new one made on the spot when no DIR is given) into a fresh
database and a fresh media folder, compares every table's row count and
every file's hash with the manifest, drops what it made, and exits 1 naming
each difference. SQLite installs copy the database file with `sqlite3 app.db
".backup backup.db"` instead; this is for PostgreSQL.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import asyncpg

from server.settings import Settings, get_settings

DUMP, MEDIA, MANIFEST = "database.dump", "media.tar", "manifest.json"
TABLES_SQL = ("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")


class BackupError(RuntimeError):
    """The backup or the restore could not be made (not a difference: a failure)."""


def _pg_args(config: dict, database: str | None = None) -> tuple[list[str], dict]:
    args = ["-h", config["host"], "-p", str(config["port"]), "-U", config["user"]]
    env = dict(os.environ)
    if config.get("password"):
        env["PGPASSWORD"] = config["password"]
    return args + ["-d", database or config["database"]], env


async def _connect(config: dict, database: str | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(**{**config, "database": database or config["database"]})


async def _counts(connection: asyncpg.Connection) -> dict[str, int]:
    tables = [row["tablename"] for row in await connection.fetch(TABLES_SQL)]
    return {table: await connection.fetchval(f'SELECT count(*) FROM "{table}"') for table in tables}


def _postgres(settings: Settings) -> dict:
    if settings.is_sqlite:
        raise BackupError("backup and restore-check are for PostgreSQL; copy a SQLite database with "
                          "sqlite3 app.db \".backup backup.db\" and the media folder with it")
    return settings.database.postgres_config()


def _archive_media(media_root: Path, target: Path) -> dict[str, str]:
    """Write the media folder to `target` (tar); the SHA-256 of each file as archived."""
    hashes: dict[str, str] = {}
    with tarfile.open(target, "w") as archive:
        if media_root.exists():
            for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
                name = path.relative_to(media_root).as_posix()
                try:
                    data = path.read_bytes()  # the bytes hashed are the bytes archived
                except FileNotFoundError:
                    continue  # deleted while we walked (a scratch file): not part of the backup
                info = archive.gettarinfo(str(path), arcname=name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                hashes[name] = hashlib.sha256(data).hexdigest()
    return hashes


async def backup(target: Path, settings: Settings | None = None) -> dict:
    """Dump the database, archive the media folder, write the manifest. Returns the manifest."""
    settings = settings or get_settings()
    config = _postgres(settings)
    target.mkdir(parents=True, exist_ok=True)
    connection = await _connect(config)
    try:
        # One snapshot for the dump and the counts: rows written meanwhile are in neither.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            args, env = _pg_args(config)
            dumped = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                     "-f", str(target / DUMP), *args], env=env, capture_output=True, text=True)
            if dumped.returncode:
                raise BackupError(f"pg_dump failed: {dumped.stderr.strip()}")
            counts = await _counts(connection)
    finally:
        await connection.close()
    manifest = {"database": config["database"], "tables": counts,
                "files": _archive_media(settings.media_root, target / MEDIA)}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _hash_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def compare(manifest: dict, counts: dict[str, int], files: dict[str, str]) -> list[str]:
    """Every difference between what the backup promised and what was restored, in words."""
    differences = []
    for table in sorted(set(manifest["tables"]) | set(counts)):
        expected, got = manifest["tables"].get(table), counts.get(table)
        if expected != got:
            differences.append(f"table {table}: {expected} rows backed up, {got} restored")
    for name in sorted(set(manifest["files"]) | set(files)):
        expected, got = manifest["files"].get(name), files.get(name)
        if expected is None:
            differences.append(f"file {name}: restored but not in the backup")
        elif got is None:
            differences.append(f"file {name}: in the backup but not restored")
        elif expected != got:
            differences.append(f"file {name}: SHA-256 {got[:12]}… restored, {expected[:12]}… backed up")
    return differences


async def restore_check(source: Path | None = None, settings: Settings | None = None) -> tuple[dict, list[str]]:
    """Restore `source` (or a backup made now) into a fresh database and media folder; the
    manifest and the differences found. Whatever it made is removed again."""
    settings = settings or get_settings()
    config = _postgres(settings)
    work = Path(tempfile.mkdtemp(prefix="restore-check-"))
    fresh = f"{config['database']}_restore_check_{os.getpid()}"
    admin = await _connect(config, "postgres")
    try:
        if source is None:
            source = work / "backup"
            await backup(source, settings)
        manifest = json.loads((source / MANIFEST).read_text())
        await admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        await admin.execute(f'CREATE DATABASE "{fresh}"')
        args, env = _pg_args(config, fresh)
        restored = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args, str(source / DUMP)],
                                  env=env, capture_output=True, text=True)
        if restored.returncode:
            raise BackupError(f"pg_restore failed: {restored.stderr.strip()}")
        connection = await _connect(config, fresh)
        try:
            counts = await _counts(connection)
        finally:
            await connection.close()
        media = work / "media"
        media.mkdir()
        with tarfile.open(source / MEDIA) as archive:
            archive.extractall(media, filter="data")
        return manifest, compare(manifest, counts, _hash_tree(media))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        await admin.close()
        shutil.rmtree(work, ignore_errors=True)
