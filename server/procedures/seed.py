"""The procedures the regulations prescribe, as data (shared/domain/regulations.zh.txt).

Titles, departments and document names are stored in Chinese, as the
regulations write them; only the UI around them is translated. Each step:
`role` is who completes it (a code of server.accounts.roles; "" means the CS
center: cs_staff and admin), `label` the department as the regulation names
it, `docs` the documents it needs before it can be completed, `approver` the
role that approves it (empty: no approval), `days` the due date's offset from
the procedure's start date.

Ordering (regulation 3's tender, server/procedures/tender_rules.py): `after` lists
the positions of the steps that must be done before this one can be completed;
`needs` the tender facts (records, server/procedures/tender_tables.py) that
must exist first. `TENDER_RECORDS` says which step each kind of record belongs
to (it is recorded by whoever may work on that step, only while the step is
not done: a done step is reopened to correct it) and which facts it needs.
These rules are read by the template's code and a step's position, so they
hold for procedures already running.

`services.templates_ensure()` creates a template whose code is missing (the
first migration does too); it never changes a template that exists, so an
edited template keeps its edits.
"""
from __future__ import annotations

TEMPLATES: list[dict] = [
    {
        "code": "delivery_preparation",
        "name": "交付准备",
        "regulation": "客户服务中心产品交付管理规定",
        "steps": [
            {"title": "由项目部制作《商品住宅使用说明书》，交由销售公司在交房时发放",
             "role": "project_staff", "label": "项目部", "docs": ["《商品住宅使用说明书》"], "days": 20},
            {"title": "由项目部将交易中心确认的确权面积转交销售公司，由销售公司制作交付对照表，以确定客户房价款的多退少补",
             "role": "sales", "label": "销售公司", "docs": ["确权面积确认文件", "交付对照表"],
             "approver": "cs_staff", "days": 30},
            {"title": "由项目部将竣工资料转交销售公司",
             "role": "project_staff", "label": "项目部", "docs": ["竣工资料移交清单"], "days": 30},
            {"title": "由项目部与物业公司进行配套设施、资料的交接",
             "role": "project_staff", "label": "项目部", "docs": ["配套设施及资料交接清单"], "days": 35},
            {"title": "由项目部办理入住许可证，并在交房前转交物业公司，在交房现场予以公示",
             "role": "project_staff", "label": "项目部", "docs": ["入住许可证"], "days": 40},
            {"title": "客服中心协调交付准备阶段的工作",
             "role": "cs_staff", "label": "客服中心", "docs": [], "days": 45},
            {"title": "客服中心制作交房公告",
             "role": "cs_staff", "label": "客服中心", "docs": ["交房公告"], "approver": "admin", "days": 45},
            {"title": "品牌公关部在媒体发布交房公告",
             "role": "pr", "label": "品牌公关部", "docs": ["媒体发布记录"], "days": 50},
            {"title": "总公司办公室提供交房所需的人员、设施等资源",
             "role": "", "label": "总公司办公室", "docs": ["交房资源保障清单"], "days": 55},
            {"title": "由客服中心协调项目部、销售公司、物业公司，组织现场交付",
             "role": "cs_staff", "label": "客服中心", "docs": ["现场交付方案"], "days": 60},
        ],
    },
    {
        "code": "pm_tender",
        "name": "前期物业招标",
        "regulation": "客户服务中心前期物业管理规定",
        "steps": [
            {"title": "由项目部取得规划许可证",
             "role": "project_staff", "label": "项目部", "docs": ["规划许可证"], "days": 30},
            {"title": "项目部将规划许可证、请照图复印件及项目详细介绍转交客服中心",
             "role": "project_staff", "label": "项目部", "docs": ["规划许可证复印件", "请照图复印件", "项目详细介绍"],
             "days": 40, "after": [1]},
            {"title": "客服中心依据规划许可证、请照图办理物业用房留置协议",
             "role": "cs_staff", "label": "客服中心", "docs": ["物业用房留置协议"], "days": 60, "after": [2]},
            {"title": "客服中心依据项目介绍及公司要求编制标书",
             "role": "cs_staff", "label": "客服中心", "docs": ["标书"], "approver": "admin", "days": 75, "after": [2]},
            {"title": "由品牌公关部在媒体发布物业招标公告",
             "role": "pr", "label": "品牌公关部", "docs": ["物业招标公告"], "days": 85, "after": [4],
             "needs": ["notice_published"]},
            {"title": "客服中心向项目所在地物业办提出招标申请",
             "role": "cs_staff", "label": "客服中心", "docs": ["招标申请"], "days": 90, "after": [5]},
            {"title": "取得批准文件后，向市物业办抽取评标专家",
             "role": "cs_staff", "label": "客服中心", "docs": ["招标批准文件", "评标专家抽取记录"], "days": 105,
             "after": [6], "needs": ["experts"]},
            {"title": "客服中心组织评标会",
             "role": "cs_staff", "label": "客服中心", "docs": ["评标报告"], "approver": "admin", "days": 115,
             "after": [7], "needs": ["experts", "bids_scored"]},
            {"title": "确定中标企业后向项目所在地物业办备案",
             "role": "cs_staff", "label": "客服中心", "docs": ["中标备案回执"], "days": 125,
             "after": [8], "needs": ["winner", "winner_filing"]},
            {"title": "客服中心与物业公司签订《前期物业管理合同》",
             "role": "cs_staff", "label": "客服中心", "docs": ["《前期物业管理合同》"], "approver": "admin",
             "days": 135, "after": [9], "needs": ["contract"]},
            {"title": "由物业公司向项目所在地物价局办理价格备案",
             "role": "property", "label": "物业公司", "docs": ["价格备案回执"], "days": 150,
             "after": [10], "needs": ["price_filing"]},
            {"title": "按照《前期物业管理合同》约定，物业公司进驻项目开展工作",
             "role": "property", "label": "物业公司", "docs": ["进驻确认单"], "days": 165, "after": [11]},
        ],
    },
]

# Tender records: the step each belongs to, and the facts that must exist before one is recorded.
TENDER_RECORDS: dict[str, dict] = {
    "notice": {"step": 5, "needs": []},
    "expert": {"step": 7, "needs": []},
    "bid": {"step": 8, "needs": []},
    "score": {"step": 8, "needs": ["experts"]},
    "winner": {"step": 9, "needs": ["bids_scored"]},
    "winner_filing": {"step": 9, "needs": ["winner"]},
    "contract": {"step": 10, "needs": ["winner"]},
    "price_filing": {"step": 11, "needs": ["winner", "contract"]},
}
TENDER_TEMPLATE = "pm_tender"
