"""The national programmes and standards, so that every installation starts with them. Each is
editable by the bureau afterwards (amounts in yuan; local amounts are placeholders to set)."""

import datetime
from decimal import Decimal

from django.db import migrations

POOR = ["registered_poor", "lifted", "monitored", "low_income", "destitute"]
REGISTERED = ["registered_poor", "lifted", "monitored"]
LEVELS = ["special", "difficult", "general"]
NEEDY = {
    "poverty_categories": POOR,
    "difficulty_levels": LEVELS,
    "includes_disabled": True,
    "includes_orphan": True,
}
D = datetime.date

PROGRAMMES = [
    {
        "code": "preschool-fee-waiver",
        "name": "学前教育保教费减免（大班免费）",
        "report_label": "学前教育保教费",
        "report_order": 10,
        "stages": ["preschool"],
        "standard_amount": Decimal("900.00"),
        "all_pupils": True,
        "paid_to": "school",
        "checked_for_gaps": False,
        "funding_source": "中央和地方财政按比例分担",
        "source_note": "国务院办公厅《关于逐步推行免费学前教育的意见》（2025年）：自2025年秋季学期起"
        "免除公办幼儿园学前一年（大班）保育教育费，民办园相应减免。标准按当地公办园保教费"
        "核定（此处为占位金额，由县教育局按实际收费标准修改）。仅大班幼儿享受，登记系统未"
        "区分大班，故不纳入应享尽享比对。",
        "active_from": D(2025, 9, 1),
    },
    {
        "code": "preschool-grant",
        "name": "学前教育资助（地方）",
        "report_label": "学前教育保教费",
        "report_order": 11,
        "stages": ["preschool"],
        "standard_amount": Decimal("500.00"),
        **NEEDY,
        "funding_source": "地方财政（中央财政奖补）",
        "source_note": "财教〔2021〕310号《学生资助资金管理办法》：学前教育资助由地方政府对经县级"
        "以上教育部门认定的家庭经济困难儿童、孤儿和残疾儿童给予资助，资助标准由地方确定"
        "（此处为占位金额：每生每学期500元）。",
        "active_from": D(2011, 9, 1),
    },
    {
        "code": "compulsory-fee-waiver",
        "name": "义务教育免学杂费",
        "report_label": "义务教育免学杂费",
        "report_order": 15,
        "stages": ["primary", "junior"],
        "standard_amount": Decimal("0.00"),
        "all_pupils": True,
        "paid_to": "in_kind",
        "per_child": False,
        "checked_for_gaps": False,
        "funding_source": "城乡义务教育经费保障机制",
        "source_note": "国发〔2015〕67号《关于进一步完善城乡义务教育经费保障机制的通知》：城乡义务"
        "教育学生免除学杂费；由生均公用经费保障，不向学生发放现金。",
        "active_from": D(2008, 9, 1),
    },
    {
        "code": "free-textbooks",
        "name": "免费提供国家课程教科书",
        "report_label": "免费教科书",
        "report_order": 16,
        "stages": ["primary", "junior"],
        "standard_amount": Decimal("0.00"),
        "all_pupils": True,
        "paid_to": "in_kind",
        "per_child": False,
        "checked_for_gaps": False,
        "funding_source": "中央财政",
        "source_note": "国发〔2015〕67号：向城乡义务教育学生免费提供国家规定课程教科书，"
        "实物发放，不向学生发放现金。",
        "active_from": D(2008, 9, 1),
    },
    {
        "code": "exercise-books",
        "name": "义务教育阶段学生作业本费",
        "report_label": "义务教育阶段学生作业本费",
        "report_order": 20,
        "stages": ["primary", "junior"],
        "standard_amount": Decimal("20.00"),
        **NEEDY,
        "paid_to": "in_kind",
        "funding_source": "地方财政",
        "source_note": "地方项目：对家庭经济困难学生免费提供作业本，标准由县确定（此处为占位金额："
        "每生每学期20元）。",
        "active_from": D(2015, 9, 1),
    },
    {
        "code": "boarding-living-allowance",
        "name": "家庭经济困难寄宿生生活补助",
        "report_label": "义务教育寄宿制贫困生补助",
        "report_order": 30,
        "stages": ["primary", "junior"],
        "standard_amount": Decimal("500.00"),
        "stage_amounts": {"primary": "500.00", "junior": "625.00"},
        **NEEDY,
        "boarding": "reduced",
        "reduced_rate_percent": 50,
        "reduced_rate_categories": POOR,
        "reduced_rate_disabled": True,
        "funding_source": "中央与地方按比例分担",
        "source_note": "财教〔2021〕310号《学生资助资金管理办法》及2019年起标准：家庭经济困难寄宿生"
        "生活补助小学每生每年1000元、初中每生每年1250元，按学期发放（每学期小学500元、初中"
        "625元）；非寄宿的建档立卡（脱贫）、低保、特困供养、残疾学生按寄宿生标准的50%补助"
        "（小学每年500元、初中625元）。",
        "active_from": D(2019, 9, 1),
    },
    {
        "code": "senior-grant-2000",
        "name": "普通高中国家助学金（2025年春季前）",
        "report_label": "普高免学费、助学金",
        "report_order": 40,
        "stages": ["senior"],
        "standard_amount": Decimal("1000.00"),
        **NEEDY,
        "funding_source": "中央与地方按比例分担",
        "source_note": "财教〔2021〕310号：普通高中国家助学金平均资助标准每生每年2000元，按学期发放"
        "（每学期1000元），执行至2024年秋季学期。",
        "active_from": D(2010, 9, 1),
        "active_until": D(2025, 1, 31),
    },
    {
        "code": "senior-grant",
        "name": "普通高中国家助学金",
        "report_label": "普高免学费、助学金",
        "report_order": 41,
        "stages": ["senior"],
        "standard_amount": Decimal("1150.00"),
        **NEEDY,
        "funding_source": "中央与地方按比例分担",
        "source_note": "财政部、教育部2025年调整标准：自2025年春季学期起普通高中国家助学金平均资助"
        "标准由每生每年2000元提高到2300元，按学期发放（每学期1150元）。",
        "active_from": D(2025, 2, 1),
    },
    {
        "code": "senior-fee-waiver",
        "name": "普通高中免学杂费",
        "report_label": "普高免学费、助学金",
        "report_order": 42,
        "stages": ["senior"],
        "standard_amount": Decimal("600.00"),
        "poverty_categories": POOR,
        "includes_disabled": True,
        "paid_to": "school",
        "funding_source": "中央与地方按比例分担",
        "source_note": "财教〔2016〕292号及财教〔2021〕310号：免除建档立卡等家庭经济困难学生（含非建档"
        "立卡的家庭经济困难残疾学生、农村低保家庭学生、农村特困救助供养学生）普通高中学杂费；"
        "标准按省定公办普通高中学费核定（此处为占位金额：每生每学期600元）。",
        "active_from": D(2016, 9, 1),
    },
    {
        "code": "vocational-tuition-waiver",
        "name": "中等职业教育免学费",
        "report_label": "中职免学费",
        "report_order": 50,
        "stages": ["vocational"],
        "standard_amount": Decimal("1000.00"),
        "all_pupils": True,
        "paid_to": "school",
        "funding_source": "中央与地方按比例分担",
        "source_note": "财教〔2021〕310号：中等职业学校全日制正式学籍一、二、三年级在校生中农村"
        "（含县镇）学生、城市涉农专业学生和家庭经济困难学生免除学费；补助标准按省定学费核定"
        "（此处为占位金额：每生每学期1000元）。",
        "active_from": D(2012, 9, 1),
    },
    {
        "code": "vocational-grant",
        "name": "中等职业教育国家助学金",
        "report_label": "中职助学金",
        "report_order": 51,
        "stages": ["vocational"],
        "standard_amount": Decimal("1150.00"),
        **NEEDY,
        "funding_source": "中央与地方按比例分担",
        "source_note": "自2025年春季学期起中职国家助学金平均资助标准提高到每生每年2300元，按学期发放"
        "（每学期1150元），资助全日制正式学籍一、二年级家庭经济困难学生。",
        "active_from": D(2025, 2, 1),
    },
    {
        "code": "yulu",
        "name": "雨露计划职业教育补助",
        "report_label": "中职学生补助生活费",
        "report_order": 55,
        "stages": ["vocational", "higher"],
        "standard_amount": Decimal("1500.00"),
        "poverty_categories": REGISTERED,
        "funding_source": "衔接推进乡村振兴补助资金",
        "source_note": "国家乡村振兴局等《关于实施雨露计划+就业促进行动的通知》：对脱贫家庭（含"
        "监测帮扶对象家庭）子女接受中、高等职业教育给予补助，各地普遍按每生每年3000元、"
        "每学期1500元发放。",
        "active_from": D(2015, 9, 1),
    },
    {
        "code": "nutrition",
        "name": "农村义务教育学生营养改善计划",
        "report_label": "义务教育学生实施营养改善计划",
        "report_order": 60,
        "stages": ["primary", "junior"],
        "unit": "day",
        "standard_amount": Decimal("5.00"),
        "days_per_term": 100,
        "all_pupils": True,
        "rural_only": True,
        "paid_to": "canteen",
        "funding_source": "中央财政（国家试点县）",
        "source_note": "教财〔2021〕1号及2021年秋季学期起标准：农村义务教育学生膳食补助每生每天5元，"
        "按全年在校200天（每学期100天）计算；资金拨付学校食堂，不发给学生家庭，按学生逐人记录。",
        "active_from": D(2011, 9, 1),
    },
    {
        "code": "higher-education",
        "name": "本专科学生补助学费、生活费",
        "report_label": "本专科学生补助学费、生活费",
        "report_order": 70,
        "stages": ["higher"],
        "unit": "year",
        "standard_amount": Decimal("5000.00"),
        "poverty_categories": POOR,
        "includes_orphan": True,
        "includes_disabled": True,
        "checked_for_gaps": False,
        "funding_source": "地方财政、生源地信用助学贷款",
        "source_note": "财教〔2021〕310号：本专科生国家助学金平均每生每年3300元（2025年起3700元），"
        "由高校发放；县级对考入高校的脱贫家庭等学生补助学费、生活费，标准由县确定（此处为"
        "占位金额：每生每年5000元）。登记系统只登记18岁以下儿童，故不纳入应享尽享比对。",
        "active_from": D(2007, 9, 1),
    },
    {
        "code": "vocational-outside-county",
        "name": "县外就读中职学生补助",
        "report_label": "县外就读中职学生补助",
        "report_order": 56,
        "stages": ["voc_outside"],
        "standard_amount": Decimal("1000.00"),
        "poverty_categories": POOR,
        "includes_orphan": True,
        "includes_disabled": True,
        "checked_for_gaps": False,
        "funding_source": "县级财政",
        "source_note": "县级项目：对到县外中等职业学校就读的脱贫家庭、低保等家庭经济困难学生补助"
        "生活费，按学期发放，标准由县确定（此处为占位金额：每生每学期1000元）。登记系统只知道"
        "学生在县外就读，不知道所读学校的学段，故不纳入应享尽享比对。",
        "active_from": D(2016, 9, 1),
    },
    {
        "code": "poor-family-relief",
        "name": "救助建档立卡贫困生家庭资金",
        "report_label": "救助建档立卡贫困生家庭资金",
        "report_order": 80,
        "stages": ["preschool", "primary", "junior", "senior", "vocational"],
        "unit": "year",
        "standard_amount": Decimal("1000.00"),
        "poverty_categories": REGISTERED,
        "checked_for_gaps": False,
        "funding_source": "县级财政、教育扶贫救助基金",
        "source_note": "县级项目：对建档立卡（脱贫、监测）家庭学生给予救助，标准由县确定（此处为"
        "占位金额：每生每年1000元）；按需审批，不属于应享尽享的普惠项目。",
        "active_from": D(2016, 9, 1),
    },
    {
        "code": "public-funds",
        "name": "义务教育生均公用经费",
        "report_label": "义务教育生均公用经费",
        "report_order": 90,
        "stages": ["primary", "junior"],
        "unit": "year",
        "standard_amount": Decimal("720.00"),
        "stage_amounts": {"primary": "720.00", "junior": "940.00"},
        "all_pupils": True,
        "paid_to": "school",
        "per_child": False,
        "checked_for_gaps": False,
        "funding_source": "中央与地方按比例分担",
        "source_note": "国发〔2015〕67号及2024年起基准定额：小学每生每年720元、初中940元（寄宿制学校"
        "另加寄宿生200元，特教学校6000元）；拨付学校，不按学生发放。",
        "active_from": D(2024, 1, 1),
    },
]

EXCLUSIONS = [
    ("senior-grant", "vocational-grant"),
    ("senior-grant-2000", "vocational-grant"),
    ("senior-fee-waiver", "vocational-tuition-waiver"),
]


def seed(apps, schema_editor):
    Programme = apps.get_model("subsidies", "Programme")
    by_code = {}
    for data in PROGRAMMES:
        data = dict(data)
        code = data.pop("code")
        programme, _created = Programme.objects.get_or_create(code=code, defaults=data)
        by_code[code] = programme
    for first, second in EXCLUSIONS:
        # Historical models do not mirror a symmetrical relation: add both directions.
        by_code[first].excludes.add(by_code[second])
        by_code[second].excludes.add(by_code[first])


def unseed(apps, schema_editor):
    Programme = apps.get_model("subsidies", "Programme")
    Programme.objects.filter(code__in=[data["code"] for data in PROGRAMMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
