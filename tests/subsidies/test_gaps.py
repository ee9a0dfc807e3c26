"""The entitlement check on a hand-built scenario with each kind of gap."""

import datetime
from decimal import Decimal

import pytest

from enrollment.models import EnrollmentStatus, HelpPairing
from subsidies.models import Gap, GapRun
from subsidies.services import gaps

from .conftest import AUTUMN, SPRING, YEAR, leave, paid_batch


def kinds(run):
    return sorted(
        (gap.kind, gap.child.name, gap.programme.code)
        for gap in run.gaps.select_related("child", "programme")
    )


@pytest.fixture
def check(django_capture_on_commit_callbacks):
    def run(w, period=AUTUMN):
        with django_capture_on_commit_callbacks(execute=True):
            started = gaps.start_gap_run(actor=w.bureau, county=w.county, period=period)
        started.refresh_from_db()
        return started

    return run


def full_autumn(w):
    """Everything child1 and child2 are due in the autumn term, paid in full."""
    paid_batch(w, "boarding-living-allowance", AUTUMN, w.school1, [{"child": w.child1.pk}])
    paid_batch(w, "boarding-living-allowance", AUTUMN, w.school2, [{"child": w.child2.pk}])
    paid_batch(w, "exercise-books", AUTUMN, w.school1, [{"child": w.child1.pk}])
    paid_batch(w, "exercise-books", AUTUMN, w.school2, [{"child": w.child2.pk}])
    paid_batch(w, "nutrition", AUTUMN, w.school1, [{"child": w.child1.pk}, {"child": w.child1b.pk}])
    paid_batch(w, "nutrition", AUTUMN, w.school2, [{"child": w.child2.pk}])


def test_nothing_is_found_when_everything_due_is_paid(scenario, check):
    w = scenario
    full_autumn(w)
    run = check(w)
    assert run.status == GapRun.Status.DONE
    assert kinds(run) == [] and run.counts["total"] == 0


def test_the_check_names_each_kind_of_gap(scenario, check):
    w = scenario
    HelpPairing.objects.create(
        child=w.child2,
        partner_name="赵老师",
        partner_kind="teacher",
        plan="每月家访",
        start_date=datetime.date(YEAR, 9, 1),
        assigned_by=w.bureau,
    )
    # child1: allowance paid short; child2: allowance never paid.
    paid_batch(
        w,
        "boarding-living-allowance",
        AUTUMN,
        w.school1,
        [{"child": w.child1.pk, "amount": "300"}],
    )
    paid_batch(w, "exercise-books", AUTUMN, w.school1, [{"child": w.child1.pk}])
    paid_batch(w, "exercise-books", AUTUMN, w.school2, [{"child": w.child2.pk}])
    paid_batch(w, "nutrition", AUTUMN, w.school1, [{"child": w.child1.pk}, {"child": w.child1b.pk}])
    paid_batch(w, "nutrition", AUTUMN, w.school2, [{"child": w.child2.pk}])
    # child1b (not poor) paid exercise books: not eligible.
    paid_batch(
        w, "exercise-books", AUTUMN, w.school1, [{"child": w.child1b.pk, "reason": "班主任申请"}]
    )
    run = check(w)
    assert kinds(run) == [
        ("ineligible", "王乙乙", "exercise-books"),
        ("missing", "李小二", "boarding-living-allowance"),
        ("short", "王小一", "boarding-living-allowance"),
    ]
    short = run.gaps.get(kind=Gap.Kind.SHORT)
    assert (short.expected_amount, short.paid_amount) == (Decimal("500.00"), Decimal("300.00"))
    assert short.school == w.school1 and short.township == w.township1
    missing = run.gaps.get(kind=Gap.Kind.MISSING)
    assert missing.expected_amount == Decimal("312.50") and missing.responsible == "赵老师"
    assert run.counts == {
        "missing": 1,
        "short": 1,
        "not_enrolled": 0,
        "ineligible": 1,
        "duplicate": 0,
        "total": 3,
    }


