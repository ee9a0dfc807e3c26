"""Demo 送教上门 sessions: twice a month (not in the summer holidays) a teacher of the child's
school teaches each home-delivered child of the demo county, from the school year before last
to today, on the days the status history says the child was home-delivered. A few children
had no session this school year, so the coverage is not a perfect 100%."""

import datetime
from collections import defaultdict
from decimal import Decimal

from core.bulk_copy import copy_insert
from enrollment.models import EnrollmentStatus, EnrollmentStatusChange

from .models import HomeTeachingSession, Teacher

CONTENTS = (
    "语文：识字与朗读训练",
    "数学：10以内加减法",
    "生活适应：穿衣与整理",
    "康复训练：精细动作练习",
    "沟通与交往：日常用语",
    "绘画与手工",
    "数学：认识钟表",
    "语文：看图说话",
)
DAYS_OF_MONTH = (8, 22)
HOLIDAY_MONTHS = (7, 8)


def _periods(changes: list[EnrollmentStatusChange]) -> list[tuple[datetime.date, datetime.date]]:
    """The stretches (from, until exclusive) in which the child was home-delivered."""
    stretches, start = [], None
    for change in changes:
        if change.status == EnrollmentStatus.HOME_DELIVERED and start is None:
            start = change.effective_date
        elif change.status != EnrollmentStatus.HOME_DELIVERED and start is not None:
            stretches.append((start, change.effective_date))
            start = None
    if start is not None:
        stretches.append((start, datetime.date.max))
    return stretches


def load_home_teaching_demo(county, actor, today: datetime.date) -> int:
    if HomeTeachingSession.objects.filter(child__village__township__county=county).exists():
        return 0
    changes = defaultdict(list)
    for change in (
        EnrollmentStatusChange.objects.filter(
            child__village__township__county=county,
            child__status_changes__status=EnrollmentStatus.HOME_DELIVERED,
        )
        .distinct()
        .select_related("child__village")
        .order_by("child_id", "effective_date", "pk")
    ):
        changes[change.child].append(change)
    teachers_by_school = defaultdict(list)
    teachers_by_township = defaultdict(list)
    for teacher in Teacher.objects.filter(
        school__township__county=county, status=Teacher.Status.ACTIVE
    ).select_related("school"):
        teachers_by_school[teacher.school_id].append(teacher.pk)
        teachers_by_township[teacher.school.township_id].append(teacher.pk)
    first = datetime.date(today.year - 2, 9, 1)
    this_school_year = datetime.date(today.year - (today.month < 9), 9, 1)
    rows = []
    for number, (child, history) in enumerate(changes.items()):
        school_id = next((c.school_id for c in reversed(history) if c.school_id is not None), None)
        pool = teachers_by_school.get(school_id) or teachers_by_township.get(
            child.village.township_id, []
        )
        if not pool:
            continue
        # One child in six had nobody come this school year (the coverage gap to close).
        missed = number % 6 == 5
        for start, until in _periods(history):
            month = max(start, first).replace(day=1)
            while month <= today:
                for day_of_month in DAYS_OF_MONTH:
                    day = month.replace(day=day_of_month)
                    if (
                        month.month in HOLIDAY_MONTHS
                        or not start <= day < until
                        or day > today
                        or (missed and day >= this_school_year)
                    ):
                        continue
                    rows.append(
                        {
                            "child_id": child.pk,
                            "teacher_id": pool[(number + day.month) % len(pool)],
                            "date": day,
                            "hours": Decimal("2.0") if day_of_month == 8 else Decimal("1.5"),
                            "content": CONTENTS[(number + day.month + day_of_month) % 8],
                            "note": "",
                            "recorded_by_id": actor.pk,
                        }
                    )
                month = (month + datetime.timedelta(days=32)).replace(day=1)
    copy_insert(HomeTeachingSession, rows, history_user=actor, return_ids=False)
    return len(rows)
