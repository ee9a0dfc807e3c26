"""Who is entitled to what, as database expressions (one query per programme and period).

A child's situation in a period is read from its dated status history on the period's census
day (期初统计日), not from today's status: a pupil who drops out after it keeps that period's
subsidy and is not entitled to the next period's.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from enrollment.models import (
    REGISTERED_POOR_STATUSES,
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    PovertyStatus,
    School,
)

from .models import (
    DifficultyIdentification,
    DifficultyLevel,
    Programme,
    Stage,
    census_date,
)

# On a roll and taught: the statuses that carry an entitlement.
ENTITLED_STATUSES = (
    EnrollmentStatus.IN_SCHOOL,
    EnrollmentStatus.SPECIAL_SCHOOL,
    EnrollmentStatus.HOME_DELIVERED,
)
# Household data that pre-identify a child as in economic difficulty (and at which level).
PRE_IDENTIFYING_STATUSES = (
    *REGISTERED_POOR_STATUSES,
    PovertyStatus.LOW_INCOME,
    PovertyStatus.DESTITUTE,
)
MONEY = DecimalField(max_digits=12, decimal_places=2)
# Stages the registry cannot see on a roll: a 本专科 student, or a pupil of a vocational school
# outside the county, has completed compulsory education in the registry (or is recorded as
# studying outside the county). A programme of one of these stages only is due to the children
# of its poverty categories and groups in these statuses, at the programme's standard.
OFF_ROLL_STATUSES = (EnrollmentStatus.GRADUATED, EnrollmentStatus.OUTSIDE_COUNTY)
OUTSIDE_ROLL_STAGES = {
    Stage.HIGHER: OFF_ROLL_STATUSES,
    Stage.VOCATIONAL_OUTSIDE: OFF_ROLL_STATUSES,
}

# Where the rules find the child's own data: from a Child row, or from its status change row.
CHILD = {
    "poverty": "household__poverty_status",
    "disabled": "is_disabled",
    "orphan": "is_orphan",
    "child": "pk",
}
CHANGE = {
    "poverty": "child__household__poverty_status",
    "disabled": "child__is_disabled",
    "orphan": "child__is_orphan",
    "child": "child_id",
}


def as_of_day(period: str) -> datetime.date:
    """The census day, or today while the census day is still ahead."""
    return min(census_date(period), timezone.localdate())


def stage_expression():
    """The subsidy stage of a pupil from the school's stage and the grade on the census day."""
    return Case(
        When(c_school_stage=School.Stage.PRESCHOOL, then=Value(Stage.PRESCHOOL)),
        When(c_school_stage=School.Stage.VOCATIONAL, then=Value(Stage.VOCATIONAL)),
        When(c_grade__gte=1, c_grade__lte=6, then=Value(Stage.PRIMARY)),
        When(c_grade__gte=7, c_grade__lte=9, then=Value(Stage.JUNIOR)),
        When(c_grade__gte=10, c_grade__lte=12, then=Value(Stage.SENIOR)),
        default=Value(""),
    )


def with_situation(children: QuerySet, day: datetime.date) -> QuerySet:
    """Annotate c_status, c_school_id, c_grade, c_boarder, c_school_stage, c_rural, c_stage: the
    child's situation on `day` from the latest status change effective on or before it."""
    latest = EnrollmentStatusChange.objects.filter(
        child=OuterRef("pk"), effective_date__lte=day
    ).order_by("-effective_date", "-pk")
    return children.annotate(
        c_status=Subquery(latest.values("status")[:1]),
        c_school_id=Subquery(latest.values("school_id")[:1]),
        c_grade=Subquery(latest.values("grade")[:1]),
        c_boarder=Subquery(latest.values("is_boarder")[:1]),
        c_school_stage=Subquery(latest.values("school__stage")[:1]),
        c_rural=Subquery(latest.values("school__is_rural")[:1]),
    ).annotate(c_stage=stage_expression())


def identified_q(levels, school_year: int, ref=CHILD) -> Q:
    """Filed identification at one of `levels` for the school year."""
    if not levels:
        return Q(pk__in=[])
    return Q(
        Exists(
            DifficultyIdentification.objects.filter(
                child=OuterRef(ref["child"]),
                school_year=school_year,
                status=DifficultyIdentification.Status.FILED,
                level__in=levels,
            )
        )
    )


def needy_q(school_year: int, ref=CHILD) -> Q:
    """Pre-identified from household data or child flags, or identified for the year."""
    return (
        Q(**{f"{ref['poverty']}__in": PRE_IDENTIFYING_STATUSES})
        | Q(**{ref["orphan"]: True})
        | Q(**{ref["disabled"]: True})
        | identified_q(
            [DifficultyLevel.SPECIAL, DifficultyLevel.DIFFICULT, DifficultyLevel.GENERAL],
            school_year,
            ref,
        )
    )


def _targeted_q(programme: Programme, school_year: int, ref) -> Q:
    """The household/child part of the rule (stage and boarding aside)."""
    if programme.all_pupils:
        return Q()
    condition = Q(pk__in=[])
    if programme.poverty_categories:
        condition |= Q(**{f"{ref['poverty']}__in": programme.poverty_categories})
    if programme.includes_disabled:
        condition |= Q(**{ref["disabled"]: True})
    if programme.includes_orphan:
        condition |= Q(**{ref["orphan"]: True})
    if programme.difficulty_levels:
        condition |= identified_q(programme.difficulty_levels, school_year, ref)
    return condition


