"""学年升级 (the school-year promotion) and the transition rate it makes countable (升学率).

On 1 September every pupil in school moves up a grade. The registry records it as a dated
status change of each pupil, the same history a roll import writes (bulk, with the child's
history rows): grade + 1 at the same school where that school teaches the next grade; a primary
school's grade-6 pupils become 'not yet verified' (小学毕业，待初中报到) until a junior school's
roll places them in grade 7 — the unaccounted list is then the check that every primary graduate
reached a junior school; a junior school's grade-9 pupils complete compulsory education
(初中毕业). A pupil whose status changed on or after 1 September is already in the new school
year and is left alone, which also makes a second run change nothing.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.cache import bump_version
from core.errors import DomainError
from core.imports import iter_chunks
from core.services import today

from .imports.common import BATCH
from .models import (
    Child,
    County,
    EnrollmentStatus,
    EnrollmentStatusChange,
    School,
)
from .permissions import require_county_role
from .roles import PROMOTION_ROLES
from .selectors import LEDGER_SUMMARY_CACHE
from .status_dates import status_change_date

S = EnrollmentStatus
St = School.Stage

# The grades each kind of school teaches.
GRADES_TAUGHT = {
    St.PRESCHOOL: range(0),
    St.PRIMARY: range(1, 7),
    St.JUNIOR: range(7, 10),
    St.NINE_YEAR: range(1, 10),
    St.COMPLETE_SECONDARY: range(7, 13),
    St.SENIOR: range(10, 13),
    St.VOCATIONAL: range(10, 13),
    St.SPECIAL: range(1, 10),
}
PRIMARY_GRADUATE_REASON = "小学毕业，待初中报到"
JUNIOR_GRADUATE_REASON = "初中毕业"
PROMOTION_REASON = "学年升级"

# What the promotion does to a pupil (the keys of its counts).
PROMOTED, PRIMARY_GRADUATE, JUNIOR_GRADUATE, LEFT_ALONE = (
    "promoted",
    "primary_graduates",
    "junior_graduates",
    "left_alone",
)


def promotion_day(year: int) -> datetime.date:
    return datetime.date(year, 9, 1)


def _pupils(county: County, year: int) -> QuerySet:
    """The county's pupils in school with a grade whose status predates the new school year."""
    return Child.objects.filter(
        village__township__county=county,
        status=S.IN_SCHOOL,
        grade__isnull=False,
        current_school__isnull=False,
        status_since__lt=promotion_day(year),
    )


def _step(grade: int, stage: str) -> str:
    if grade + 1 in GRADES_TAUGHT.get(stage, ()):
        return PROMOTED
    if grade == 6:
        return PRIMARY_GRADUATE
    if grade == 9:
        return JUNIOR_GRADUATE
    # Anything else (a senior's last year, a grade the school does not teach): the roll says.
    return LEFT_ALONE


def _school_stages(county: County) -> dict[int, str]:
    return dict(
        School.objects.filter(township__county=county).values_list("pk", "stage").order_by()
    )


def promotion_plan(*, county: County, year: int) -> dict:
    """What a run would do now: the count of each outcome (one query, grouped by school and
    grade)."""
    stages = _school_stages(county)
    counts = {PROMOTED: 0, PRIMARY_GRADUATE: 0, JUNIOR_GRADUATE: 0, LEFT_ALONE: 0}
    rows = (
        _pupils(county, year)
        .order_by()
        .values("current_school_id", "grade")
        .annotate(pupils=Count("pk"))
    )
    for row in rows:
        counts[_step(row["grade"], stages.get(row["current_school_id"], ""))] += row["pupils"]
    return counts


def check_promotion_day(year: int) -> None:
    """Not before the school year begins (DomainError on `year`)."""
    day = promotion_day(year)
    if today() < day:
        raise DomainError(
            _("The school year %(year)s begins on %(day)s: promote on or after that day.")
            % {"year": year, "day": day.isoformat()},
            field="year",
        )


