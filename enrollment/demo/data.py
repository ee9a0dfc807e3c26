"""The demo's fixed tables: the demo county's code and password, place and person names, and the
scales a demo can be loaded at."""

from dataclasses import dataclass

DEMO_COUNTY_CODE = "519901"
DEMO_PROVINCE = "51"
DEMO_PASSWORD = "Demo-County-2026"
DEMO_REASON = "演示数据"  # the change reason of the loaded rows' history

TOWNSHIP_NAMES = [
    "城关镇",
    "清溪镇",
    "石桥乡",
    "白云乡",
    "河口镇",
    "青龙乡",
    "双河镇",
    "马鞍乡",
    "桃园乡",
    "龙泉镇",
    "新华乡",
    "金沙镇",
]
VILLAGE_SUFFIXES = ["村", "村", "村", "社区"]
VILLAGE_STEMS = [
    "红星",
    "柏林",
    "花园",
    "石板",
    "大坪",
    "高峰",
    "新民",
    "和平",
    "团结",
    "光明",
    "长滩",
    "竹林",
    "杨柳",
    "黄桷",
    "凉水",
    "白果",
    "双龙",
    "永安",
    "复兴",
    "民主",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "子一欣雨梓浩宇轩涵晨思佳俊杰明阳琳瑶博文嘉诗怡睿泽航婷馨悦然锦程昊天雅静"
RELATIONS = ["父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母"]
VISITORS = ["乡镇干部 李明、村干部 王芳", "乡镇干部 陈刚、教师 赵丽", "村干部 刘强、教师 周敏"]


@dataclass
class Scale:
    townships: int
    villages_per_township: int
    children_per_village: int
    village_primaries_per_township: int = 0  # besides the township's central primary school
    townships_per_junior: int = 2
    counties: int = 1
    name: str = ""  # the key in SCALES, set below; demo loaders size their data by it


SCALES = {
    "demo": Scale(townships=6, villages_per_township=7, children_per_village=90),
    # A tenth of the county (same places and schools, 50 children a village): for profiling the
    # loaders in minutes.
    "small": Scale(
        townships=25,
        villages_per_township=12,
        children_per_village=50,
        village_primaries_per_township=6,
    ),
    # DESIGN.md's large county: 25 townships, 300 villages, ~200 schools, ~150,000 children.
    "county": Scale(
        townships=25,
        villages_per_township=12,
        children_per_village=500,
        village_primaries_per_township=6,
    ),
    "city": Scale(
        townships=25,
        villages_per_township=12,
        children_per_village=500,
        village_primaries_per_township=6,
        counties=10,
    ),
}
for _name, _scale in SCALES.items():
    _scale.name = _name

COUNTY_NAMES = [
    "云溪县",
    "青石县",
    "白河县",
    "红岩县",
    "金川县",
    "龙溪县",
    "桃源县",
    "松林县",
    "平安县",
    "长乐县",
]
