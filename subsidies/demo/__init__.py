"""Demo data of the subsidies module: three school years of batches and payments built from the
eligibility rules, with a few deliberate errors the entitlement check must find (children left
out, short payments, meals paid for children who had dropped out, one child paid although not
eligible, duplicates across mutually exclusive programmes), a corrected error (a reversal) it
must not find, identifications of economic difficulty, the relief fund's history and donations.

The regular payments are written in bulk (COPY on PostgreSQL, bulk_create elsewhere); the
deliberate errors and the fund go through the services, so they obey the rules of real use.
"""

import datetime
import random
import time
from collections import defaultdict

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from core.bulk_copy import copy_insert
from enrollment.models import Child, EnrollmentStatus, PovertyStatus, School
from enrollment.services import change_status

from ..eligibility import (
    ENTITLED_STATUSES,
    as_of_day,
    eligible_children,
    entitled_amount_expression,
    latest_changes,
)
from ..models import (
    Batch,
    DifficultyIdentification,
    DifficultyLevel,
    Method,
    Payment,
    Programme,
    census_date,
    terms_of_year,
)
from ..services import batches as batch_services
from ..services import gaps as gap_services
from ..services import identification as identification_services
from ..services.batches import DEFAULT_METHOD
from ..services.identification import pre_identified_level
from .fund import _fund_and_donations
from .yearend import load_yearend_demo

# What the last demo load deliberately got wrong, per county id: [(kind, child_id, code, period)].
DEMO_MANIFEST: dict[int, list[tuple]] = {}
I = DifficultyIdentification  # noqa: E741


def demo_years(today: datetime.date) -> list[int]:
    """The three school years before the current one (all their terms are past)."""
    current = today.year if today.month >= 9 else today.year - 1
    return [current - 3, current - 2, current - 1]


def paid_on_for(period: str) -> datetime.date:
    year, term = int(period[:4]), int(period[5])
    return datetime.date(year, 11, 15) if term == 1 else datetime.date(year + 1, 4, 15)