@transaction.atomic
def promote_school_year(*, county: County, year: int, actor) -> dict:
    """Run the promotion of school year `year` (from 1 September `year`) for the county.
    County admin and bureau staff of the county only (403); not before 1 September (refused).
    Returns the counts of what it did (promotion_plan's keys)."""
    require_county_role(actor, county.pk, PROMOTION_ROLES)
    check_promotion_day(year)
    day, now = promotion_day(year), today()
    stages = _school_stages(county)
    counts = {PROMOTED: 0, PRIMARY_GRADUATE: 0, JUNIOR_GRADUATE: 0, LEFT_ALONE: 0}
    ids = list(_pupils(county, year).order_by("pk").values_list("pk", flat=True))
    for chunk in iter_chunks(ids, 5000):
        # Locked and re-read: a change made meanwhile takes the pupil out of the run.
        pupils = list(_pupils(county, year).select_for_update(of=("self",)).filter(pk__in=chunk))
        changes, children, outcomes = [], [], {}
        for child in pupils:
            outcome = _step(child.grade, stages.get(child.current_school_id, ""))
            counts[outcome] += 1
            if outcome == LEFT_ALONE:
                continue
            outcomes.setdefault(outcome, []).append(child.pk)
            effective = status_change_date(
                requested=day,
                birth_date=child.birth_date,
                last_change=child.status_since,
                today=now,
                move_early=True,
            )
            previous = child.status
            if outcome == PROMOTED:
                child.grade += 1
                reason = PROMOTION_REASON
            else:
                reason = (
                    PRIMARY_GRADUATE_REASON
                    if outcome == PRIMARY_GRADUATE
                    else (JUNIOR_GRADUATE_REASON)
                )
                child.status = S.UNVERIFIED if outcome == PRIMARY_GRADUATE else S.GRADUATED
                child.current_school = None
                child.grade, child.class_name = None, ""
                child.is_inclusive = child.is_boarder = False
            child.status_since = effective
            changes.append(
                EnrollmentStatusChange(
                    child=child,
                    status=child.status,
                    effective_date=effective,
                    school_id=child.current_school_id,
                    grade=child.grade,
                    class_name=child.class_name,
                    is_inclusive=child.is_inclusive,
                    is_boarder=child.is_boarder,
                    reason=reason,
                    previous_status=previous,
                    recorded_by=actor,
                )
            )
            children.append(child)
        EnrollmentStatusChange.objects.bulk_create(changes, batch_size=BATCH)
        _write_columns(children, outcomes, day)
        Child.history.bulk_history_create(
            children,
            batch_size=BATCH,
            update=True,
            default_user=actor,
            default_change_reason=PROMOTION_REASON,
        )
    transaction.on_commit(lambda: bump_version(LEDGER_SUMMARY_CACHE))
    return counts


def _write_columns(children: list, outcomes: dict[str, list[int]], day: datetime.date) -> None:
    """The children's status columns, one UPDATE per outcome (what bulk_update would write
    with a CASE per row and column, which at county scale costs minutes): the history rows
    are then copied from the instances, which already hold the same values."""
    for outcome, pks in outcomes.items():
        if outcome == PROMOTED:
            values = {"grade": F("grade") + 1}
        else:
            values = {
                "status": S.UNVERIFIED if outcome == PRIMARY_GRADUATE else S.GRADUATED,
                "current_school": None,
                "grade": None,
                "class_name": "",
                "is_inclusive": False,
                "is_boarder": False,
            }
        Child.objects.filter(pk__in=pks).update(status_since=day, **values)


# --- 升学率 ------------------------------------------------------------------------------------


def transition_rate(children: QuerySet, *, year: int, day: datetime.date | None = None) -> dict:
    """小学毕业生升入初中: `graduates` — the children whose status on 31 August `year` was in
    school (or a special school) in grade 6; `in_junior` — those of them whose status on `day`
    (default 31 December `year`) is enrolled in grade 7 or above, verified outside the county,
    or a special school; `rate` — percent with one decimal, None without graduates. One query,
    from the status history (the latest change effective on or before each day)."""
    before = datetime.date(year, 8, 31)
    after = day or datetime.date(year, 12, 31)

    def latest(on, field):
        return Subquery(
            EnrollmentStatusChange.objects.filter(child=OuterRef("pk"), effective_date__lte=on)
            .order_by("-effective_date", "-pk")
            .values(field)[:1]
        )

    graduates = children.annotate(
        june_status=latest(before, "status"), june_grade=latest(before, "grade")
    ).filter(june_status__in=(S.IN_SCHOOL, S.SPECIAL_SCHOOL), june_grade=6)
    went_on = (
        Q(later_status__in=(S.IN_SCHOOL, S.SPECIAL_SCHOOL, S.HOME_DELIVERED), later_grade__gte=7)
        | Q(later_status=S.OUTSIDE_COUNTY, later_outside_verified=True)
        | Q(later_status=S.SPECIAL_SCHOOL)
    )
    totals = (
        graduates.annotate(
            later_status=latest(after, "status"),
            later_grade=latest(after, "grade"),
            later_outside_verified=latest(after, "outside_verified"),
        )
        .order_by()
        .aggregate(graduates=Count("pk"), in_junior=Count("pk", filter=went_on))
    )
    count, went = totals["graduates"], totals["in_junior"]
    rate = (
        (Decimal(100 * went) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if count
        else None
    )
    return {"graduates": count, "in_junior": went, "rate": rate}
