"""Long lists as Excel, streamed both ways: rows come from the database in
chunks by id (keyset: `id > last`, never OFFSET, so chunk 50 costs what chunk 1
does) and go straight into an openpyxl write-only sheet, which keeps no cell
objects; the finished temporary file is then streamed out by the web layer
(`dashboards_xlsx.stream_and_delete`). Memory stays at one chunk of rows plus
the workbook's shared strings, whatever the length of the list.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from server.clock import CHINA

CHUNK_ROWS = 2000
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


async def chunks(query: Callable[[], Any], id_column: Any, id_key: str = "id") -> AsyncIterator[list[dict]]:
    """Rows of `query()` (a fresh select with its where-clause) by ascending id, CHUNK_ROWS at a time."""
    last, size = 0, CHUNK_ROWS
    while True:
        rows = await query().where(id_column > last).order_by(id_column).limit(size).run()
        if not rows:
            return
        yield rows
        last = rows[-1][id_key]
        if len(rows) < size:
            return


def excel_time(value: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: a stored (UTC) time as the China wall-clock time people read."""
    return value.astimezone(CHINA).replace(tzinfo=None) if value else None


class _Sheet:
    """A write-only sheet: a bold header row, then rows typed as Excel numbers, dates and text."""

    def __init__(self, title: str, headers: Sequence[str]) -> None:
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title[:31])
        header = []
        for name in headers:
            cell = WriteOnlyCell(self.sheet, value=str(name))
            cell.font = cell.font.copy(bold=True)
            header.append(cell)
        self.sheet.append(header)

    def _cell(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = TIME_FORMAT
            return cell
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if isinstance(value, str) and value.startswith("="):
            # Typed text (a description, a question) is never a formula the spreadsheet would run.
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def append(self, rows: list[list[Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(v) for v in row])

    def save(self) -> Path:
        handle, name = tempfile.mkstemp(prefix="list-", suffix=".xlsx")
        os.close(handle)
        self.book.save(name)
        return Path(name)


async def write_list(title: str, headers: Sequence[str], rows: AsyncIterator[list[list[Any]]]) -> Path:
    """A temporary .xlsx of one sheet (the caller deletes it). The sheet is filled in a worker
    thread chunk by chunk while the next chunk is read, so the event loop keeps serving."""
    sheet = await anyio.to_thread.run_sync(_Sheet, title, headers)
    async for batch in rows:
        await anyio.to_thread.run_sync(sheet.append, batch)
    return await anyio.to_thread.run_sync(sheet.save)
