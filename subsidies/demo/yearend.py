"""The demo's year-end figures beyond the regular payments, for the previous and the current
calendar year: every school's per-pupil public funds for the terms allocated in them, 本专科 and
县外就读中职 students paid, a 本专科 payment reversed the year after it was paid (it reduces its
own year), and an enterprise and an individual donor in each year."""

import datetime
from decimal import Decimal

from django.db.models import Count, Q

from enrollment.models import EnrollmentStatus, School

from ..eligibility import (
    OUTSIDE_ROLL_STAGES,
    as_of_day,
    eligible_children,
    latest_changes,
    outside_roll_stage,
)
from ..models import Donation, Programme, census_date
from ..services import batches as batch_services
from ..services import fund as fund_services
from ..services.public_funds import save_allocation

STUDENTS_PER_LIST = 3


def load_yearend_demo(county, users, today: datetime.date) -> str:
    bureau = users["bureau"]
    allocations = _public_funds(county, bureau, today)
    paid = _off_roll_payments(county, bureau, today)
    _donors(county, bureau, today)
    return f"{allocations} public funds allocations, {paid} off-roll payments"


def _terms(today: datetime.date) -> list[tuple[str, datetime.date]]:
    """The terms whose funds were allocated in the previous or the current calendar year, with
    the day: a spring term's in March, an autumn term's in September (none in the future)."""
    terms = []
    for year in (today.year - 1, today.year):
        terms += [
            (f"{year - 1}-2", datetime.date(year, 3, 1)),
            (f"{year}-1", datetime.date(year, 9, 10)),
        ]
    return [(term, day) for term, day in terms if day <= today]


def _public_funds(county, bureau, today) -> int:
    schools = {school.pk: school for school in School.objects.filter(township__county=county)}
    created = 0
    for term, day in _terms(today):
        counted = (
            latest_changes(min(census_date(term), today))
            .filter(
                c_school_id__in=list(schools),
                status=EnrollmentStatus.IN_SCHOOL,
                grade__gte=1,
                grade__lte=9,
            )
            .order_by()
            .values("c_school_id")
            .annotate(pupils=Count("pk"))
        )
        for row in counted:
            save_allocation(
                actor=bureau,
                school=schools[row["c_school_id"]],
                period=term,
                pupils=row["pupils"],
                allocated_on=day,
            )
            created += 1
    return created


def _pay(county, bureau, code, period, paid_on, today):
    """A bureau list of the first eligible students, reviewed, approved and paid."""
    programme = Programme.objects.get(code=code)
    ids = list(
        eligible_children(programme, period)
        .filter(child__village__township__county=county)
        # 本专科 and 县外中职 lists from the two ends: no student is on both.
        .order_by("child_id" if code == "higher-education" else "-child_id")
        .values_list("child_id", flat=True)[:STUDENTS_PER_LIST]
    )
    reason = ""
    if not ids:
        # None of the county's poor households has such a student on the census day: students
        # the school certified as in difficulty, paid with that reason.
        reason = "经就读学校认定为家庭经济困难学生"
        ids = list(
            latest_changes(as_of_day(period))
            .filter(
                child__village__township__county=county,
                status__in=OUTSIDE_ROLL_STAGES[outside_roll_stage(programme)],
            )
            .order_by("child_id")
            .values_list("child_id", flat=True)[:STUDENTS_PER_LIST]
        )
    if not ids:
        return None
    batch = batch_services.create_batch(
        actor=bureau, county=county, programme=programme, period=period, school=None
    )
    result = batch_services.add_payments(
        actor=bureau, batch=batch, rows=[{"child": pk, "reason": reason} for pk in ids]
    )
    assert not result.errors, result.errors
    return _settle(bureau, batch, min(paid_on, today))


def _settle(bureau, batch, paid_on):
    batch_services.review_batch(actor=bureau, batch=batch)
    batch_services.approve_batch(actor=bureau, batch=batch)
    return batch_services.mark_paid(actor=bureau, batch=batch, paid_on=paid_on)


def _off_roll_payments(county, bureau, today) -> int:
    previous, current = today.year - 1, today.year
    plan = [
        ("higher-education", str(previous), datetime.date(previous, 10, 15)),
        ("higher-education", str(current), datetime.date(current, 10, 15)),
        ("vocational-outside-county", f"{previous - 1}-2", datetime.date(previous, 4, 20)),
        ("vocational-outside-county", f"{previous}-1", datetime.date(previous, 11, 20)),
        ("vocational-outside-county", f"{previous}-2", datetime.date(current, 4, 20)),
    ]
    lists = [_pay(county, bureau, code, period, day, today) for code, period, day in plan]
    first = lists[0]
    if first is not None and first.payments.count() > 1:
        # Paid twice by mistake (the university paid it too): reversed the next January.
        line = first.payments.order_by("pk").last()
        reversal = batch_services.reverse_payment(
            actor=bureau, payment=line, reason="学校已发放同一学年补助，县级补助退回"
        )
        _settle(bureau, reversal.batch, min(datetime.date(current, 1, 20), today))
    return sum(batch.payments.count() for batch in lists if batch is not None)


def _donors(county, bureau, today):
    """At least one enterprise and one individual donor of money in each of the two years."""
    donors = {
        Donation.DonorKind.ENTERPRISE: ("县农村商业银行", Decimal("50000")),
        Donation.DonorKind.INDIVIDUAL: ("张国华（在外乡贤）", Decimal("8000")),
    }
    for year in (today.year - 1, today.year):
        for kind, (donor, value) in donors.items():
            if Donation.objects.filter(Q(county=county, date__year=year, donor_kind=kind)).exists():
                continue
            fund_services.record_donation(
                actor=bureau,
                county=county,
                donor=donor,
                donor_kind=kind,
                kind=Donation.Kind.MONEY,
                value=value,
                purpose="资助建档立卡特困学生",
                date=min(datetime.date(year, 9, 1), today),
            )