def load_subsidies_demo(county, users, scale=None) -> str:
    if Batch.objects.filter(county=county).exists():
        return "subsidies demo already present"
    started = time.monotonic()
    today = timezone.localdate()
    bureau = users["bureau"]
    rng = random.Random(2026)
    years = demo_years(today)
    with transaction.atomic():
        identified = _identifications(county, years + [years[-1] + 1], rng, bureau)
    with transaction.atomic():
        payments, batches = _regular_payments(county, years, bureau)
    elapsed_bulk = time.monotonic() - started
    with transaction.atomic():
        manifest = _deliberate_errors(county, users, years, rng)
        DEMO_MANIFEST[county.pk] = manifest
    with transaction.atomic():
        fund_text = _fund_and_donations(county, bureau, today, rng)
    with transaction.atomic():
        _current_year_workflow(county, users, years[-1] + 1)
    with transaction.atomic():
        yearend_text = load_yearend_demo(county, users, today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subsidies_payment")
    last_term = terms_of_year(years[-1])[-1]
    run = _gap_run(county, bureau, last_term)
    return (
        f"subsidies: {identified} identifications, {batches} batches, {payments} payments over "
        f"school years {years[0]}–{years[-1] + 1} in {elapsed_bulk:.1f} s; "
        f"{len(manifest)} deliberate errors; gap check {last_term}: {run.counts.get('total', 0)}"
        f" gaps; {fund_text}; {yearend_text}"
    )


# --- identifications ---------------------------------------------------------------------------


def _identifications(county, years, rng, actor) -> int:
    """Filed identifications per school year: every pupil whom household data identify, and about
    a fifth of the other pupils on application (general difficulty mostly)."""
    pupils = list(
        Child.objects.filter(
            village__township__county=county,
            current_school__isnull=False,
            status__in=ENTITLED_STATUSES,
        ).values("pk", "current_school_id", "household__poverty_status", "is_orphan", "is_disabled")
    )
    rows = []
    for year in years[:-1]:
        for pupil in pupils:
            level, basis = pre_identified_level(
                pupil["household__poverty_status"],
                is_orphan=pupil["is_orphan"],
                is_disabled=pupil["is_disabled"],
            )
            source = I.Source.HOUSEHOLD_DATA
            if level is None:
                if rng.random() >= 0.2:
                    continue
                level = rng.choices(
                    [DifficultyLevel.GENERAL, DifficultyLevel.DIFFICULT, DifficultyLevel.SPECIAL],
                    weights=[60, 30, 10],
                )[0]
                basis, source = (
                    "家庭人口多、收入低（学生本人申请，班级民主评议）",
                    I.Source.APPLICATION,
                )
            rows.append(
                {
                    "child_id": pupil["pk"],
                    "school_id": pupil["current_school_id"],
                    "school_year": year,
                    "source": source,
                    "basis": basis,
                    "applied_level": level,
                    "level": level,
                    "status": I.Status.FILED,
                    "decided_by_id": actor.pk,
                    "notice_from": datetime.date(year, 9, 20),
                    "notice_until": datetime.date(year, 9, 26),
                    "filed_on": datetime.date(year, 9, 30),
                }
            )
    # No history rows, as the services' own bulk pre-identification leaves none.
    copy_insert(I, rows, return_ids=False, write_history=False)
    return len(rows)


# --- the regular payments ----------------------------------------------------------------------


PAYMENT_COLUMNS = (
    "batch_id",
    "child_id",
    "programme_id",
    "period",
    "school_year",
    "school_id",
    "township_id",
    "stage",
    "kind",
    "amount",
    "standard_amount",
    "method",
    "paid_on",
    "reason",
    "recorded_by_id",
    "recorded_at",
)


def _regular_payments(county, years, actor) -> tuple[int, int]:
    """Every entitled child paid in full, one paid batch per programme, term and school."""
    township_of = dict(
        School.objects.filter(township__county=county).values_list("pk", "township_id")
    )
    children = Child.objects.filter(village__township__county=county)
    now = timezone.now()
    lines_by_batch: dict[tuple, list] = defaultdict(list)
    for year in years:
        for term in terms_of_year(year):
            paid = [
                (programme, programme.period_of(term))
                for programme in gap_services.checked_programmes(term)
                # A year programme is paid once, with the autumn lists.
                if programme.period_of(term) == term or not term.endswith("-2")
            ]
            for programme, period, rows in _entitled_by_programme(paid, children):
                for child_id, school_id, stage, amount in rows:
                    lines_by_batch[(programme.pk, period, school_id)].append(
                        (child_id, stage, amount)
                    )
    programmes = {programme.pk: programme for programme in Programme.objects.all()}
    batches = []
    for programme_id, period, school_id in lines_by_batch:
        programme = programmes[programme_id]
        paid_on = paid_on_for(period if "-" in period else f"{period}-1")
        batches.append(
            Batch(
                county=county,
                school_id=school_id,
                programme=programme,
                period=period,
                status=Batch.Status.PAID,
                method=DEFAULT_METHOD.get(programme.paid_to, Method.BANK_CARD),
                created_by=actor,
                reviewed_by=actor,
                approved_by=actor,
                approved_at=now,
                paid_on=paid_on,
            )
        )
    Batch.objects.bulk_create(batches, batch_size=2000)
    if not batches[0].pk:  # a backend that does not return keys from bulk inserts
        saved = Batch.objects.filter(county=county).values_list(
            "programme_id", "period", "school_id", "pk"
        )
        ids = {(p, period, s): pk for p, period, s, pk in saved}
    else:
        ids = {(b.programme_id, b.period, b.school_id): b.pk for b in batches}

    def rows():
        for key, lines in lines_by_batch.items():
            batch_id = ids[key]
            programme_id, period, school_id = key
            method = DEFAULT_METHOD.get(programmes[programme_id].paid_to, Method.BANK_CARD)
            paid_on = paid_on_for(period if "-" in period else f"{period}-1")
            for child_id, stage, amount in lines:
                yield (
                    batch_id,
                    child_id,
                    programme_id,
                    period,
                    int(period[:4]),
                    school_id,
                    township_of[school_id],
                    stage,
                    Payment.Kind.PAYMENT,
                    amount,
                    amount,
                    method,
                    paid_on,
                    "",
                    actor.pk,
                    now,
                )

    count = _insert_payments(rows())
    return count, len(batches)


def _entitled_by_programme(paid: list[tuple], children):
    """For each (programme, period), in order: its entitled children as `eligible_children`
    lists them (same rows, same order). The statuses in effect on a census day are read once
    for all the programmes of that day, each programme's rule a column of the same query,
    instead of once per programme: the read over the whole county's history is what costs."""
    by_day: dict = defaultdict(list)
    for programme, period in paid:
        by_day[as_of_day(period)].append((programme, period))
    entitled = {}
    for day, programmes in by_day.items():
        amounts = {
            f"amount_{index}": entitled_amount_expression(programme, period)
            for index, (programme, period) in enumerate(programmes)
        }
        rows = list(
            latest_changes(day, children)
            .filter(c_status__in=ENTITLED_STATUSES)  # every rule's first condition
            .annotate(**amounts)
            .values_list("child_id", "c_school_id", "c_stage", *amounts)
            .iterator(chunk_size=5000)
        )
        for index, (programme, period) in enumerate(programmes):
            entitled[(programme.pk, period)] = [
                (child_id, school_id, stage, row[3 + index])
                for row in rows
                if row[3 + index] is not None
                for child_id, school_id, stage in [row[:3]]
            ]
    for programme, period in paid:
        yield programme, period, entitled.pop((programme.pk, period))


def _insert_payments(rows, chunk_size: int = 50_000) -> int:
    """COPY on PostgreSQL (bulk_create elsewhere), a chunk at a time to bound the memory; no
    history rows, as the services' bulk lists leave none."""
    count, chunk = 0, []
    for row in rows:
        chunk.append(dict(zip(PAYMENT_COLUMNS, row, strict=True)))
        if len(chunk) >= chunk_size:
            copy_insert(Payment, chunk, return_ids=False, write_history=False)
            count, chunk = count + len(chunk), []
    copy_insert(Payment, chunk, return_ids=False, write_history=False)
    return count + len(chunk)


# --- the deliberate errors ---------------------------------------------------------------------


def _remove_lines(lines) -> list:
    """Take lines out of their (paid) batches: what the loader 'forgot' to pay."""
    removed = [(line.child_id, line.programme.code, line.period) for line in lines]
    Payment.objects.filter(pk__in=[line.pk for line in lines]).delete()
    return removed


def _paid_correction(users, code, period, rows, *, school=None, county):
    bureau = users["bureau"]
    batch = batch_services.create_batch(
        actor=bureau,
        county=county,
        programme=Programme.objects.get(code=code),
        period=period,
        school=school,
        title="补充名单",
    )
    result = batch_services.add_payments(actor=bureau, batch=batch, rows=rows)
    if result.errors:
        raise RuntimeError(f"demo rows refused: {result.errors}")
    batch_services.review_batch(actor=bureau, batch=batch)
    batch_services.approve_batch(actor=bureau, batch=batch)
    batch_services.mark_paid(
        actor=bureau, batch=batch, paid_on=paid_on_for(period if "-" in period else f"{period}-1")
    )
    return batch


def _deliberate_errors(county, users, years, rng) -> list[tuple]:
    manifest = []
    last_year = years[-1]
    autumn, spring = terms_of_year(last_year)
    county_payments = Payment.objects.filter(township__county=county, kind=Payment.Kind.PAYMENT)

    # 1. Three children left out of the spring boarding allowance, two of the exercise books.
    for code, count in (("boarding-living-allowance", 3), ("exercise-books", 2)):
        lines = list(
            county_payments.filter(programme__code=code, period=spring)
            .select_related("programme")
            .order_by("child_id")[5 : 5 + count]
        )
        manifest += [("missing", *line) for line in _remove_lines(lines)]

    # 2. Two boarders paid half the allowance in the autumn term (a school's typing error).
    short = list(
        county_payments.filter(
            programme__code="boarding-living-allowance", period=autumn, amount__gte=500
        ).order_by("-child_id")[:2]
    )
    for line in short:
        Payment.objects.filter(pk=line.pk).update(amount=line.amount / 2)
        manifest.append(("short", line.child_id, "boarding-living-allowance", autumn))

    # 3. Nutrition paid in spring for children who had dropped out before its census day (the
    # canteen kept the autumn list). Dropouts of the registry first; one more if there is none.
    spring_census = census_date(spring)
    # Not those the regular spring list already feeds: paying them again would be refused.
    fed_in_spring = county_payments.filter(programme__code="nutrition", period=spring)
    fed_in_autumn = county_payments.filter(programme__code="nutrition", period=autumn).exclude(
        child_id__in=fed_in_spring.values("child_id")
    )
    dropped = list(
        Child.objects.filter(
            village__township__county=county,
            status=EnrollmentStatus.DROPPED_OUT,
            status_since__lt=spring_census,
            status_since__gt=census_date(autumn),
            pk__in=fed_in_autumn.values("child_id"),
        ).order_by("pk")[:2]
    )
    if not dropped:
        pupil = (
            Child.objects.filter(
                pk__in=fed_in_autumn.values("child_id"),
                status=EnrollmentStatus.IN_SCHOOL,
                status_since__lt=datetime.date(last_year, 12, 1),
            )
            .order_by("pk")
            .first()
        )
        if pupil is not None:
            change_status(
                actor=users["bureau"],
                child=pupil,
                status=EnrollmentStatus.DROPPED_OUT,
                effective_date=datetime.date(last_year, 12, 15),
                reason="连续缺课超过30天，外出务工",
            )
            dropped = [pupil]
    if dropped:
        _paid_correction(
            users,
            "nutrition",
            spring,
            [{"child": child.pk, "reason": "食堂按上学期名单供餐"} for child in dropped],
            county=county,
        )
        manifest += [("not_enrolled", child.pk, "nutrition", spring) for child in dropped]

    # 4. A non-poor boarder paid the allowance on a teacher's word (recorded reason, still wrong).
    paid_allowance = county_payments.filter(
        programme__code="boarding-living-allowance", period=autumn
    ).values("child_id")
    candidate = (
        eligible_children(
            Programme.objects.get(code="nutrition"),
            autumn,
            Child.objects.filter(village__township__county=county).exclude(pk__in=paid_allowance),
        )
        .filter(c_boarder=True, child__household__poverty_status=PovertyStatus.NONE)
        .exclude(child__is_orphan=True)
        .exclude(child__is_disabled=True)
        .exclude(
            child_id__in=I.objects.filter(school_year=last_year, status=I.Status.FILED).values(
                "child_id"
            )
        )
        .values_list("child_id", "c_school_id")
        .order_by("child_id")
        .first()
    )
    if candidate:
        _paid_correction(
            users,
            "boarding-living-allowance",
            autumn,
            [{"child": candidate[0], "reason": "班主任反映家庭困难，未经认定"}],
            school=School.objects.get(pk=candidate[1]),
            county=county,
        )
        manifest.append(("ineligible", candidate[0], "boarding-living-allowance", autumn))

    # 5. Senior pupils paid the vocational grant on top of the senior grant: each is a duplicate
    # across exclusive programmes and, being no vocational pupil, an ineligible payment. A third
    # such payment was reversed (and the reversal paid): corrected, so not found.
    seniors = list(
        county_payments.filter(programme__code="senior-grant", period=autumn)
        .order_by("child_id")
        .values_list("child_id", flat=True)[:3]
    )
    if seniors:
        batch = _paid_correction(
            users,
            "vocational-grant",
            autumn,
            [{"child": pk, "reason": "误按中职学生申报"} for pk in seniors],
            county=county,
        )
        for pk in seniors[:2]:
            manifest.append(("duplicate", pk, "senior-grant", autumn))
            manifest.append(("ineligible", pk, "vocational-grant", autumn))
        if len(seniors) == 3:
            line = batch.payments.get(child_id=seniors[2])
            reversal = batch_services.reverse_payment(
                actor=users["bureau"], payment=line, reason="重复资助，已追回"
            )
            correction = reversal.batch
            batch_services.review_batch(actor=users["bureau"], batch=correction)
            batch_services.approve_batch(actor=users["bureau"], batch=correction)
            batch_services.mark_paid(
                actor=users["bureau"], batch=correction, paid_on=datetime.date(last_year + 1, 1, 10)
            )
    return manifest


# --- the fund and donations --------------------------------------------------------------------


def _current_year_workflow(county, users, year):
    """The current year's identification under way at school1: pre-identified pupils, three
    applications, two decided, none filed yet."""
    school_user = users.get("school1")
    if school_user is None:
        return
    school = School.objects.for_user(school_user).first()
    identification_services.pre_identify(actor=school_user, school=school, school_year=year)
    others = list(
        Child.objects.filter(current_school=school, status=EnrollmentStatus.IN_SCHOOL)
        .exclude(pk__in=I.objects.filter(school_year=year).values("child_id"))
        .order_by("pk")[:3]
    )
    for number, child in enumerate(others):
        item = identification_services.apply(
            actor=school_user,
            child=child,
            school_year=year,
            applied_level=DifficultyLevel.GENERAL,
            basis="父母务工收入不稳定，家中有老人长期患病",
        )
        if number < 2:
            identification_services.decide(
                actor=school_user, identification=item, level=DifficultyLevel.GENERAL
            )


def _gap_run(county, actor, period):
    from ..models import GapRun

    run = GapRun.objects.create(county=county, period=period, started_by=actor)
    run = gap_services.run_gap_check(run.pk)
    if run.status != GapRun.Status.DONE:
        # The demo must not claim "0 gaps" over a check that never ran.
        raise CommandError(f"gap check {period} failed: {run.error}")
    return run
