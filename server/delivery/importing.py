"""Reading the confirmed-area file (确权面积) from the housing transaction center,
and the sales company's contract data file:
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
# The sales company's contract data (合同数据), one row per unit.
CONTRACT_HEADINGS = {
    "building": HEADINGS["building"],
    "unit": HEADINGS["unit"],
    "contract_area": ("合同面积", "合同约定面积", "contract area", "contract_area"),
    "unit_price": ("单价", "合同单价", "unit price", "unit_price"),
    "area_basis": ("面积类型", "计价面积", "计价方式", "area basis", "area_basis"),
    "buyer_name": ("业主", "业主姓名", "买受人", "buyer", "buyer name", "buyer_name", "owner"),
    "buyer_phone": ("手机号", "手机", "手机号码", "联系电话", "mobile", "phone", "buyer_phone"),
}
CONTRACT_OPTIONAL = ("buyer_name", "buyer_phone")
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


def read_rows(path: Path, filename: str, headings: dict[str, tuple[str, ...]] = HEADINGS,
              optional: tuple[str, ...] = ()) -> tuple[list[tuple[int, dict]], list[str]]:
    """[(spreadsheet row number, {"building", "unit", "registered_area"})] (or the
    keys of `headings`) and the missing headings, if any (a column in `optional`
    may be absent; its key then reads ""). Row 1 is the heading row; blank rows
    are skipped."""
    cells = _cells(path, filename)
    if not cells:
        return [], [key for key in headings if key not in optional]
    heading = [h.strip().lower() for h in cells[0]]
    columns: dict[str, int] = {}
    for key, names in headings.items():
        for index, text in enumerate(heading):
            if text in names:
                columns[key] = index
                break
    missing = [key for key in headings if key not in columns and key not in optional]
    rows = []
    for number, row in enumerate(cells[1:], start=2):
        if not any(row):
            continue
        values = {key: "" for key in headings}
        values.update({key: row[index] if index < len(row) else "" for key, index in columns.items()})
        rows.append((number, values))
    return rows, missing
