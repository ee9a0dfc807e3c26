"""Reads that are more than a filter: school age, the ledgers (today or any past day), counts."""

import datetime

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import (
    DEPARTED_STATUSES,
    ENROLLED_STATUSES,
    EXEMPTED_STATUSES,
    REGISTERED_POOR_STATUSES,
    UNACCOUNTED_STATUSES,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def school_year_of(day: datetime.date) -> int:
    """The school year (学年) starts on 1 September: 2025-03-01 belongs to school year 2024."""
    return day.year if day.month >= 9 else day.year - 1


def age_reference_date(day: datetime.date) -> datetime.date:
    """Ages are counted on 31 August before the school year that contains `day`."""
    return datetime.date(school_year_of(day), 8, 31)


def birth_range_for_ages(day: datetime.date, youngest: int, oldest: int):
    """Birth dates of children aged youngest..oldest (inclusive) on the reference date."""
    reference = age_reference_date(day)
    latest = _years_before(reference, youngest)
    earliest = _years_before(reference, oldest + 1) + datetime.timedelta(days=1)
    return earliest, latest


def school_age_birth_range(day: datetime.date):
    return birth_range_for_ages(day, settings.SCHOOL_AGE_MIN, settings.SCHOOL_AGE_MAX)


def age_on_reference(birth_date: datetime.date, day: datetime.date) -> int:
    reference = age_reference_date(day)
    return (
        reference.year
        - birth_date.year
        - ((reference.month, reference.day) < (birth_date.month, birth_date.day))
    )


def is_school_age(birth_date: datetime.date, day: datetime.date) -> bool:
    earliest, latest = school_age_birth_range(day)
    return earliest <= birth_date <= latest


# --- the ledger ------------------------------------------------------------------------------

STAGE_PRIMARY, STAGE_JUNIOR = "primary", "junior"


def stage_q(stage: str, day: datetime.date) -> Q:
    """Primary/junior by grade for pupils on a roll, by age for everyone else."""
    if stage == STAGE_PRIMARY:
        earliest, latest = birth_range_for_ages(
            day, settings.SCHOOL_AGE_MIN, settings.PRIMARY_STAGE_MAX_AGE
        )
        grades = (1, 6)
    else:
        earliest, latest = birth_range_for_ages(
            day, settings.PRIMARY_STAGE_MAX_AGE + 1, settings.SCHOOL_AGE_MAX
        )
        grades = (7, 9)
    return Q(ledger_grade__range=grades) | Q(
        ledger_grade__isnull=True, birth_date__gte=earliest, birth_date__lte=latest
    )


FOCUS_GROUPS = {
    "registered_poor": Q(household__poverty_status__in=REGISTERED_POOR_STATUSES),
    "left_behind": Q(is_left_behind=True),
    "disabled": Q(is_disabled=True),
    "orphan": Q(is_orphan=True),
    "in_difficulty": Q(is_in_difficulty=True),
    "migrant": Q(is_migrant=True),
}

LEDGER_ENROLLED = Q(ledger_status__in=ENROLLED_STATUSES) & ~Q(
    ledger_status=EnrollmentStatus.OUTSIDE_COUNTY, ledger_outside_verified=False
)
LEDGER_UNACCOUNTED = Q(ledger_status__in=UNACCOUNTED_STATUSES) | Q(
    ledger_status=EnrollmentStatus.OUTSIDE_COUNTY, ledger_outside_verified=False
)
LEDGER_EXEMPTED = Q(ledger_status__in=EXEMPTED_STATUSES)
LEDGER_DEPARTED = Q(ledger_status__in=DEPARTED_STATUSES)


def with_ledger_status(children: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """Annotate `ledger_*` (status, school, grade, outside_verified) as of a day.

    Today's ledger reads the current columns; a past day's is rebuilt from the latest status
    change effective on or before it, so a report for March made in May shows March.
    """
    if as_of is None:
        return children.annotate(
            ledger_status=F("status"),
            ledger_school_id=F("current_school_id"),
            ledger_school_name=F("current_school__name"),
            ledger_grade=F("grade"),
            ledger_outside_verified=F("outside_verified"),
        )
    latest = EnrollmentStatusChange.objects.filter(
        child=OuterRef("pk"), effective_date__lte=as_of
    ).order_by("-effective_date", "-pk")
    return children.annotate(
        ledger_status=Subquery(latest.values("status")[:1]),
        ledger_school_id=Subquery(latest.values("school_id")[:1]),
        ledger_school_name=Subquery(latest.values("school__name")[:1]),
        ledger_grade=Subquery(latest.values("grade")[:1]),
        ledger_outside_verified=Coalesce(
            Subquery(latest.values("outside_verified")[:1]), Value(False)
        ),
    ).filter(ledger_status__isnull=False)


def ledger_population(children: QuerySet, *, day: datetime.date, as_of=None) -> QuerySet:
    """School-age children of a scope on `day`, with their status then; departed ones excluded
    unless a status filter asks for them later."""
    return with_ledger_status(children, as_of).school_age_on(day)


# Cache namespace of the ledger summaries; every status change makes them stale.
LEDGER_SUMMARY_CACHE = "ledger-summary"


def ledger_summary(children: QuerySet, *, group_by: str) -> list[dict]:
    """Counts and the enrollment rate per group (village, school, grade…), in one query.

    Rate = enrolled / (school-age residents − legal exemptions); departed children are outside
    the population.
    """
    rows = (
        children.exclude(LEDGER_DEPARTED)
        .order_by()
        .values(group_by)
        .annotate(
            population=Count("pk"),
            enrolled=Count("pk", filter=LEDGER_ENROLLED),
            exempted=Count("pk", filter=LEDGER_EXEMPTED),
            suspected=Count("pk", filter=Q(ledger_status=EnrollmentStatus.SUSPECTED_DROPOUT)),
            dropped_out=Count("pk", filter=Q(ledger_status=EnrollmentStatus.DROPPED_OUT)),
            unaccounted=Count("pk", filter=LEDGER_UNACCOUNTED),
        )
        .order_by(group_by)
    )
    return [_with_rate(row) for row in rows]


def summary_total(rows: list[dict]) -> dict:
    keys = ("population", "enrolled", "exempted", "suspected", "dropped_out", "unaccounted")
    return _with_rate({key: sum(row[key] for row in rows) for key in keys})


def _with_rate(row: dict) -> dict:
    denominator = row["population"] - row["exempted"]
    row["rate"] = round(100 * row["enrolled"] / denominator, 2) if denominator else None
    return row


def unaccounted_children_found(user, *, day: datetime.date) -> QuerySet:
    """去向不明: school-age residents on no school roll and in no legal status — the rows only,
    to count them without the joins and grouping of the list's columns."""
    return (
        with_ledger_status(Child.objects.for_user(user), None)
        .school_age_on(day)
        .filter(LEDGER_UNACCOUNTED)
    )


def unaccounted_children(found: QuerySet) -> QuerySet:
    """The list of `found` (unaccounted_children_found): place, household and last visit."""
    return (
        found.select_related("village__township", "household")
        .annotate(last_visit=Max("visits__visit_date"))
        .order_by("village__code", "name", "pk")
    )


def status_history(child: Child) -> QuerySet:
    return child.status_changes.select_related("school", "recorded_by").order_by(
        "-effective_date", "-pk"
    )


# --- who to tell -----------------------------------------------------------------------------


def officials_by_township(township_ids) -> dict[int, list]:
    """The active township officials of each township, in one query."""
    from collections import defaultdict

    from .models import RoleAssignment
    from .roles import Role

    officials = defaultdict(list)
    assignments = RoleAssignment.objects.filter(
        role=Role.TOWNSHIP_OFFICIAL, township_id__in=set(township_ids), user__is_active=True
    ).select_related("user")
    for assignment in assignments:
        officials[assignment.township_id].append(assignment.user)
    return officials


def county_users(county_id: int, roles) -> list:
    """The active users holding one of `roles` with the county as their scope."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            is_active=True, role_assignments__role__in=roles, role_assignments__county_id=county_id
        )
        .distinct()
    )
