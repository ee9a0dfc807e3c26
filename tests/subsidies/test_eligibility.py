"""Eligibility per programme: boarding and non-boarding rates, stage changes, mid-term dropouts."""

import datetime
from decimal import Decimal

from enrollment.models import EnrollmentStatus
from subsidies.eligibility import eligible_children
from subsidies.models import Programme, census_date, period_label
from subsidies.services import identification

from .conftest import AUTUMN, SPRING, YEAR, enrol, ensure_catalogue, leave, programme


def expected(code, period, world):
    return dict(
        eligible_children(programme(code), period).values_list("child_id", "expected_amount")
    )


def test_national_catalogue_is_seeded_with_standards_and_sources(db):
    ensure_catalogue()  # the data migration's rows, back if a transactional test emptied them
    allowance = programme("boarding-living-allowance")
    assert allowance.amount_for("primary") == Decimal("500.00")
    assert allowance.amount_for("junior") == Decimal("625.00")
    assert "1000" in allowance.source_note and allowance.source_note
    assert programme("nutrition").amount_for("primary") == Decimal("500.00")  # 5 × 100 days
    assert programme("senior-grant").standard_amount == Decimal("1150.00")
    assert programme("senior-grant").active_from == datetime.date(2025, 2, 1)
    assert programme("vocational-grant") in programme("senior-grant").excludes.all()
    assert programme("senior-grant") in programme("vocational-grant").excludes.all()
    assert Programme.objects.filter(source_note="").count() == 0
    assert not programme("free-textbooks").per_child


def test_periods_have_census_days_and_chinese_labels(settings):
    settings.SUBSIDY_CENSUS_OFFSET_DAYS = 30
    assert census_date("2025-1") == datetime.date(2025, 10, 1)
    assert census_date("2025-2") == datetime.date(2026, 3, 3)
    assert period_label("2025-2") == "2025—2026学年春季学期"


def test_boarder_of_poor_family_gets_full_rate_and_non_boarder_half(scenario):
    w = scenario
    amounts = expected("boarding-living-allowance", AUTUMN, w)
    assert amounts[w.child1.pk] == Decimal("500.00")  # primary boarder, full term rate
    assert amounts[w.child2.pk] == Decimal("312.50")  # junior non-boarder of 低保: half of 625
    assert w.child1b.pk not in amounts  # not poor


def test_non_boarder_identified_only_as_general_difficulty_gets_no_allowance(scenario):
    w = scenario
    identification.apply(
        actor=w.school1_user,
        child=w.child1b,
        school_year=YEAR,
        applied_level="general",
        basis="父亲重病",
    )
    from subsidies.models import DifficultyIdentification as I

    item = I.objects.get(child=w.child1b)
    identification.decide(actor=w.school1_user, identification=item, level="general")
    I.objects.filter(pk=item.pk).update(status=I.Status.FILED)
    assert w.child1b.pk not in expected("boarding-living-allowance", AUTUMN, w)
    # A boarder identified at the same level does qualify.
    enrol(w, w.child1b, w.school1, grade=4, boarder=True, on=datetime.date(YEAR, 9, 2))
    assert expected("boarding-living-allowance", AUTUMN, w)[w.child1b.pk] == Decimal("500.00")
    # Exercise books go to every identified pupil, boarder or not.
    assert expected("exercise-books", AUTUMN, w)[w.child1b.pk] == Decimal("20.00")


def test_a_stage_change_between_terms_changes_the_standard(scenario):
    w = scenario
    enrol(w, w.child1, w.school2, grade=7, boarder=True, on=datetime.date(YEAR + 1, 2, 1))
    assert expected("boarding-living-allowance", AUTUMN, w)[w.child1.pk] == Decimal("500.00")
    assert expected("boarding-living-allowance", SPRING, w)[w.child1.pk] == Decimal("625.00")


def test_a_child_who_drops_out_mid_term_keeps_that_term_but_not_the_next(scenario):
    w = scenario
    leave(w, w.child1, EnrollmentStatus.DROPPED_OUT, datetime.date(YEAR, 11, 20))
    assert w.child1.pk in expected("boarding-living-allowance", AUTUMN, w)
    assert w.child1.pk not in expected("boarding-living-allowance", SPRING, w)


def test_a_pupil_who_starts_after_the_census_day_is_not_entitled_that_term(scenario):
    w = scenario
    enrol(w, w.sibling1, w.school1, grade=2, on=datetime.date(YEAR, 10, 15))
    assert w.sibling1.pk not in expected("exercise-books", AUTUMN, w)
    assert w.sibling1.pk in expected("exercise-books", SPRING, w)


def test_nutrition_goes_to_every_pupil_of_rural_schools_only(scenario):
    w = scenario
    amounts = expected("nutrition", AUTUMN, w)
    assert {w.child1.pk, w.child2.pk, w.child1b.pk} <= set(amounts)
    w.school2.is_rural = False
    w.school2.save()
    assert w.child2.pk not in expected("nutrition", AUTUMN, w)


def test_senior_grant_follows_the_standard_in_force(scenario):
    w = scenario
    enrol(w, w.sibling1, w.school1, grade=10, on=datetime.date(YEAR - 1, 9, 1))
    old = programme("senior-grant-2000")
    new = programme("senior-grant")
    assert old.is_active_in(f"{YEAR - 1}-1") and not old.is_active_in(f"{YEAR - 1}-2")
    assert new.is_active_in(f"{YEAR - 1}-2") and not new.is_active_in(f"{YEAR - 1}-1")
    assert expected("senior-grant", f"{YEAR - 1}-2", w)[w.sibling1.pk] == Decimal("1150.00")
    assert expected("senior-grant-2000", f"{YEAR - 1}-1", w)[w.sibling1.pk] == Decimal("1000.00")
