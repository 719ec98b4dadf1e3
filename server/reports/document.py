"""A document a PDF is made of (server/reports/documents_pages.py builds them): the page
template and its context for paper, the page it comes from, and the images it shows,
{url in the HTML: [storage key, printed width in mm]} (pdf.py fetches only those)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    title: str
    filename: str
    template: str
    context: dict[str, Any]
    back: str
    images: dict[str, list] = field(default_factory=dict)
