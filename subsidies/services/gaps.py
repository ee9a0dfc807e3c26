"""应享尽享: the entitlement-gap check of one county and term, kept per run.

Set-based: per checked programme, one query for the entitled children of poor or identified
households whose paid amount falls short, one for paid children who were not entitled; one
query per pair of mutually exclusive programmes for children paid under both. Nothing loops
over children in Python except to write the gaps found.
"""

import logging

from django.db import transaction
from django.db.models import BooleanField, Case, DecimalField, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from enrollment.models import Child, EnrollmentStatusChange, HelpPairing, School

from ..eligibility import (
    CHANGE,
    ENTITLED_STATUSES,
    as_of_day,
    eligibility_q,
    eligible_children,
    latest_changes,
    needy_q,
    paid_amount_subquery,
    with_situation,
)
from ..models import Gap, GapRun, Payment, Programme, parse_period
from ..roles import GAP_CHECK_ROLES
from .common import require_county_role

logger = logging.getLogger(__name__)
MONEY = DecimalField(max_digits=12, decimal_places=2)


def start_gap_run(*, actor, county, period: str) -> GapRun:
    """Record the run and queue the check once the row is committed."""
    from ..tasks import run_gap_check_task

    require_county_role(actor, county.pk, GAP_CHECK_ROLES)
    try:
        _year, term = parse_period(period)
    except ValueError as error:
        raise DomainError(_("Choose a term like 2024-1 or 2024-2."), field="period") from error
    if term is None:
        raise DomainError(_("Choose a term like 2024-1 or 2024-2."), field="period")
    with transaction.atomic():
        run = GapRun.objects.create(county=county, period=period, started_by=actor)
        transaction.on_commit(lambda: run_gap_check_task.delay(run.pk))
    return run


def checked_programmes(period: str) -> list[Programme]:
    return [
        programme
        for programme in Programme.objects.filter(per_child=True, checked_for_gaps=True)
        .prefetch_related("excludes")
        .order_by("report_order", "pk")
        if programme.is_active_in(period)
    ]


def _responsible(child_ref: str = "pk"):
    return Coalesce(
        Subquery(
            HelpPairing.objects.filter(child=OuterRef(child_ref), end_date__isnull=True)
            .order_by("-start_date")
            .values("partner_name")[:1]
        ),
        Value(""),
    )