def _reduced_q(programme: Programme, ref) -> Q:
    condition = Q(pk__in=[])
    if programme.reduced_rate_categories:
        condition |= Q(**{f"{ref['poverty']}__in": programme.reduced_rate_categories})
    if programme.reduced_rate_disabled:
        condition |= Q(**{ref["disabled"]: True})
    return condition


def outside_roll_stage(programme: Programme) -> str | None:
    """The stage of a programme paid to students off the county's rolls (本专科, 县外就读中职), or
    None for a programme of pupils on a roll."""
    stages = set(programme.stages)
    if len(stages) == 1 and stages <= set(OUTSIDE_ROLL_STAGES):
        return next(iter(stages))
    return None


def payment_stage(programme: Programme, stage: str | None) -> str:
    """The stage a payment line records: the pupil's stage, or the off-roll programme's own."""
    return outside_roll_stage(programme) or stage or ""


def eligibility_q(programme: Programme, period: str, ref=CHILD) -> Q:
    """On rows annotated with the situation (with_situation on children, latest_changes on
    status changes, `ref` saying which): entitled to `programme` in `period`."""
    school_year = int(period[:4])
    off_roll = outside_roll_stage(programme)
    if off_roll is not None:
        return Q(c_status__in=OUTSIDE_ROLL_STAGES[off_roll]) & _targeted_q(
            programme, school_year, ref
        )
    condition = Q(c_status__in=ENTITLED_STATUSES, c_stage__in=programme.stages)
    if programme.rural_only:
        condition &= Q(c_rural=True)
    targeted = _targeted_q(programme, school_year, ref)
    if programme.boarding == Programme.Boarding.BOARDERS:
        condition &= Q(c_boarder=True) & targeted
    elif programme.boarding == Programme.Boarding.BOARDERS_FULL_OTHERS_REDUCED:
        condition &= (Q(c_boarder=True) & targeted) | (
            Q(c_boarder=False) & _reduced_q(programme, ref)
        )
    else:
        condition &= targeted
    return condition


def expected_amount_expression(programme: Programme):
    """The standard for the child's stage, reduced for non-boarders where the rule says so."""
    off_roll = outside_roll_stage(programme)
    if off_roll is not None:
        return Value(programme.amount_for(off_roll), output_field=MONEY)
    stage_whens = [
        When(c_stage=stage, then=Value(programme.amount_for(stage))) for stage in programme.stages
    ]
    full = Case(*stage_whens, default=Value(Decimal("0.00")), output_field=MONEY)
    if programme.boarding != Programme.Boarding.BOARDERS_FULL_OTHERS_REDUCED:
        return full
    reduced_whens = [
        When(c_stage=stage, then=Value(programme.reduced(programme.amount_for(stage))))
        for stage in programme.stages
    ]
    reduced = Case(*reduced_whens, default=Value(Decimal("0.00")), output_field=MONEY)
    return Case(When(c_boarder=True, then=full), default=reduced, output_field=MONEY)


def entitled_amount_expression(programme: Programme, period: str, ref=CHANGE):
    """The standard due to a child for `period` when it is entitled to it, NULL when not: one
    column per programme, so that one read of the county's statuses serves every programme."""
    return Case(
        When(eligibility_q(programme, period, ref), then=expected_amount_expression(programme)),
        default=Value(None),
        output_field=MONEY,
    )


def latest_changes(day: datetime.date, children: QuerySet | None = None) -> QuerySet:
    """Each child's status change in effect on `day` (the latest effective on or before it),
    annotated with the same c_* situation as with_situation() — by joins instead of correlated
    subqueries, for the set-based reads over a whole county."""
    ranked = EnrollmentStatusChange.objects.filter(effective_date__lte=day)
    if children is not None:
        ranked = ranked.filter(child__in=children.values("pk"))
    ranked = (
        ranked.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("child_id")],
                order_by=[F("effective_date").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values("pk")
    )
    return (
        EnrollmentStatusChange.objects.filter(pk__in=ranked)
        .annotate(
            c_status=F("status"),
            c_school_id=F("school_id"),
            c_grade=F("grade"),
            c_boarder=F("is_boarder"),
            c_school_stage=F("school__stage"),
            c_rural=F("school__is_rural"),
        )
        .annotate(c_stage=stage_expression())
    )


def eligible_children(programme: Programme, period: str, children: QuerySet | None = None):
    """The status changes in effect on the census day of the children entitled to the programme
    in its payment period `period` (child_id, c_school_id, c_stage…), with `expected_amount`."""
    return (
        latest_changes(as_of_day(period), children)
        .filter(eligibility_q(programme, period, CHANGE))
        .annotate(expected_amount=expected_amount_expression(programme))
    )


def with_entitlement(children: QuerySet, programme: Programme, period: str) -> QuerySet:
    """The children with their situation on the period's census day (with_situation), whether
    they are `eligible` for the programme then, and the `expected_amount` of a payment."""
    return with_situation(children, as_of_day(period)).annotate(
        eligible=Case(
            When(eligibility_q(programme, period), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        expected_amount=expected_amount_expression(programme),
    )


def situation_of(child: Child, programme: Programme, period: str) -> dict | None:
    """The child's situation on the census day with `eligible` and `expected_amount`, or
    None when the child has no status then."""
    row = (
        with_entitlement(Child.objects.filter(pk=child.pk), programme, period)
        .values(
            "c_status",
            "c_school_id",
            "c_stage",
            "c_boarder",
            "eligible",
            "expected_amount",
            township_id=F("village__township_id"),
        )
        .first()
    )
    return row
