"""The contact-sheet pages (the forms people use, not the API): who may do what (403, another department's sheet
404), moves the transition table does not allow (409 with the reason, nothing changed), bad input (400 with a
clear Chinese message, what was typed and ticked kept, nothing stored). SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

from server.clock import today
from server.inquiries.tables import ContactSheet, Inquiry, InquiryCallback
from tests.inquiries.test_sheets import ZH, asked, department, later
from tests.support import csrf


async def _browser(personas, name):
    client = await personas.browser(name)
    await csrf(client)
    client.headers.update(ZH)
    return client


async def _status(inquiry_id: int) -> str:
    return (await Inquiry.objects().get(Inquiry.id == inquiry_id).run()).status


async def test_bad_input_on_the_escalate_reply_and_callback_forms(personas):
    sales = await department(personas, "sally", "销售公司")
    prop = await department(personas, "percy", "万家物业", kind="property_company", role="property")
    inquiry_id = await asked(await personas.api("carol"))
    carol = await _browser(personas, "carol")
    url = f"/inquiries/{inquiry_id}"
    r = await carol.post(f"{url}/escalate", data={"request": "请答复车位销售时间"})
    assert r.status_code == 400 and "请至少选择一个部门。" in r.text and "请答复车位销售时间" in r.text
    # two departments ticked, one date in the past: the message names it, both stay ticked, the words stay
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    r = await carol.post(f"{url}/escalate", data={"party": [str(sales), str(prop)], f"reply_by_{sales}": later(),
                                                  f"reply_by_{prop}": yesterday, "request": "请答复车位销售时间"})
    assert r.status_code == 400 and "回复日期不能早于今天。" in r.text and "请答复车位销售时间" in r.text
    ticked = re.findall(r'name="party" value="(\d+)" checked', r.text)
    assert sorted(int(p) for p in ticked) == sorted([sales, prop])
    assert f'value="{yesterday}"' in r.text
    assert await ContactSheet.count().run() == 0 and await _status(inquiry_id) == "open"

    r = await carol.post(f"{url}/escalate", data={"party": [str(sales)], f"reply_by_{sales}": later()},
                         follow_redirects=False)
    assert r.status_code == 303
    sheet = (await ContactSheet.objects().first().run()).id
    sally = await _browser(personas, "sally")
    r = await sally.post(f"/sheets/{sheet}/reply", data={"reply": "  "})
    assert r.status_code == 400 and "请输入回复内容。" in r.text
    assert (await ContactSheet.objects().get(ContactSheet.id == sheet).run()).status == "waiting"
    assert (await sally.post(f"/sheets/{sheet}/reply", data={"reply": "明年三月"}, follow_redirects=False)
            ).status_code == 303
    r = await carol.post(f"{url}/draft", data={"draft": " "})
    assert r.status_code == 400 and "请填写答复。" in r.text and await _status(inquiry_id) == "escalated"
    await carol.post(f"{url}/draft", data={"draft": "车位明年三月开售。"})
    alice = await _browser(personas, "alice")
    r = await alice.post(f"{url}/send-back", data={"reason": ""})
    assert r.status_code == 400 and "请填写退回原因。" in r.text and await _status(inquiry_id) == "drafted"
    await alice.post(f"{url}/approve")
    r = await carol.post(f"{url}/callback", data={"note": "已回电"})
    assert r.status_code == 400 and "请选择“是”或“否”。" in r.text and "已回电" in r.text
    assert await InquiryCallback.count().run() == 0 and await _status(inquiry_id) == "approved"


async def test_who_may_use_the_forms_and_moves_out_of_turn(personas):
    sales = await department(personas, "sally", "销售公司")
    prop = await department(personas, "percy", "万家物业", kind="property_company", role="property")
    inquiry_id = await asked(await personas.api("carol"))
    url = f"/inquiries/{inquiry_id}"
    carol, alice = await _browser(personas, "carol"), await _browser(personas, "alice")
    # out of turn on an open inquiry: 409 with the reason, nothing changed
    for path, data in (("draft", {"draft": "答复"}), ("callback", {"reached": "true"})):
        r = await carol.post(f"{url}/{path}", data=data)
        assert r.status_code == 409 and "该咨询的状态已变化" in r.text, path
    r = await alice.post(f"{url}/approve")
    assert r.status_code == 409 and await _status(inquiry_id) == "open"
    # inspectors, owners and departments do not reach the inquiry's forms
    for name in ("ian", "olga", "sally"):
        client = await _browser(personas, name)
        assert (await client.get(url)).status_code == 403, name
        assert (await client.post(f"{url}/escalate", data={"party": [str(sales)],
                                                            f"reply_by_{sales}": later()})).status_code == 403
    assert await ContactSheet.count().run() == 0
    await carol.post(f"{url}/escalate", data={"party": [str(sales), str(prop)], f"reply_by_{sales}": later(),
                                              f"reply_by_{prop}": later()})
    sales_sheet, property_sheet = (r["id"] for r in await ContactSheet.select(ContactSheet.id).order_by(
        ContactSheet.id).run())
    # CS may not draft before both replied (409), nor reply for a department (403)
    r = await carol.post(f"{url}/draft", data={"draft": "答复"})
    assert r.status_code == 409 and "还有部门尚未回复。" in r.text and await _status(inquiry_id) == "escalated"
    r = await carol.post(f"/sheets/{sales_sheet}/reply", data={"reply": "代答"})
    assert r.status_code == 403 and "只有联系单发往的部门可以回复。" in r.text
    # a department sees and answers its own sheet only; another department's is 404; the printout is CS's
    sally = await _browser(personas, "sally")
    assert (await sally.get(f"/sheets/{property_sheet}")).status_code == 404
    assert (await sally.post(f"/sheets/{property_sheet}/reply", data={"reply": "x"})).status_code == 404
    assert (await sally.get(f"{url}/sheet")).status_code == 403
    assert (await sally.post(f"/sheets/{sales_sheet}/reply", data={"reply": "第一次"}, follow_redirects=False)
            ).status_code == 303
    r = await sally.post(f"/sheets/{sales_sheet}/reply", data={"reply": "第二次"})
    assert r.status_code == 409 and "该联系单已回复。" in r.text
    assert (await ContactSheet.objects().get(ContactSheet.id == sales_sheet).run()).reply == "第一次"
    percy = await _browser(personas, "percy")
    await percy.post(f"/sheets/{property_sheet}/reply", data={"reply": "另计"})
    await carol.post(f"{url}/draft", data={"draft": "车位明年三月开售。"})
    # only the CS manager (an administrator) approves or sends back
    for path in ("approve", "send-back"):
        r = await carol.post(f"{url}/{path}", data={"reason": "x"})
        assert r.status_code == 403 and "您无权进行此操作。" in r.text, path
    assert await _status(inquiry_id) == "drafted"
    assert (await carol.post("/inquiries/999999/approve")).status_code == 404
