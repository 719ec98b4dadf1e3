"""The delivery comparison table (交付对照表) as an Excel workbook."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from server.i18n import _

MONEY = "#,##0.00"
AREA = "0.00"
FLAG = PatternFill("solid", fgColor="FFE0E0")


def workbook(project_name: str, table: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Delivery table")[:31]
    headings = [_("Building"), _("Unit"), _("Buyer"), _("Contract area (m²)"), _("Confirmed area (m²)"),
                _("Unit price (yuan/m²)"), _("Area error (%)"), _("Within the threshold"), _("Buyer pays"),
                _("Developer refunds"), _("Developer bears")]
    sheet.append([project_name])
    sheet.append(headings)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table:
        contract, confirmed, result = row["contract"], row["confirmed"], row["settlement"]
        values = [row["unit"]["building"], row["unit"]["number"], contract["buyer_name"] if contract else "",
                  Decimal(contract["contract_area"]) if contract else None,
                  Decimal(confirmed["registered_area"]) if confirmed else None,
                  Decimal(contract["unit_price"]) if contract else None]
        if result is not None:
            values += [result.error_ratio_shown,
                       _("Yes") if result.within_threshold else _("No"),
                       result.total("buyer_pays"), result.total("developer_refunds"), result.total("developer_bears")]
        sheet.append(values)
        if result is not None:  # as many decimals as the pages show (3.003 near the threshold)
            ratio = sheet.cell(row=sheet.max_row, column=7)
            ratio.number_format = "0." + "0" * -result.error_ratio_shown.as_tuple().exponent
        if result is not None and not result.within_threshold:
            for cell in sheet[sheet.max_row]:
                cell.fill = FLAG
    for column, fmt in (("D", AREA), ("E", AREA), ("F", MONEY), ("I", MONEY), ("J", MONEY), ("K", MONEY)):
        for cell in sheet[column][2:]:
            cell.number_format = fmt
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
