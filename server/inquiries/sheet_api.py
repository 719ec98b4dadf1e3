"""JSON API of work contact sheets and the SLA of inquiries (regulation 5): escalating an inquiry to
departments, their replies, the draft, the CS manager's approval or sending back, the callback."""
from __future__ import annotations


from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from server.accounts import roles
from server.inquiries import access, selectors, sheets, sla
from server.inquiries import sheet_schemas as s
from server.org.access import project_for
from server.pagination import Page
from server.web.guards import allow, current_user

Limit = Parameter(query="limit", default=None, required=False)
Offset = Parameter(query="offset", default=None, required=False)


async def _inquiry(inquiry_id: int) -> s.InquiryOut:
    return s.inquiry(await selectors.inquiry_one(await access.inquiry_for(inquiry_id)))


class InquirySheetsApi(Controller):
    path = "/api/v1/inquiries/{inquiry_id:int}"
    tags = ["Inquiries"]
    guards = [allow(*access.CS)]

    @post("/escalate", status_code=201)
    async def escalate(self, request: Request, inquiry_id: int, data: s.EscalateIn) -> s.EscalateOut:
        """Send an open inquiry on a work contact sheet to one or more departments, each with its reply date;
        each department is told (inbox and its channels). 409 unless the inquiry is open."""
        inquiry = await access.inquiry_for(inquiry_id)
        made = await sheets.sheet_escalate(actor=current_user(request), inquiry=inquiry, request=data.request,
                                           departments=data.departments)
        return s.EscalateOut(inquiry=await _inquiry(inquiry_id),
                             sheets=[s.sheet(await selectors.sheet_one(m.id)) for m in made])

    @get("/sheets")
    async def sheets_of(self, inquiry_id: int) -> list[s.SheetOut]:
        await access.inquiry_for(inquiry_id)
        return [s.sheet(d) for d in await selectors.sheets_of_inquiry(inquiry_id)]

    @post("/draft", status_code=200)
    async def draft(self, request: Request, inquiry_id: int, data: s.DraftIn) -> s.InquiryOut:
        """CS's answer from the replies, once every department replied (409 before), for approval."""
        await sheets.inquiry_draft(actor=current_user(request), inquiry=await access.inquiry_for(inquiry_id),
                                   draft=data.draft)
        return await _inquiry(inquiry_id)

    @post("/approve", status_code=200)
    async def approve(self, request: Request, inquiry_id: int) -> s.InquiryOut:
        """The CS manager (an administrator; others 403) approves the draft: it becomes the answer."""
        await sheets.inquiry_approve(actor=current_user(request), inquiry=await access.inquiry_for(inquiry_id))
        return await _inquiry(inquiry_id)

    @post("/send-back", status_code=200)
    async def send_back(self, request: Request, inquiry_id: int, data: s.SendBackIn) -> s.InquiryOut:
        """The CS manager sends the draft back with a reason; CS drafts again."""
        await sheets.inquiry_send_back(actor=current_user(request), inquiry=await access.inquiry_for(inquiry_id),
                                       reason=data.reason)
        return await _inquiry(inquiry_id)

    @post("/callback", status_code=201)
    async def callback(self, request: Request, inquiry_id: int, data: s.CallbackIn) -> s.CallbackOut:
        """The call to the customer with the approved answer: reached closes the inquiry (satisfied or not);
        not reached is recorded and the inquiry waits for another call."""
        call = await sheets.inquiry_callback(actor=current_user(request),
                                             inquiry=await access.inquiry_for(inquiry_id),
                                             reached=data.reached, satisfied=data.satisfied, note=data.note)
        return s.CallbackOut(id=call.id, reached=call.reached, satisfied=call.satisfied, note=call.note,
                             at=call.at.isoformat(), inquiry=await _inquiry(inquiry_id))


class ContactSheetsApi(Controller):
    path = "/api/v1/contact-sheets"
    tags = ["Inquiries"]
    guards = [allow(*roles.STAFF)]

    @get("/")
    async def list_mine(self, request: Request, status: str | None = None, limit: int | None = Limit,
                        offset: int | None = Offset) -> s.SheetPage:
        """The sheets the caller sees (a department's users their party's; CS every one), waiting first."""
        found = await selectors.list_sheets(current_user(request), Page.of(limit, offset), status=status)
        return s.SheetPage(items=[s.sheet(d) for d in found["items"]], total=found["total"], limit=found["limit"],
                           offset=found["offset"])

    @get("/{sheet_id:int}")
    async def get_one(self, request: Request, sheet_id: int) -> s.SheetOut:
        sheet = await access.sheet_for(current_user(request), sheet_id)
        return s.sheet(await selectors.sheet_one(sheet.id))

    @post("/{sheet_id:int}/reply", status_code=200)
    async def reply(self, request: Request, sheet_id: int, data: s.ReplyIn) -> s.SheetOut:
        """The department's reply (its own users only: 403 for CS, 404 for other departments); 409 once replied."""
        sheet = await access.sheet_for(current_user(request), sheet_id)
        await sheets.sheet_reply(actor=current_user(request), sheet=sheet, reply=data.reply)
        return s.sheet(await selectors.sheet_one(sheet_id))


def _sla_out(project_id: int, rules: list[dict]) -> s.SlaOut:
    return s.SlaOut(project_id=project_id, items=[s.SlaRuleOut(category=r["category"],
                                                               response_hours=str(r["response_hours"]),
                                                               answer_hours=str(r["answer_hours"])) for r in rules],
                    default_response_hours=str(sla.DEFAULT_HOURS["response_hours"]),
                    default_answer_hours=str(sla.DEFAULT_HOURS["answer_hours"]))


class InquirySlaApi(Controller):
    path = "/api/v1/projects/{project_id:int}/inquiry-sla"
    tags = ["Inquiries"]

    @get("/", guards=[allow(*roles.STAFF)])
    async def read(self, request: Request, project_id: int) -> s.SlaOut:
        """The project's hours to the first response and to the answer, per category ('' = the others)."""
        await project_for(current_user(request), project_id)
        return _sla_out(project_id, await sla.rules_of(project_id))

    @put("/", guards=[allow(*access.CS)])
    async def save(self, request: Request, project_id: int, data: s.SlaIn) -> s.SlaOut:
        """Replace the rows; hours more than 0 (at most two decimals), the answer not before the response."""
        user = current_user(request)
        await project_for(user, project_id)
        return _sla_out(project_id, await sla.rules_save(actor=user, project_id=project_id, items=data.items))


SHEET_API = [InquirySheetsApi, ContactSheetsApi, InquirySlaApi]
