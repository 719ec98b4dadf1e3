"""Reading the confirmed-area file (确权面积) from the housing transaction center:
CSV (UTF-8 or GBK, as Excel in China saves it) or XLSX. Only reading here;
checking each row is services.py's job."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

# Column headings accepted, Chinese first.
HEADINGS = {
    "building": ("楼栋", "楼号", "building"),
    "unit": ("房号", "房间号", "unit", "unit number", "unit_number"),
    "registered_area": ("确权面积", "产权面积", "登记面积", "registered area", "registered_area"),
}
MAX_ROWS = 20000


class UnreadableFile(ValueError):
    pass


def _cells(path: Path, filename: str) -> list[list[str]]:
    data = path.read_bytes()
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - any failure means "not a workbook we can read"
            raise UnreadableFile(str(exc)) from None
        return [["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)]
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("neither UTF-8 nor GBK")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))][: MAX_ROWS + 1]


def read_rows(path: Path, filename: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """[(spreadsheet row number, {"building", "unit", "registered_area"})] and the
    missing headings, if any. Row 1 is the heading row; blank rows are skipped."""
    cells = _cells(path, filename)
    if not cells:
        return [], list(HEADINGS)
    heading = [h.strip().lower() for h in cells[0]]
    columns: dict[str, int] = {}
    for key, names in HEADINGS.items():
        for index, text in enumerate(heading):
            if text in names:
                columns[key] = index
                break
    missing = [key for key in HEADINGS if key not in columns]
    rows = []
    for number, row in enumerate(cells[1:], start=2):
        if not any(row):
            continue
        rows.append((number, {key: row[index] if index < len(row) else "" for key, index in columns.items()}))
    return rows, missing
