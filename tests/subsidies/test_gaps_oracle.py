"""The set-based entitlement check against a plain per-child reading of the rules.

`find_gaps` evaluates every programme's rule for the whole county in one SQL query. Here the
same rules are written out in Python, child by child, over a varied data set (every poverty
category, disabled and orphaned children, identifications of every level and state, boarders
and day pupils of every stage, rural and town schools, a school outside the county, dropouts
and transfers before and after the census days, children with no status at all, payments
short, in full, above the standard, reversed, supplemented, unpaid batches, and payments
under programmes that exclude each other). The check must find exactly the gaps this reading
finds, in the same order, and `situation_of` (the per-child SQL path) must agree with it on
every child and programme: a rule changed on one side only fails here.

The reading below imports nothing of the code it checks (`subsidies.eligibility`,
`subsidies.services.gaps`, the programme's own methods): the entitled statuses, the
pre-identifying poverty categories, the census day, the payment period, the standard amount,
the reduced rate and which programmes are checked are written out again from the rules, in
plain Python over the rows. Only `find_gaps` and `situation_of`, the code under test, are called.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from enrollment.models import (
    Child,
    EnrollmentStatus,
    EnrollmentStatusChange,
    HelpPairing,
    PovertyStatus,
    School,
)
from subsidies.eligibility import situation_of
from subsidies.models import Batch, DifficultyIdentification, Gap, Payment, Programme
from subsidies.services.gaps import find_gaps
from tests.factories import (
    ChildFactory,
    HouseholdFactory,
    SchoolFactory,
    TownshipFactory,
    VillageFactory,
)

from .conftest import AUTUMN, SPRING, YEAR, ensure_catalogue

ZERO = Decimal("0.00")
NEEDY_LEVELS = {"special", "difficult", "general"}
# A child counts as in school for a subsidy in these statuses (in school, special school,
# home-delivered education), and these household categories pre-identify it as needy
# (the three registered-poor registers, low income, destitute).
ENTITLED = {
    EnrollmentStatus.IN_SCHOOL,
    EnrollmentStatus.SPECIAL_SCHOOL,
    EnrollmentStatus.HOME_DELIVERED,
}
PRE_IDENTIFYING = {
    PovertyStatus.REGISTERED_POOR,
    PovertyStatus.LIFTED,
    PovertyStatus.MONITORED,
    PovertyStatus.LOW_INCOME,
    PovertyStatus.DESTITUTE,
}


# --- periods and programme terms, read from the rows ---------------------------------------------


def bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """A school year "2025" runs 1 Sept–31 Aug; its autumn term "2025-1" to 31 Jan, its spring
    term "2025-2" from 1 Feb."""
    year = int(period[:4])
    if len(period) == 4:
        return datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
    if period[5] == "1":
        return datetime.date(year, 9, 1), datetime.date(year + 1, 1, 31)
    return datetime.date(year + 1, 2, 1), datetime.date(year + 1, 8, 31)


def census_day(period: str) -> datetime.date:
    """The status on the period's census day decides (or today's, while that day is ahead)."""
    day = bounds(period)[0] + datetime.timedelta(days=settings.SUBSIDY_CENSUS_OFFSET_DAYS)
    return min(day, timezone.localdate())


def payment_period(programme, period: str) -> str:
    return period[:4] if programme.unit == "year" else period


def standard(programme, stage: str) -> Decimal:
    amount = Decimal(str(programme.stage_amounts.get(stage, programme.standard_amount)))
    if programme.unit == "day":
        amount *= programme.days_per_term
    return amount.quantize(Decimal("0.01"))


def reduced_rate(programme, amount: Decimal) -> Decimal:
    return (amount * programme.reduced_rate_percent / 100).quantize(Decimal("0.01"))


def checked_programmes(period: str) -> list:
    """Per-child programmes marked for the check and in force during the period."""
    start, end = bounds(period)
    return [
        programme
        for programme in Programme.objects.order_by("report_order", "pk")
        if programme.per_child
        and programme.checked_for_gaps
        and programme.active_from <= end
        and (programme.active_until is None or programme.active_until >= start)
    ]


# --- the rules, read child by child -------------------------------------------------------------


def latest_change(changes, day):
    effective = [change for change in changes if change.effective_date <= day]
    return max(effective, key=lambda change: (change.effective_date, change.pk), default=None)


def stage_of(change) -> str:
    school_stage = change.school.stage if change.school else None
    if school_stage == School.Stage.PRESCHOOL:
        return "preschool"
    if school_stage == School.Stage.VOCATIONAL:
        return "vocational"
    grade = change.grade
    for low, high, stage in ((1, 6, "primary"), (7, 9, "junior"), (10, 12, "senior")):
        if grade is not None and low <= grade <= high:
            return stage
    return ""


def entitlement(programme: Programme, child, change, filed_level):
    """(entitled, expected amount) of `child` whose status on the census day is `change`."""
    if change is None or change.status not in ENTITLED:
        return False, None
    stage = stage_of(change)
    if stage not in programme.stages:
        return False, None
    if programme.rural_only and not (change.school and change.school.is_rural):
        return False, None
    poverty = child.household.poverty_status
    targeted = programme.all_pupils or (
        poverty in programme.poverty_categories
        or (programme.includes_disabled and child.is_disabled)
        or (programme.includes_orphan and child.is_orphan)
        or filed_level in programme.difficulty_levels
    )
    reduced = poverty in programme.reduced_rate_categories or (
        programme.reduced_rate_disabled and child.is_disabled
    )
    full = standard(programme, stage)
    if programme.boarding == Programme.Boarding.BOARDERS:
        return (True, full) if change.is_boarder and targeted else (False, None)
    if programme.boarding == Programme.Boarding.BOARDERS_FULL_OTHERS_REDUCED:
        if change.is_boarder:
            return (True, full) if targeted else (False, None)
        return (True, reduced_rate(programme, full)) if reduced else (False, None)
    return (True, full) if targeted else (False, None)


def needy(child, filed_level) -> bool:
    return (
        child.household.poverty_status in PRE_IDENTIFYING
        or child.is_orphan
        or child.is_disabled
        or filed_level in NEEDY_LEVELS
    )


def reference_gaps(county, period):
    """The gaps as the rules say, in the check's order: per programme, entitled children paid
    short (latest status change first), paid children not entitled (with a status, latest
    first; then those without one, in the children's order); then duplicates pair by pair."""
    year = int(period[:4])
    programmes = checked_programmes(period)
    children = list(
        Child.objects.filter(village__township__county=county).select_related(
            "household", "village"
        )
    )
    rank = {child.pk: index for index, child in enumerate(children)}  # the children's order
    changes = {}
    for change in EnrollmentStatusChange.objects.select_related("school__township"):
        changes.setdefault(change.child_id, []).append(change)
    filed = {
        identification.child_id: identification.level
        for identification in DifficultyIdentification.objects.filter(
            school_year=year, status=DifficultyIdentification.Status.FILED
        )
    }
    paid = {}
    for line in Payment.objects.filter(batch__status=Batch.Status.PAID):
        key = (line.child_id, line.programme_id, line.period)
        paid[key] = paid.get(key, ZERO) + line.amount
    responsible = {}
    for pairing in HelpPairing.objects.filter(end_date__isnull=True):
        responsible[pairing.child_id] = pairing.partner_name

    def place(child, change):
        school = change.school if change else None
        if school is not None and school.township.county_id == county.pk:
            return (school.pk, school.township_id)
        return (school.pk if school else None, child.village.township_id)

    found = []
    for position, programme in enumerate(programmes):
        paid_for = payment_period(programme, period)
        day = census_day(paid_for)
        for child in children:
            change = latest_change(changes.get(child.pk, []), day)
            level = filed.get(child.pk)
            entitled, expected = entitlement(programme, child, change, level)
            amount = paid.get((child.pk, programme.pk, paid_for), ZERO)
            latest_first = (-change.effective_date.toordinal(), -change.pk) if change else None
            if entitled and needy(child, level) and amount < expected:
                kind = Gap.Kind.MISSING if amount <= 0 else Gap.Kind.SHORT
                key = (position, 0, latest_first)
            elif amount > 0 and not entitled:
                enrolled = change is not None and change.status in ENTITLED
                kind = Gap.Kind.INELIGIBLE if enrolled else Gap.Kind.NOT_ENROLLED
                key = (position, 1, latest_first) if change else (position, 2, rank[child.pk])
                expected = ZERO
            else:
                continue
            school_id, township_id = place(child, change)
            row = (kind, child.pk, school_id, township_id, programme.pk, None, paid_for)
            found.append((key, (*row, expected, amount, responsible.get(child.pk, ""))))
    by_pk = {programme.pk: programme for programme in programmes}
    pairs = sorted(
        {
            tuple(sorted((programme.pk, other.pk)))
            for programme in programmes
            for other in programme.excludes.order_by("pk")
            if other.pk in by_pk
        }
    )
    for index, (first_pk, second_pk) in enumerate(pairs):
        first, second = by_pk[first_pk], by_pk[second_pk]
        for child in children:
            first_paid = paid.get((child.pk, first.pk, payment_period(first, period)), ZERO)
            second_paid = paid.get((child.pk, second.pk, payment_period(second, period)), ZERO)
            if first_paid > 0 and second_paid > 0:
                change = latest_change(changes.get(child.pk, []), census_day(period))
                school_id, township_id = place(child, change)
                row = (Gap.Kind.DUPLICATE, child.pk, school_id, township_id, first.pk, second.pk)
                found.append(
                    (
                        (len(programmes) + index, 2, rank[child.pk]),
                        (
                            *row,
                            payment_period(first, period),
                            ZERO,
                            first_paid + second_paid,
                            responsible.get(child.pk, ""),
                        ),
                    )
                )
    return [row for _key, row in sorted(found, key=lambda item: item[0])]


def as_rows(found):
    return [
        (
            gap.kind,
            gap.child_id,
            gap.school_id,
            gap.township_id,
            gap.programme.pk,
            gap.other_programme.pk if gap.other_programme else None,
            gap.period,
            gap.expected_amount,
            gap.paid_amount,
            gap.responsible,
        )
        for gap in found
    ]


# --- a varied county ------------------------------------------------------------------------------


@pytest.fixture
def varied(world):
    ensure_catalogue()
    w = world
    draw = random.Random(20251)
    outside = SchoolFactory(township=TownshipFactory(), stage=School.Stage.JUNIOR)  # another county
    schools = [
        w.school1,
        w.school2,
        SchoolFactory(township=w.township1, stage=School.Stage.PRESCHOOL, is_rural=False),
        SchoolFactory(township=w.township2, stage=School.Stage.JUNIOR, is_boarding=True),
        SchoolFactory(township=w.township1, stage=School.Stage.NINE_YEAR, is_rural=False),
        SchoolFactory(township=w.township2, stage=School.Stage.SENIOR, is_rural=False),
        SchoolFactory(township=w.township1, stage=School.Stage.VOCATIONAL),
        SchoolFactory(township=w.township2, stage=School.Stage.SPECIAL),
        outside,
    ]
    villages = [w.village1, w.village1b, w.village2, VillageFactory(township=w.township2)]
    # Most households not poor, as in a county: the children's flags and identifications
    # then decide who is needy.
    households = [
        HouseholdFactory(village=draw.choice(villages), poverty_status=status)
        for status in [*PovertyStatus.values, *PovertyStatus.values, *[PovertyStatus.NONE] * 16]
    ]
    census_autumn, census_spring = census_day(AUTUMN), census_day(SPRING)
    moments = [
        census_autumn - datetime.timedelta(days=5),
        census_autumn,  # on the census day itself
        census_autumn + datetime.timedelta(days=1),
        census_spring,
        census_spring + datetime.timedelta(days=7),
    ]
    statuses = [*EnrollmentStatus.values, *sorted(ENTITLED), *sorted(ENTITLED)]
    children = []
    for number in range(70):
        household = draw.choice(households)
        child = ChildFactory(
            household=household,
            village=household.village,
            name=f"测试{number:02d}",
            is_disabled=draw.random() < 0.2,
            is_orphan=draw.random() < 0.2,
        )
        children.append(child)
        if number % 17 == 5:  # no status at all
            EnrollmentStatusChange.objects.filter(child=child).delete()
            continue
        start = datetime.date(YEAR, 9, 1)
        for moment in [start, *draw.sample(moments, draw.randint(0, 3))]:
            school = draw.choice([*schools, None]) if draw.random() < 0.95 else None
            for _same_day in range(2 if draw.random() < 0.1 else 1):  # ties broken by pk
                EnrollmentStatusChange.objects.create(
                    child=child,
                    status=EnrollmentStatus.IN_SCHOOL if moment == start else draw.choice(statuses),
                    effective_date=moment,
                    school=school,
                    grade=draw.choice([None, *range(1, 13)]),
                    is_boarder=draw.random() < 0.4,
                    reason="测试",
                )
        if draw.random() < 0.45:
            DifficultyIdentification.objects.create(
                child=child,
                school=w.school1,
                school_year=YEAR,
                source=DifficultyIdentification.Source.APPLICATION,
                level=draw.choice(["special", "difficult", "general", "none"]),
                status=draw.choice(list(DifficultyIdentification.Status.values) + ["filed"] * 3),
            )
        if draw.random() < 0.3:
            HelpPairing.objects.create(
                child=child,
                partner_name=f"老师{number}",
                partner_kind="teacher",
                plan="每月家访",
                start_date=datetime.date(YEAR, 9, 1),
                end_date=datetime.date(YEAR, 12, 1) if draw.random() < 0.3 else None,
                assigned_by=w.bureau,
            )
    programmes = list(Programme.objects.filter(per_child=True))
    for period in (AUTUMN, SPRING):
        for programme in programmes:
            paid_for = payment_period(programme, period)
            batches = {
                status: Batch.objects.get_or_create(
                    county=w.county,
                    programme=programme,
                    period=paid_for,
                    school=None,
                    title=status,
                    defaults={"status": status, "created_by": w.bureau},
                )[0]
                for status in (Batch.Status.PAID, Batch.Status.APPROVED)
            }
            for child in children:
                if (
                    draw.random() > 0.35
                    or Payment.objects.filter(
                        child=child, programme=programme, period=paid_for, kind="payment"
                    ).exists()
                ):
                    continue
                full = standard(programme, draw.choice(programme.stages or ["primary"]))
                amount = draw.choice(
                    [full, full, reduced_rate(programme, full), full * 2, Decimal("1")]
                )
                line = Payment.objects.create(
                    batch=batches[
                        Batch.Status.PAID if draw.random() < 0.85 else Batch.Status.APPROVED
                    ],
                    child=child,
                    programme=programme,
                    period=paid_for,
                    school_year=YEAR,
                    township=child.village.township,
                    amount=amount,
                    method="bank_card",
                    recorded_by=w.bureau,
                )
                extra = draw.random()
                if extra < 0.12:  # reversed: nets to zero when the reversal is paid
                    Payment.objects.create(
                        batch=draw.choice(list(batches.values())),
                        child=child,
                        programme=programme,
                        period=paid_for,
                        school_year=YEAR,
                        township=child.village.township,
                        amount=-amount,
                        kind=Payment.Kind.REVERSAL,
                        corrects=line,
                        method="bank_card",
                        recorded_by=w.bureau,
                    )
                elif extra < 0.2:
                    Payment.objects.create(
                        batch=batches[Batch.Status.PAID],
                        child=child,
                        programme=programme,
                        period=paid_for,
                        school_year=YEAR,
                        township=child.village.township,
                        amount=Decimal("50.00"),
                        kind=Payment.Kind.SUPPLEMENT,
                        method="bank_card",
                        recorded_by=w.bureau,
                    )
    return w


def test_the_set_based_check_finds_what_the_rules_say_child_by_child(varied):
    w = varied
    kinds = set()
    for period in (AUTUMN, SPRING):
        expected = reference_gaps(w.county, period)
        assert as_rows(find_gaps(w.county, period)) == expected
        kinds |= {row[0] for row in expected}
    # The data set is varied enough to produce every kind of gap.
    assert kinds == set(Gap.Kind.values)


def test_the_per_child_situation_agrees_with_the_rules(varied):
    w = varied
    changes = {}
    for change in EnrollmentStatusChange.objects.select_related("school"):
        changes.setdefault(change.child_id, []).append(change)
    filed = dict(
        DifficultyIdentification.objects.filter(
            school_year=YEAR, status=DifficultyIdentification.Status.FILED
        ).values_list("child_id", "level")
    )
    children = Child.objects.filter(village__township__county=w.county).select_related("household")
    entitled_somewhere = 0
    for programme in checked_programmes(SPRING):
        paid_for = payment_period(programme, SPRING)
        day = census_day(paid_for)
        for child in children:
            change = latest_change(changes.get(child.pk, []), day)
            entitled, expected = entitlement(programme, child, change, filed.get(child.pk))
            situation = situation_of(child, programme, paid_for)
            if change is None:
                assert situation is None or situation["c_status"] is None
                continue
            assert situation["eligible"] is entitled, (programme.code, child.name)
            if entitled:
                entitled_somewhere += 1
                assert situation["expected_amount"] == expected, (programme.code, child.name)
    assert entitled_somewhere > 10


def test_the_check_reads_the_county_in_a_handful_of_queries(varied, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        found = find_gaps(varied.county, SPRING)
    assert found
