"""A monthly inquiry summary as an Excel workbook (openpyxl, write-only mode:
rows stream out, nothing is held as cells): the figures, the most asked
questions, CS notes and the chosen highlights."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from server.i18n import _
from server.inquiries.services import CHANNELS, STATUSES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def _bold(sheet: Any, *values: Any) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = BOLD
        cells.append(cell)
    return cells


def workbook(project_name: str, summary: dict, highlights: list[dict]) -> bytes:
    """`summary`: summary.summary_out; `highlights`: the chosen inquiries (id, question, answer)."""
    figures = summary["figures"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Monthly summary")[:31])
    sheet.append(_bold(sheet, _("%(project)s inquiries, %(month)s", project=project_name, month=summary["month"])))
    sheet.append([])
    for label, value in ((_("Inquiries"), figures.get("total", 0)), (_("Open"), figures.get("open", 0)),
                         (_("Closed"), figures.get("closed", 0)), (_("Answered"), figures.get("answered", 0)),
                         (_("Average hours to answer"), figures.get("average_hours")),
                         (_("9 in 10 answered within (hours)"), figures.get("p90_hours")),
                         (_("Overdue"), figures.get("overdue", 0))):
        sheet.append([label, value])
    for title, counts, labels in ((_("By category"), figures.get("by_category", {}), {}),
                                  (_("By channel"), figures.get("by_channel", {}), CHANNELS),
                                  (_("By state"), figures.get("by_status", {}), STATUSES)):
        sheet.append([])
        sheet.append(_bold(sheet, title, _("Count")))
        for key, count in counts.items():
            sheet.append([str(labels.get(key, key)) if key else _("(none)"), count])
    sheet.append([])
    sheet.append(_bold(sheet, _("Most asked questions"), _("Count")))
    for top in figures.get("top_questions", []):
        sheet.append([top["question"], top["count"]])
    sheet.append([])
    sheet.append(_bold(sheet, _("Notes")))
    sheet.append([summary["notes"]])
    chosen = book.create_sheet(_("Highlights")[:31])
    chosen.append(_bold(chosen, _("Inquiry"), _("Question"), _("Answer")))
    for row in highlights:
        chosen.append([row["id"], row["question"], row["answer"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
