"""What every storage backend shares: the key alphabet, the local scratch space, file hashing."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from server.settings import get_settings

# Keys are produced by our own code, but they end up in file paths: allow only
# a safe alphabet and no "..", so a bug can never write outside media_root.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
CHUNK_BYTES = 256 * 1024
SCRATCH = "tmp"
"""media_root/tmp: uploads in flight, never a stored key."""


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key.split("/"):
        raise ValueError(f"bad storage key {key!r}")
    return key


def scratch_dir() -> Path:
    """Local scratch space for uploads being received (media_root/tmp)."""
    path = get_settings().media_root / SCRATCH
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: Path) -> str:
    """SHA-256 of a local file, read in chunks (call it in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
