"""Pages of the delivery comparison table (交付对照表, regulation 2 step 2):

- /delivery/projects/<id>/table: every unit's contract and confirmed area and
  its settlement, with the Excel download and each unit's statement;
- /delivery/projects/<id>/imports: upload the confirmed areas (确权面积) and
  the contract data (合同数据), each all-or-nothing, the report in the page;
- /delivery/units/<id>/statement: one unit's settlement statement, printable,
  for staff and the unit's owner (anyone else: 404).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post

from server.accounts import roles
from server.clock import local_time
from server.delivery import services
from server.delivery.api import DELIVERY_WRITERS
from server.delivery.contracts_import import contracts_import
from server.delivery.statement import statement_lines, statement_sha256, unit_statement
from server.errors import Invalid, NotFound
from server.i18n import _, ngettext
from server.org.access import is_staff, project_for, unit_for
from server.org.pages import done, page_of
from server.org.tables import Building, Unit
from server.photos.upload import receive_upload
from server.web.guards import allow, current_user, signed_in
from server.web.templating import render

TABLE_PAGE_SIZE = 100


async def _delivered_homes(**kwargs: Any) -> int:
    """Homes delivered before this software (server/repairs/delivered_import.py): how many rows."""
    from server.repairs.delivered_import import delivered_homes_import

    return (await delivered_homes_import(**kwargs))["imported"]


IMPORTS = {
    "confirmed-areas": services.confirmed_areas_import,
    "contracts": contracts_import,
    "delivered-homes": _delivered_homes,
}


class DeliveryTablePages(Controller):
    path = "/delivery"
    include_in_schema = False

    @get("/projects/{project_id:int}/table", guards=[allow(*roles.STAFF)])
    async def table(self, request: Request, project_id: int, limit: str | None = None,
                    offset: str | None = None) -> Response:
        user = current_user(request)
        project = await project_for(user, project_id)
        page = page_of(limit, offset, TABLE_PAGE_SIZE)
        rows = await services.delivery_table(project_id, limit=page.limit, offset=page.offset)
        total = await Unit.count().where(
            Unit.building.is_in(Building.select(Building.id).where(Building.project == project_id))).run()
        return render(request, "delivery/table.html", block="list", project=project, rows=rows,
                      page={"limit": page.limit, "offset": page.offset, "total": total},
                      may_import=user.role in DELIVERY_WRITERS)

    @get("/projects/{project_id:int}/imports", guards=[allow(*DELIVERY_WRITERS)])
    async def imports(self, request: Request, project_id: int) -> Response:
        project = await project_for(current_user(request), project_id)
        return render(request, "delivery/imports.html", project=project, kind=None, message=None, errors={},
                      report=[])

    @post("/projects/{project_id:int}/imports/{kind:str}", guards=[allow(*DELIVERY_WRITERS)])
    async def upload(self, request: Request, project_id: int, kind: str) -> Response:
        """multipart `file` → all rows or none; a refused file shows its report here (400)."""
        user = current_user(request)
        project = await project_for(user, project_id)
        importer = IMPORTS.get(kind)
        if importer is None:
            raise NotFound(_("The page or record was not found."))
        try:
            with await receive_upload(request, max_files=1) as upload:
                files = upload.files_for("file")
                if not files:
                    raise Invalid(_("Please correct the marked fields."), field_errors={"file": _("Choose a file.")})
                imported = await importer(actor=user, project_id=project_id, path=files[0].path,
                                          filename=files[0].filename or "")
        except Invalid as exc:
            return render(request, "delivery/imports.html", block="imports", status_code=400, project=project,
                          kind=kind, message=exc.message, errors=exc.field_errors, report=exc.report)
        return done(request, f"/delivery/projects/{project_id}/table",
                    ngettext("%(num)s row imported.", "%(num)s rows imported.", imported))

    @get("/units/{unit_id:int}/statement", guards=[signed_in])
    async def statement(self, request: Request, unit_id: int) -> Response:
        """The settlement statement: staff and the unit's owner; anyone else 404 (unit_for)."""
        user = current_user(request)
        await unit_for(user, unit_id)
        statement = await unit_statement(unit_id)
        back = f"/delivery/projects/{statement.unit['project_id']}/table" if is_staff(user) else "/"
        return render(request, "delivery/statement.html", s=statement, lines=statement_lines(statement),
                      back=back, when=local_time, now=dt.datetime.now(dt.timezone.utc),
                      sha256=statement_sha256(statement))


TABLE_PAGES = [DeliveryTablePages]
