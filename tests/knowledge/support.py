"""Helpers for the knowledge-base tests."""
from __future__ import annotations

from typing import Any

ENTRIES = [
    ("卫生间漏水怎么办", "先关闭总阀，拍照后联系客服报修，防水在保修期五年内免费维修。", "报修"),
    ("交房时钥匙有几把", "每户三把入户门钥匙，交付当日在交付中心领取。", "交付"),
    ("物业费从哪天开始收", "从交付之日起计收物业费，空置期按约定执行。", "物业"),
    ("阳台地漏返水", "地漏返水多因存水弯堵塞，物业可上门疏通；如属渗漏按防水报修。", "报修"),
    ("车位什么时候可以购买", "车位销售由销售公司另行通知，请关注公告。", "销售"),
]


async def add(client: Any, question: str, answer: str, category: str = "") -> dict:
    r = await client.post("/api/v1/knowledge", json={"question": question, "answer": answer, "category": category})
    assert r.status_code == 201, r.text
    return r.json()


async def add_all(client: Any) -> list[int]:
    return [(await add(client, q, a, c))["id"] for q, a, c in ENTRIES]


async def found(client: Any, q: str, **params: Any) -> list[str]:
    r = await client.get("/api/v1/knowledge", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [item["question"] for item in r.json()["items"]]
