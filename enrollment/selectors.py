"""Reads that are more than a filter: school age, the ledgers (today or any past day), counts."""

import datetime

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
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


def case_flag_scope(user) -> Q | None:
    """The children on whom the user may see 涉案未成年人: those one of the user's
    CASE_FLAG_ROLES covers (Q() for a superuser, None for nobody)."""
    from .roles import CASE_FLAG_ROLES
    from .scoping import scope_q

    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    return scope_q(Child, user, CASE_FLAG_ROLES)


def with_case_flag(children: QuerySet, user) -> QuerySet:
    """Annotate `case_flag`: 涉案未成年人 as the user may see it — the child's flag where one of
    the user's CASE_FLAG_ROLES covers the child, None (masked) elsewhere. Decided per row in the
    same query, so that a user with a case role in one township and a school role elsewhere sees
    the flag only on the township's children. Lists, exports and the API read this annotation,
    never the column itself."""
    covered = case_flag_scope(user)
    if covered is None:
        flag = Value(None, output_field=BooleanField())
    elif not covered:  # a superuser: every row
        flag = ExpressionWrapper(F("is_involved_in_case"), output_field=BooleanField())
    else:
        flag = Case(
            When(covered, then=F("is_involved_in_case")),
            default=Value(None),
            output_field=BooleanField(),
        )
    return children.annotate(case_flag=flag)


def involved_in_case(children: QuerySet, user) -> QuerySet:
    """The children flagged 涉案未成年人 among those the user may see it on (none for others)."""
    covered = case_flag_scope(user)
    if covered is None:
        return children.none()
    return children.filter(covered, is_involved_in_case=True)


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


# --- class sizes (大班额) -----------------------------------------------------------------------

# Pupils who sit in a class of their school: on its roll and taught there (a pupil taught at
# home, 送教上门, is on the roll but in no classroom; a suspected dropout still holds a seat).
IN_CLASS_STATUSES = (
    EnrollmentStatus.IN_SCHOOL,
    EnrollmentStatus.SPECIAL_SCHOOL,
    EnrollmentStatus.SUSPECTED_DROPOUT,
)
# Where each kind of place finds its schools.
SCHOOLS_OF_PLACE = {
    "county": "township__county",
    "township": "township",
    "village": "village",
    "school": "pk",
}


def class_size_thresholds() -> tuple[int, int]:
    """(大班额, 超大班额): the smallest class of each, from the settings."""
    return settings.LARGE_CLASS_SIZE, settings.OVERSIZED_CLASS_SIZE


def large_classes(schools: QuerySet) -> list[dict]:
    """大班额: the classes of `schools` with LARGE_CLASS_SIZE pupils or more, largest first within
    each school, each marked `oversized` (超大班额) from OVERSIZED_CLASS_SIZE.

    A class is a school's (grade, class name) as the roll import writes it on each pupil — the
    import sets every pupil of the roll in school there with its grade and class, and a pupil
    placed by hand since (a returned dropout) is counted too. Pupils without a class name are
    in no class that can be counted. One GROUP BY query with the threshold in HAVING: counted
    in the database over the whole class, whoever asks (the sizes are no one's personal data;
    which schools is the caller's scope)."""
    large, oversized = class_size_thresholds()
    rows = (
        Child.objects.filter(
            current_school__in=schools, status__in=IN_CLASS_STATUSES, grade__isnull=False
        )
        .exclude(class_name="")
        .order_by()
        .values(
            "current_school",
            "current_school__code",
            "current_school__name",
            "current_school__township",
            "current_school__township__code",
            "current_school__township__name",
            "grade",
            "class_name",
        )
        .annotate(size=Count("pk"))
        .filter(size__gte=large)
        .order_by("current_school__township__code", "current_school__code", "grade", "class_name")
    )
    return [
        {
            "school_id": row["current_school"],
            "school": row["current_school__name"],
            "township_id": row["current_school__township"],
            "township": row["current_school__township__name"],
            "grade": row["grade"],
            "class_name": row["class_name"],
            "size": row["size"],
            "oversized": row["size"] >= oversized,
        }
        for row in rows
    ]


def class_size_overview(schools: QuerySet) -> dict:
    """The large classes of `schools` (large_classes) and their counts per school and per
    township: 大班额 (LARGE_CLASS_SIZE or more) and, of them, 超大班额 (OVERSIZED_CLASS_SIZE or
    more) — counted from the one query's rows, which are only the large classes."""
    classes = large_classes(schools)

    def counts(key: str, name: str) -> list[dict]:
        groups = {}
        for row in classes:
            group = groups.setdefault(
                row[key],
                {"id": row[key], "name": row[name], "township": row["township"], "large": 0},
            )
            group["large"] += 1
            group["oversized"] = group.get("oversized", 0) + int(row["oversized"])
        return list(groups.values())

    large, oversized = class_size_thresholds()
    return {
        "classes": classes,
        "by_school": counts("school_id", "school"),
        "by_township": counts("township_id", "township"),
        "large": len(classes),
        "oversized": sum(row["oversized"] for row in classes),
        "large_size": large,
        "oversized_size": oversized,
    }


def schools_of_place(user, kind: str, place) -> QuerySet:
    """The schools of a ledger's place that the user's scopes reach (for_user)."""
    from .models import School

    return School.objects.for_user(user).filter(**{SCHOOLS_OF_PLACE[kind]: place.pk})
