"""应享尽享: the entitlement-gap check of one county and term, kept per run.

Set-based: one query per census day reads every county child's status in effect on it with
each checked programme's rule (subsidies/eligibility.py) as a column, joins it to the net sums
paid under every programme (one grouped scan of the payments), and returns only the children
with a gap: entitled children of poor or identified households paid short, children paid who
were not entitled, children paid under two programmes that exclude each other. Nothing loops
over the county's children in Python; only the gaps found are turned into rows.
"""

import logging
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.jobs import failure_message
from enrollment.models import Child, HelpPairing, School
from enrollment.permissions import require_county_role

from ..eligibility import (
    CHANGE,
    ENTITLED_STATUSES,
    as_of_day,
    entitled_amount_expression,
    latest_changes,
    needy_q,
)
from ..models import Gap, GapRun, Payment, Programme, parse_period
from ..roles import GAP_CHECK_ROLES

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


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


def _situations(county_children, day, year: int, checks: dict):
    """Each county child's status in effect on `day` (the child, the status change and its
    date, status and school), whether the child is `needy` (of a poor or identified household),
    and per checked programme `due_<pk>`: the standard due when the child is entitled to it,
    NULL when not. `checks` maps programme pk → (programme, payment period)."""
    columns = {
        f"due_{pk}": entitled_amount_expression(programme, payment_period)
        for pk, (programme, payment_period) in checks.items()
    }
    return (
        latest_changes(day, county_children)
        .order_by()
        .values(
            s_child=F("child_id"),
            s_change=F("pk"),
            s_date=F("effective_date"),
            s_status=F("c_status"),
            s_school=F("c_school_id"),
            needy=Case(
                When(needy_q(year, CHANGE), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            **columns,
        )
    )


def _paid_sums(county_children, paid: dict):
    """Net amount paid (paid batches, corrections included) to each county child, `paid_<pk>`
    per programme pk → (programme, payment period) of `paid`; children paid nothing under any
    of them are left out."""
    wanted = Q(pk__in=[])
    for programme, payment_period in paid.values():
        wanted |= Q(programme_id=programme.pk, period=payment_period)
    return (
        Payment.objects.paid()
        .filter(wanted, child__in=county_children.values("pk"))
        .order_by()
        .values(p_child=F("child_id"))
        .annotate(
            **{
                f"paid_{pk}": Sum("amount", filter=Q(programme_id=pk, period=payment_period))
                for pk, (_programme, payment_period) in paid.items()
            }
        )
    )


def _gap_candidates(situations, paid_sums, conditions: list[str]) -> list[dict]:
    """The rows of the children's situations joined (full outer: paid children without a status
    on the day are kept) to their paid sums, only those meeting one of `conditions` (SQL over
    the columns of both). Both sides are built by the ORM from the eligibility rules; the join
    is written out because a join to an aggregate is not something the ORM expresses, and a
    correlated sum per child and programme is what made the check slow."""
    situations_sql, situations_params = situations.query.sql_with_params()
    paid_sql, paid_params = paid_sums.query.sql_with_params()
    # The situations are materialised so that each rule is evaluated once per child, not
    # once per condition that reads it.
    sql = (
        f"WITH s AS MATERIALIZED ({situations_sql}) "
        f"SELECT * FROM s FULL OUTER JOIN ({paid_sql}) p "
        f"ON p.p_child = s.s_child WHERE {' OR '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*situations_params, *paid_params))
        # description entries are 7-item sequences (PEP 249); SQLite's are plain tuples.
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def find_gaps(county, period: str) -> list[Gap]:
    """The gaps of the county in the term `period` (unsaved), in the order of the checked
    programmes: for each, entitled children paid short (latest status change first), then
    children paid though not entitled (those with a status, then those without); then children
    paid under two programmes that exclude each other, pair by pair.

    One query per census day: every county child's situation with every programme's rule as
    columns, joined to the paid sums of every programme, returning only the rows with a gap."""
    year = int(period[:4])
    county_children = Child.objects.filter(village__township__county=county)
    township_of_school = dict(
        School.objects.filter(township__county=county).values_list("pk", "township_id")
    )
    programmes = checked_programmes(period)
    by_pk = {programme.pk: programme for programme in programmes}
    position_of = {programme.pk: position for position, programme in enumerate(programmes)}
    pairs = sorted(
        {
            tuple(sorted((programme.pk, other.pk)))
            for programme in programmes
            for other in programme.excludes.all()
            if other.pk in by_pk
        }
    )
    term_day = as_of_day(period)
    days: dict = {}
    for programme in programmes:
        days.setdefault(as_of_day(programme.period_of(period)), []).append(programme)
    if pairs:
        days.setdefault(term_day, [])
    found = []  # (sort key, gap fields)
    for day, checked in days.items():
        checks = {programme.pk: (programme, programme.period_of(period)) for programme in checked}
        paid = dict(checks)
        day_pairs = pairs if day == term_day else []
        for pair in day_pairs:
            for pk in pair:
                paid[pk] = (by_pk[pk], by_pk[pk].period_of(period))
        conditions = []
        for pk in checks:
            # Entitled and needy, paid short; or paid though not entitled (or no status).
            conditions.append(f"(s.needy AND COALESCE(p.paid_{pk}, 0) < s.due_{pk})")
            conditions.append(f"(p.paid_{pk} > 0 AND s.due_{pk} IS NULL)")
        for first_pk, second_pk in day_pairs:
            conditions.append(f"(p.paid_{first_pk} > 0 AND p.paid_{second_pk} > 0)")
        if not conditions:
            continue
        rows = _gap_candidates(
            _situations(county_children, day, year, checks),
            _paid_sums(county_children, paid),
            conditions,
        )
        for row in rows:
            child_id = row["s_child"] or row["p_child"]
            latest_first = (
                (-row["s_date"].toordinal(), -row["s_change"]) if row["s_child"] else None
            )
            for pk, (programme, payment_period) in checks.items():
                due, paid_amount = row[f"due_{pk}"], row[f"paid_{pk}"] or ZERO
                position = position_of[pk]
                if due is not None and row["needy"] and paid_amount < due:
                    kind = Gap.Kind.MISSING if paid_amount <= 0 else Gap.Kind.SHORT
                    key = (position, 0, latest_first)
                    expected = due
                elif paid_amount > 0 and due is None:
                    enrolled = row["s_status"] in ENTITLED_STATUSES
                    kind = Gap.Kind.INELIGIBLE if enrolled else Gap.Kind.NOT_ENROLLED
                    key = (position, 1, latest_first) if latest_first else (position, 2, child_id)
                    expected = ZERO
                else:
                    continue
                found.append(
                    (
                        key,
                        kind,
                        child_id,
                        row["s_school"],
                        programme,
                        None,
                        payment_period,
                        expected,
                        paid_amount,
                    )
                )
            for index, (first_pk, second_pk) in enumerate(day_pairs):
                first_paid = row[f"paid_{first_pk}"] or ZERO
                second_paid = row[f"paid_{second_pk}"] or ZERO
                if first_paid > 0 and second_paid > 0:
                    first = by_pk[first_pk]
                    found.append(
                        (
                            (len(programmes) + index, 2, child_id),
                            Gap.Kind.DUPLICATE,
                            child_id,
                            row["s_school"],
                            first,
                            by_pk[second_pk],
                            first.period_of(period),
                            ZERO,
                            first_paid + second_paid,
                        )
                    )
    if not found:
        return []
    # The children's home township, who is responsible for them, and their place in the
    # children's order (which sorts those without a status), read once for the gaps found.
    children = {}
    for rank, (pk, home_township, responsible) in enumerate(
        Child.objects.filter(pk__in={item[2] for item in found})
        .annotate(responsible=_responsible())
        .values_list("pk", "village__township_id", "responsible")
    ):
        children[pk] = (rank, home_township, responsible)

    def order(item):
        position, section, within = item[0]
        return (position, section, children[within][0] if section == 2 else within)

    gaps = []
    for (
        _key,
        kind,
        child_id,
        school_id,
        programme,
        other,
        payment_period,
        expected,
        paid_amount,
    ) in sorted(found, key=order):
        _rank, home_township, responsible = children[child_id]
        gaps.append(
            Gap(
                kind=kind,
                child_id=child_id,
                school_id=school_id,
                township_id=township_of_school.get(school_id, home_township),
                programme=programme,
                other_programme=other,
                period=payment_period,
                expected_amount=expected,
                paid_amount=paid_amount,
                responsible=responsible,
            )
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
        GapRun.objects.filter(pk=run_id).update(
            status=GapRun.Status.FAILED,
            error=failure_message(error, logger=logger, job=f"{_('Entitlement check')} #{run_id}"),
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run