def find_gaps(county, period: str) -> list[Gap]:
    """The gaps of the county in the term `period` (unsaved)."""
    year = int(period[:4])
    county_children = Child.objects.filter(village__township__county=county)
    township_of_school = dict(
        School.objects.filter(township__county=county).values_list("pk", "township_id")
    )
    gaps: list[Gap] = []

    def add(kind, row, programme, payment_period, *, expected=0, paid=0, other=None):
        school_id = row.get("c_school_id")
        gaps.append(
            Gap(
                kind=kind,
                child_id=row["child_pk"],
                school_id=school_id,
                township_id=township_of_school.get(school_id, row["home_township"]),
                programme=programme,
                other_programme=other,
                period=payment_period,
                expected_amount=expected,
                paid_amount=paid,
                responsible=row.get("responsible", ""),
            )
        )

    programmes = checked_programmes(period)
    for programme in programmes:
        payment_period = programme.period_of(period)
        day = as_of_day(payment_period)
        # 1. Entitled children of poor or identified households paid less than the standard.
        short = (
            eligible_children(programme, payment_period, county_children)
            .filter(needy_q(year, CHANGE))
            .annotate(paid=paid_amount_subquery(programme.pk, payment_period, "child_id"))
            .filter(paid__lt=F("expected_amount"))
            .annotate(responsible=_responsible("child_id"))
            .values(
                "c_school_id",
                "expected_amount",
                "paid",
                "responsible",
                child_pk=F("child_id"),
                home_township=F("child__village__township_id"),
            )
        )
        for row in short:
            kind = Gap.Kind.MISSING if row["paid"] <= 0 else Gap.Kind.SHORT
            add(
                kind,
                row,
                programme,
                payment_period,
                expected=row["expected_amount"],
                paid=row["paid"],
            )
        # 2. Children paid (net) who were not entitled: not enrolled, or not eligible.
        paid_children = county_children.filter(
            pk__in=Payment.objects.paid()
            .filter(programme=programme, period=payment_period)
            .values("child_id")
        )
        wrongly_paid = (
            latest_changes(day, paid_children)
            .annotate(
                paid=paid_amount_subquery(programme.pk, payment_period, "child_id"),
                eligible=Case(
                    When(eligibility_q(programme, payment_period, CHANGE), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
            .filter(paid__gt=0, eligible=False)
            .annotate(responsible=_responsible("child_id"))
            .values(
                "c_school_id",
                "c_status",
                "paid",
                "responsible",
                child_pk=F("child_id"),
                home_township=F("child__village__township_id"),
            )
        )
        # Children paid with no status at all on the census day are not enrolled either.
        unknown = (
            paid_children.exclude(
                pk__in=EnrollmentStatusChange.objects.filter(effective_date__lte=day).values(
                    "child_id"
                )
            )
            .annotate(paid=paid_amount_subquery(programme.pk, payment_period))
            .filter(paid__gt=0)
            .annotate(responsible=_responsible())
            .values(
                "paid", "responsible", child_pk=F("pk"), home_township=F("village__township_id")
            )
        )
        for row in [*wrongly_paid, *unknown]:
            enrolled = row.get("c_status") in ENTITLED_STATUSES
            add(
                Gap.Kind.INELIGIBLE if enrolled else Gap.Kind.NOT_ENROLLED,
                row,
                programme,
                payment_period,
                paid=row["paid"],
            )
    # 3. Children paid under two programmes that exclude each other.
    by_pk = {programme.pk: programme for programme in programmes}
    pairs = sorted(
        {
            tuple(sorted((programme.pk, other.pk)))
            for programme in programmes
            for other in programme.excludes.all()
            if other.pk in by_pk
        }
    )
    for first_pk, second_pk in pairs:
        first, second = by_pk[first_pk], by_pk[second_pk]
        paid_first = Payment.objects.paid().filter(programme=first, period=first.period_of(period))
        both = (
            with_situation(
                county_children.filter(pk__in=paid_first.values("child")), as_of_day(period)
            )
            .annotate(
                paid=paid_amount_subquery(first.pk, first.period_of(period)),
                other_paid=paid_amount_subquery(second.pk, second.period_of(period)),
            )
            .filter(paid__gt=0, other_paid__gt=0)
            .annotate(responsible=_responsible())
            .values(
                "c_school_id",
                "paid",
                "other_paid",
                "responsible",
                child_pk=F("pk"),
                home_township=F("village__township_id"),
            )
        )
        for row in both:
            add(
                Gap.Kind.DUPLICATE,
                row,
                first,
                first.period_of(period),
                paid=row["paid"] + row["other_paid"],
                other=second,
            )
    return gaps


def run_gap_check(run_id: int) -> GapRun:
    """Idempotent: a finished run is left alone; a rerun replaces the run's gaps atomically."""
    with transaction.atomic():
        run = GapRun.objects.select_for_update().select_related("county").get(pk=run_id)
        if run.status in (GapRun.Status.DONE, GapRun.Status.FAILED):
            return run
        run.status = GapRun.Status.RUNNING
        run.save(update_fields=["status"])
    try:
        gaps = find_gaps(run.county, run.period)
        with transaction.atomic():
            run.gaps.all().delete()
            for gap in gaps:
                gap.run = run
            Gap.objects.bulk_create(gaps, batch_size=2000)
            counts = {kind: 0 for kind in Gap.Kind.values}
            for gap in gaps:
                counts[gap.kind] += 1
            counts["total"] = len(gaps)
            GapRun.objects.filter(pk=run.pk).update(
                status=GapRun.Status.DONE, counts=counts, finished_at=timezone.now()
            )
    except Exception as error:  # the run records the failure; the worker keeps running
        logger.exception("Gap check %s failed", run_id)
        GapRun.objects.filter(pk=run_id).update(
            status=GapRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run
