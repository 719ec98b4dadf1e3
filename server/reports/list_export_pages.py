"""Excel downloads of the lists: the rectification tasks' defects (`/tasks` and its filters), the CS
center's repairs (`/repairs`) and inquiries (`/inquiries`). Each takes its page's query string as it is and
reads through the query parsing and where-clause the page itself uses, so the file holds what the page lists
(a contractor's, its own party's defects only). The rows are read in chunks and written streaming
(list_xlsx), then sent in chunks and deleted."""
from __future__ import annotations

from pathlib import Path

from litestar import Controller, Request, get
from litestar.response import Stream

from server import clock
from server.accounts import roles
from server.i18n import _
from server.inquiries import access as inquiry_access
from server.inquiries.selectors import list_where as inquiry_where
from server.inspections import access as inspection_access
from server.inspections.rectification_reads import task_filters
from server.org.pages import opt_int
from server.repairs import access as repair_access, selectors as repair_selectors
from server.repairs.pages import CS_ROLES as REPAIR_LIST_ROLES
from server.reports import list_exports as lists
from server.reports.dashboards_xlsx import stream_and_delete
from server.reports.list_xlsx import write_list
from server.web.guards import allow, current_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(path: Path, stem: str) -> Stream:
    name = f"{stem}-{clock.now().astimezone(clock.CHINA):%Y%m%d-%H%M}.xlsx"
    return Stream(stream_and_delete(path), media_type=XLSX,
                  headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ListExports(Controller):
    path = "/exports"
    include_in_schema = False

    @get("/defects.xlsx", guards=[allow(*inspection_access.DEFECT_READERS)])
    async def defects(self, request: Request, status: str = "open", project: str | None = None,
                    building: str | None = None, overdue: str | None = None) -> Stream:
        """The task list's filters; a contractor gets its own party's defects, staff (who have no task list) every
        party's, as each sees them on a defect's page."""
        where, _filters = await task_filters(current_user(request), status=status, project_id=opt_int(project),
                                             building_id=opt_int(building), overdue=bool(overdue))
        path = await write_list(_("Rectification tasks"), lists.defect_headers(), lists.defect_rows(where))
        return _download(path, "defects")

    @get("/repairs.xlsx", guards=[allow(*REPAIR_LIST_ROLES, roles.QUALITY_CENTER)])
    async def repairs(self, request: Request, status: str | None = None, project_id: str | None = None) -> Stream:
        chosen, project = repair_selectors.list_params(status, project_id)
        where = repair_selectors.list_where(repair_access.visible_repairs(current_user(request)), status=chosen,
                                            project_id=project)
        path = await write_list(_("Repairs"), lists.repair_headers(), lists.repair_rows(where))
        return _download(path, "repairs")

    @get("/inquiries.xlsx", guards=[allow(*inquiry_access.CS)])
    async def inquiries(self, request: Request, status: str | None = None) -> Stream:
        path = await write_list(_("Inquiries"), lists.inquiry_headers(),
                                lists.inquiry_rows(inquiry_where(status=status)))
        return _download(path, "inquiries")


LIST_EXPORT_PAGES = [ListExports]
