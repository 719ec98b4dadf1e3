"""The default inspection checklist for a typical Chinese flat (shared/domain/checklist.md).

Seed data, in Chinese as inspectors use it: rooms, each with its check items
(title, defect category, criteria). `checklist_default_ensure()` loads it once.
Categories are the codes of CATEGORIES; their labels are translated.
"""
from server.i18n import lazy_gettext as _l

CATEGORIES = {
    "wall": _l("Walls"),
    "ceiling": _l("Ceilings"),
    "floor": _l("Floors"),
    "door_window": _l("Doors & windows"),
    "plumbing": _l("Plumbing"),
    "electrical": _l("Electrical"),
    "equipment": _l("Equipment installation"),
    "waterproofing": _l("Waterproofing"),
    "railing": _l("Railings"),
    "common_area": _l("Common areas"),
}

CATEGORY_NAMES_ZH = {
    "wall": "墙面", "ceiling": "顶棚", "floor": "地面", "door_window": "门窗", "plumbing": "给排水",
    "electrical": "电气", "equipment": "设备安装", "waterproofing": "防水", "railing": "栏杆",
    "common_area": "公共部位",
}
"""The Chinese names of shared/domain/rules.md, which an integrator's export carries instead of the code."""

_EVERY_ROOM = [
    ("墙面", "wall", "无空鼓（小锤敲击）、无裂缝、无污染损坏；2 m 靠尺平整度、垂直度 ≤ 4 mm（高级装修 ≤ 3 mm）；阴阳角方正。"),
    ("顶棚", "ceiling", "无裂缝、无水渍、无起皮脱落。"),
    ("地面", "floor", "无空鼓、无裂缝、无起砂；2 m 靠尺平整度 ≤ 4 mm；踢脚线贴合。"),
    ("门", "door_window", "门扇平整无损，开关灵活无摩擦；合页、门锁有效；门缝均匀。"),
    ("窗", "door_window", "开启、锁闭灵活；密封条完整；玻璃无破损且有 3C 标识；窗框打胶连续；排水孔通畅；淋水试验无渗漏。"),
    ("开关插座", "electrical", "插座全部通电且接线正确（相线、零线、地线）；开关控制对应灯具；面板平整无损。"),
    ("弱电", "electrical", "网络、电视、电话点位齐全且通畅。"),
    ("空调", "equipment", "空调孔套管齐全，冷凝水管排水通畅。"),
]

DEFAULT_ROOMS = [
    ("入户门/玄关", [
        ("入户门", "door_window", "无损坏，密封条、门锁及全部钥匙齐全，猫眼完好，需要时有防火等级标识。"),
        ("可视对讲", "electrical", "呼叫、开锁正常。"),
        ("配电箱", "electrical", "回路标识清楚；漏电保护器试验跳闸正常。"),
    ]),
    ("客厅", _EVERY_ROOM),
    ("餐厅", _EVERY_ROOM),
    ("主卧", _EVERY_ROOM),
    ("次卧", _EVERY_ROOM),
    ("厨房", _EVERY_ROOM + [
        ("给排水", "plumbing", "加压下各接口无渗漏；排水通畅。"),
        ("燃气管道及表具", "equipment", "固定牢靠，无燃气异味，记录表读数。"),
        ("地面防水", "waterproofing", "按项目要求做防水的，无渗漏。"),
        ("烟道", "equipment", "烟道齐全，止回阀有效。"),
    ]),
    ("卫生间", _EVERY_ROOM + [
        ("闭水试验", "waterproofing", "最浅处蓄水 ≥ 20 mm，24 小时楼下及墙面无渗漏。"),
        ("地面坡向地漏", "floor", "坡向地漏，无积水。"),
        ("给排水及洁具", "plumbing", "给水、排水、坐便器、台盆接口无渗漏，冲水正常，排水通畅。"),
        ("排风扇及灯具", "electrical", "工作正常。"),
    ]),
    ("阳台", [
        ("栏杆", "railing", "牢固；临空高度 < 24 m 时栏杆高 ≥ 1.05 m，≥ 24 m 时 ≥ 1.10 m；竖杆净距 ≤ 0.11 m；无可攀爬横杆。"),
        ("地面坡向及防水", "floor", "坡向地漏，无积水；防水无渗漏。"),
        ("晾衣架及室外插座", "electrical", "固定牢靠，插座通电。"),
    ] + _EVERY_ROOM[:2]),
]

QUICK_PHRASES = [
    "墙面空鼓约 __ cm²", "墙面裂缝长 __ cm", "地面起砂", "地面空鼓", "顶棚渗水痕迹",
    "门扇变形关闭不严", "窗框打胶不连续", "窗扇开启不灵活", "玻璃破损", "插座不通电",
    "插座接线错误", "漏电保护不动作", "地漏排水不畅", "卫生间闭水渗漏", "管道接口渗水",
    "栏杆松动", "栏杆高度不足", "油漆污染", "成品保护不到位", "钥匙缺失",
]
