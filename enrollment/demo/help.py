"""The demo's 帮扶 and the school years behind its transition rate (a demo loader, run after the
county is built): the partner units, their help activities in this and last calendar year,
teachers' household visits (千名教师进村入户), and each junior pupil's last primary year.

The county builder records a pupil's current placement from the start of its stage, so a pupil
now in junior grade 7 or 8 has no primary year on record and the county would count no primary
graduates. Here the year before the pupil's first junior September is written as grade 6 at a
primary school of its township — what the school-year promotion (enrollment.promotion) recorded
in a real county — so that the transition rate of this and last year has its graduates, and
those who left the roll since then are the ones who did not go on."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from core.bulk_copy import copy_insert

from ..help_models import HelpActivity, PartnerUnit
from ..models import Child, EnrollmentStatus, EnrollmentStatusChange, HouseholdVisit, School
from ..promotion import PROMOTION_REASON
from ..selectors import school_year_of
from .county import _add_visit_children
from .data import DEMO_REASON

S = EnrollmentStatus
PARTNER_UNITS = [
    ("县财政局", PartnerUnit.Kind.GOVERNMENT, "王建国", "13800001001"),
    ("县人力资源和社会保障局", PartnerUnit.Kind.GOVERNMENT, "李卫东", "13800001002"),
    ("县农村商业银行", PartnerUnit.Kind.ENTERPRISE, "张晓燕", "13800001003"),
    ("云溪电力有限公司", PartnerUnit.Kind.ENTERPRISE, "陈立新", "13800001004"),
    ("县实验中学", PartnerUnit.Kind.SCHOOL, "刘春梅", "13800001005"),
    ("县青年志愿者协会", PartnerUnit.Kind.SOCIAL, "赵一鸣", "13800001006"),
    ("县慈善总会", PartnerUnit.Kind.SOCIAL, "周永红", ""),
]
ACTIVITIES = [
    (HelpActivity.Kind.VISIT, "上门看望，了解学习和生活情况", None),
    (HelpActivity.Kind.TUTORING, "周末学业辅导两小时", None),
    (HelpActivity.Kind.MATERIAL, "送去冬衣、书包和学习用品", (200, 600)),
    (HelpActivity.Kind.MONEY, "发放帮扶助学金", (500, 2000)),
    (HelpActivity.Kind.PSYCHOLOGICAL, "心理健康辅导谈心", None),
]
TEACHER_VISITORS = ["教师 赵丽、教师 周敏", "班主任 孙燕", "教师 钱峰、教师 吴琳、村干部 郑军"]


def load_help_demo(county, users, scale=None) -> str:
    if PartnerUnit.objects.filter(county=county).exists():
        return "help demo already present"
    actor, _created = get_user_model().objects.get_or_create(
        username="data-loader", defaults={"is_active": False}
    )
    rng = random.Random(f"help-{county.code}")
    today = timezone.localdate()
    with transaction.atomic():
        years = _primary_years(county, actor, today)
        units = _partner_units(county, actor)
        activities = _activities(county, actor, units, rng, today)
        visits = _teacher_visits(county, actor, rng, today)
    return (
        f"help: {len(units)} partner units, {activities} activities, {visits} teachers' visits, "
        f"{years} primary years"
    )


def _primary_years(county, actor, today) -> int:
    """Grade 6 in the school year before each junior pupil's first junior September (the
    entrants of this and last school year)."""
    school_year = school_year_of(today)
    promoted = _promotions(county, actor, school_year)  # before the grade-6 years are added
    firsts = (
        EnrollmentStatusChange.objects.filter(child__village__township__county=county)
        .order_by()
        .values("child")
        .annotate(first=Min("effective_date"))
    )
    first_day = {row["child"]: row["first"] for row in firsts}
    primaries = {}
    for school in School.objects.filter(
        township__county=county, stage__in=(School.Stage.PRIMARY, School.Stage.NINE_YEAR)
    ).order_by("code"):
        primaries.setdefault(school.township_id, school.pk)
    rows, followed = [], []
    entries = EnrollmentStatusChange.objects.filter(
        child__village__township__county=county,
        status=S.IN_SCHOOL,
        grade=7,
        effective_date=datetime.date(school_year, 9, 1),
    ) | EnrollmentStatusChange.objects.filter(
        child__village__township__county=county,
        status=S.IN_SCHOOL,
        grade=8,
        effective_date=datetime.date(school_year - 1, 9, 1),
    )
    for entry_id, child_id, township_id, entered in entries.values_list(
        "pk", "child", "child__village__township", "effective_date"
    ):
        if first_day.get(child_id) != entered or township_id not in primaries:
            continue  # already has an earlier year on record
        followed.append(entry_id)
        rows.append(
            {
                "child_id": child_id,
                "status": S.IN_SCHOOL,
                "previous_status": "",
                "effective_date": datetime.date(entered.year - 1, 9, 1),
                "school_id": primaries[township_id],
                "grade": 6,
                "class_name": "",
                "reason": "学籍注册",
                "recorded_by_id": actor.pk,
            }
        )
    copy_insert(EnrollmentStatusChange, rows, return_ids=False)
    # The junior entry now follows the primary year.
    EnrollmentStatusChange.objects.filter(pk__in=followed).update(previous_status=S.IN_SCHOOL)
    return len(rows) + promoted


def _promotions(county, actor, school_year: int) -> int:
    """A pupil now in grade 6 is on record in grade 6 from an earlier September: its entry is
    set to the grade it entered in, and each September since then until its next change gets
    the school-year promotion (学年升级) to the next grade."""
    entries = list(
        EnrollmentStatusChange.objects.filter(
            child__village__township__county=county,
            status=S.IN_SCHOOL,
            grade=6,
            effective_date__lt=datetime.date(school_year, 9, 1),
        ).values(
            "pk", "child", "effective_date", "school_id", "class_name", "is_boarder", "is_inclusive"
        )
    )
    later = {}
    for child_id, day in (
        EnrollmentStatusChange.objects.filter(child__in=[entry["child"] for entry in entries])
        .order_by("effective_date")
        .values_list("child", "effective_date")
    ):
        later.setdefault(child_id, []).append(day)
    rows, regraded = [], {}
    for entry in entries:
        entered = (
            entry["effective_date"].year
            if entry["effective_date"].month >= 9
            else (entry["effective_date"].year - 1)
        )
        years = school_year - entered
        first_grade = max(6 - years, 1)
        regraded.setdefault(first_grade, []).append(entry["pk"])
        next_change = next(
            (day for day in later.get(entry["child"], []) if day > entry["effective_date"]), None
        )
        for step in range(1, 6 - first_grade + 1):
            day = datetime.date(entered + step, 9, 1)
            if next_change is not None and day >= next_change:
                break
            rows.append(
                {
                    "child_id": entry["child"],
                    "status": S.IN_SCHOOL,
                    "previous_status": S.IN_SCHOOL,
                    "effective_date": day,
                    "school_id": entry["school_id"],
                    "grade": first_grade + step,
                    "class_name": entry["class_name"],
                    "is_boarder": entry["is_boarder"],
                    "is_inclusive": entry["is_inclusive"],
                    "reason": PROMOTION_REASON,
                    "recorded_by_id": actor.pk,
                }
            )
    for grade, pks in regraded.items():
        EnrollmentStatusChange.objects.filter(pk__in=pks).update(grade=grade)
    copy_insert(EnrollmentStatusChange, rows, return_ids=False)
    # A pupil whose last entry is now this September's promotion has been in grade 6 since
    # then (the columns the promotion writes: the grade and class stay what they were).
    last_promoted = [
        row["child_id"] for row in rows if row["effective_date"] == datetime.date(school_year, 9, 1)
    ]
    Child.objects.filter(
        pk__in=last_promoted, status_since__lt=datetime.date(school_year, 9, 1)
    ).update(status_since=datetime.date(school_year, 9, 1))
    return len(rows)


def _partner_units(county, actor) -> list[int]:
    return copy_insert(
        PartnerUnit,
        [
            {
                "county_id": county.pk,
                "name": name,
                "kind": kind,
                "contact_person": person,
                "phone": phone,
                "is_active": True,
            }
            for name, kind, person, phone in PARTNER_UNITS
        ],
        history_user=actor,
        history_reason=DEMO_REASON,
    )


def _day_in(rng, year: int, today: datetime.date) -> datetime.date:
    start = datetime.date(year, 1, 1)
    end = min(datetime.date(year, 12, 31), today)
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _activities(county, actor, units, rng, today) -> int:
    """For the focus children with a help pairing: one activity each, in this year or the
    last (a unit named on most)."""
    children = list(
        Child.objects.filter(village__township__county=county, help_pairings__isnull=False)
        .order_by("pk")
        .values_list("pk", "household_id", "village_id")
        .distinct()
    )
    rows = []
    for index, (child_id, household_id, village_id) in enumerate(children):
        kind, content, amounts = ACTIVITIES[index % len(ACTIVITIES)]
        year = today.year - (index % 2)
        rows.append(
            {
                "date": _day_in(rng, year, today),
                "unit_id": units[index % len(units)] if index % 4 else None,
                "responsible_name": PARTNER_UNITS[index % len(PARTNER_UNITS)][2],
                "child_id": child_id,
                "household_id": household_id,
                "village_id": village_id,
                "kind": kind,
                "content": content,
                "amount": Decimal(rng.randrange(*amounts, 50)) if amounts else None,
                "recorded_by_id": actor.pk,
            }
        )
    copy_insert(
        HelpActivity, rows, history_user=actor, history_reason=DEMO_REASON, return_ids=False
    )
    return len(rows)


def _teacher_visits(county, actor, rng, today) -> int:
    """千名教师进村入户: teachers visit one household of pupils in twenty, this year and last."""
    pupils = list(
        Child.objects.filter(village__township__county=county, status=S.IN_SCHOOL)
        .order_by("pk")
        .values_list("pk", "household_id")[::20]
    )
    rows = []
    for index, (_child_id, household_id) in enumerate(pupils):
        visitors = TEACHER_VISITORS[index % len(TEACHER_VISITORS)]
        rows.append(
            {
                "visit_date": _day_in(rng, today.year - (index % 2), today),
                "household_id": household_id,
                "visitors": visitors,
                "teacher_visitors": visitors.count("教师") + visitors.count("班主任"),
                "findings": "孩子在校学习正常，家长支持孩子读书",
                "outcome": HouseholdVisit.Outcome.CONFIRMED_IN_SCHOOL,
                "follow_up": "",
                "recorded_by_id": actor.pk,
            }
        )
    visit_ids = copy_insert(HouseholdVisit, rows, history_user=actor, history_reason=DEMO_REASON)
    _add_visit_children(
        [(visit_id, pupil[0]) for visit_id, pupil in zip(visit_ids, pupils, strict=True)]
    )
    return len(rows)
