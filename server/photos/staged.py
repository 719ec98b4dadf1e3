"""A received file waiting in the scratch directory.

The domain services (photos, defects, handover, floor plans) take these; only
`server.photos.upload` creates them from a request, so this module knows
nothing of HTTP.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class StagedFile:
    """One received file part, in a scratch temp file."""

    field: str
    filename: str
    """As the client named it: for logs only, never trusted."""
    path: Path
    size: int = 0