def test_payments_to_a_child_who_dropped_out_are_found(scenario):
    w = scenario
    full_autumn(w)
    leave(w, w.child1, EnrollmentStatus.DROPPED_OUT, datetime.date(YEAR, 11, 20))
    # Spring: child1 is no longer enrolled but was paid (with a reason, as the rule requires).
    from subsidies.services import batches

    from .conftest import programme

    batch = batches.create_batch(
        actor=w.bureau,
        county=w.county,
        programme=programme("exercise-books"),
        period=SPRING,
        school=None,
    )
    result = batches.add_payments(
        actor=w.bureau, batch=batch, rows=[{"child": w.child1.pk, "reason": "按上学期名单发放"}]
    )
    assert not result.errors
    batches.review_batch(actor=w.bureau, batch=batch)
    batches.approve_batch(actor=w.bureau, batch=batch)
    batches.mark_paid(actor=w.bureau, batch=batch, paid_on=datetime.date(YEAR + 1, 3, 20))
    run = gaps.find_gaps(w.county, SPRING)
    found = {(gap.kind, gap.child_id, gap.programme.code) for gap in run}
    assert ("not_enrolled", w.child1.pk, "exercise-books") in found
    # The autumn term was fully paid and stays clean: the dropout came after its census day.
    assert gaps.find_gaps(w.county, AUTUMN) == []


def test_a_reversal_that_is_paid_reopens_the_gap(scenario):
    w = scenario
    full_autumn(w)
    from subsidies.models import Payment
    from subsidies.services import batches

    line = Payment.objects.get(child=w.child1, programme__code="exercise-books")
    reversal = batches.reverse_payment(actor=w.bureau, payment=line, reason="退回")
    assert gaps.find_gaps(w.county, AUTUMN) == []  # not effective until paid
    correction = reversal.batch
    batches.review_batch(actor=w.bureau, batch=correction)
    batches.approve_batch(actor=w.bureau, batch=correction)
    batches.mark_paid(actor=w.bureau, batch=correction, paid_on=datetime.date(YEAR, 12, 1))
    found = [(gap.kind, gap.child_id) for gap in gaps.find_gaps(w.county, AUTUMN)]
    assert found == [("missing", w.child1.pk)]


def test_duplicates_across_mutually_exclusive_programmes_are_found(scenario):
    w = scenario
    from .conftest import enrol

    enrol(w, w.sibling1, w.school1, grade=11, on=datetime.date(YEAR, 9, 1))
    paid_batch(w, "senior-grant", AUTUMN, w.school1, [{"child": w.sibling1.pk}])
    paid_batch(w, "senior-fee-waiver", AUTUMN, w.school1, [{"child": w.sibling1.pk}])
    paid_batch(w, "vocational-grant", AUTUMN, None, [{"child": w.sibling1.pk, "reason": "误报"}])
    found = {
        (gap.kind, gap.programme.code, getattr(gap.other_programme, "code", None))
        for gap in gaps.find_gaps(w.county, AUTUMN)
        if gap.child_id == w.sibling1.pk
    }
    assert found == {
        ("duplicate", "senior-grant", "vocational-grant"),
        ("ineligible", "vocational-grant", None),
    }


def test_a_run_is_kept_and_a_finished_run_is_not_redone(scenario, check):
    w = scenario
    run = check(w)
    count = run.gaps.count()
    assert count > 0
    gaps.run_gap_check(run.pk)
    assert run.gaps.count() == count
    second = check(w)
    assert GapRun.objects.count() == 2 and second.pk != run.pk


def test_only_the_bureau_starts_a_check_and_a_year_is_not_a_term(scenario):
    import pytest
    from django.core.exceptions import PermissionDenied

    from core.errors import DomainError

    w = scenario
    for user in (w.school1_user, w.township1_user, w.auditor):
        with pytest.raises(PermissionDenied):
            gaps.start_gap_run(actor=user, county=w.county, period=AUTUMN)
    with pytest.raises(DomainError):
        gaps.start_gap_run(actor=w.bureau, county=w.county, period=str(YEAR))
