"""The demo's relief fund (founded four years ago: donations, investment income and grants
every year) and donations of goods and a building."""

import datetime
from decimal import Decimal

from enrollment.models import Child, School

from ..eligibility import ENTITLED_STATUSES, PRE_IDENTIFYING_STATUSES
from ..services import fund as fund_services

DONORS = [
    ("云溪县宏达建材有限公司", "enterprise"),
    ("县农村商业银行", "enterprise"),
    ("四川某某药业股份有限公司", "enterprise"),
    ("张国华（在外乡贤）", "individual"),
    ("李秀英", "individual"),
    ("县慈善总会", "organisation"),
]


def _fund_and_donations(county, actor, today, rng) -> str:
    first_year = today.year - 4
    fund = fund_services.open_fund(
        actor=actor,
        county=county,
        name=f"{county.name}教育扶贫救助基金",
        founded_on=datetime.date(first_year, 3, 1),
    )
    destitute = list(
        Child.objects.filter(village__township__county=county, status__in=ENTITLED_STATUSES)
        .filter(household__poverty_status__in=PRE_IDENTIFYING_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    children = {
        child.pk: child
        for child in Child.objects.filter(pk__in=destitute).select_related("village__township")
    }
    for year in range(first_year, today.year + 1):
        last_day = min(datetime.date(year, 12, 31), today)
        for donor, kind in rng.sample(DONORS, 3):
            fund_services.record_donation(
                actor=actor,
                county=county,
                donor=donor,
                donor_kind=kind,
                kind="money",
                value=Decimal(rng.randrange(20, 200) * 1000),
                purpose="资助建档立卡特困学生",
                date=min(datetime.date(year, rng.randint(1, 6), 10), last_day),
            )
        if year > first_year:
            fund_services.record_inflow(
                actor=actor,
                fund=fund,
                kind="income",
                amount=Decimal(rng.randrange(10, 40) * 1000),
                date=min(datetime.date(year, 12, 20), last_day),
                counterparty="县扶贫基金会",
                purpose="基金委托投资收益",
            )
        for pk in rng.sample(destitute, min(12, len(destitute))):
            entry = fund_services.request_grant(
                actor=actor,
                fund=fund,
                child=children[pk],
                amount=Decimal(rng.choice([1000, 1500, 2000, 3000])),
                date=min(datetime.date(year, rng.randint(7, 11), 1), last_day),
                hardship=rng.choice(
                    ["父母重病，家庭无劳动力", "家庭遭受火灾", "孤儿，祖父母年迈", "父亲因工伤残疾"]
                ),
                purpose="特困学生救助",
            )
            fund_services.approve_grant(actor=actor, entry=entry, note="局务会审定")
    seat_school = School.objects.filter(township__county=county).order_by("code").first()
    fund_services.record_donation(
        actor=actor,
        county=county,
        donor="县慈善总会",
        donor_kind="organisation",
        kind="goods",
        value=Decimal("36000"),
        description="冬季棉衣、棉被各300套",
        purpose="寄宿制学校学生御寒",
        date=datetime.date(today.year - 1, 11, 20),
        school=seat_school,
    )
    fund_services.record_donation(
        actor=actor,
        county=county,
        donor="云溪县宏达建材有限公司",
        donor_kind="enterprise",
        kind="building",
        value=Decimal("1200000"),
        description="捐建学生食堂一栋（800平方米）",
        purpose="改善寄宿条件",
        date=datetime.date(today.year - 2, 8, 30),
        school=seat_school,
    )
    fund.refresh_from_db()
    return f"relief fund balance {fund.balance} yuan"
