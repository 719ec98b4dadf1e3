"""The dashboard's tables as an Excel workbook, written streaming.

openpyxl's write-only mode appends each row straight to the file being
written (no cell objects kept), so a long table costs no more memory than a
short one; the web layer then streams the finished file out in chunks.
"""
from __future__ import annotations

import os
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

CHUNK = 64 * 1024


def _cell_value(value: Any, numeric: bool) -> Any:
    if value is None:
        return None
    if numeric and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in str(title))[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name, n = clean[:31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def write_workbook(tables: list[dict], heading: str) -> Path:
    """A temporary .xlsx with one sheet per table: a heading row (project and filters),
    the column headers (bold), then the rows. The caller deletes the file."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table["title"], used))
        sheet.append([heading])
        header = []
        for name, _field, _numeric in table["columns"]:
            cell = WriteOnlyCell(sheet, value=str(name))
            cell.font = cell.font.copy(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table["rows"]:
            sheet.append([_cell_value(row.get(field), numeric) for _name, field, numeric in table["columns"]])
    handle, name = tempfile.mkstemp(prefix="dashboard-", suffix=".xlsx")
    os.close(handle)
    book.save(name)
    return Path(name)


def stream_and_delete(path: Path) -> Iterator[bytes]:
    """The file's bytes in chunks; the file is deleted once sent (or abandoned)."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
