"""四查三比对: each kind of mismatch listed per township, counted per township for the county,
resolved (the count reaches zero), and the quarterly re-check; scopes held on both sides."""

import datetime

import pytest
from django.urls import reverse

from core.errors import DomainError
from enrollment.crosscheck_models import MismatchKind, MismatchResolution, QuarterlyRecheck
from enrollment.four_sources import (
    confirm_quarter,
    county_counts,
    resolve_mismatch,
    township_counts,
)
from enrollment.models import Child, EnrollmentStatus, RosterStatus
from enrollment.services import change_status

from ..conftest import client_for

K = MismatchKind


@pytest.fixture
def sources(world):
    """township1: child1 agrees everywhere; sibling1 is in the police extract and on no roster;
    child1b is 在籍 at school1 but not in school. township2: child2 is in school but in no
    police extract, and 休学 on the roster."""
    w = world
    today = datetime.date.today()
    Child.objects.filter(pk__in=[w.child1.pk, w.sibling1.pk]).update(police_listed_on=today)
    Child.objects.filter(pk=w.child1.pk).update(
        student_number="G" + w.child1.resident_id,
        roster_status=RosterStatus.ENROLLED,
        roster_school=w.school1,
    )
    Child.objects.filter(pk=w.child1b.pk).update(
        student_number="G" + w.child1b.resident_id,
        roster_status=RosterStatus.ENROLLED,
        roster_school=w.school1,
    )
    Child.objects.filter(pk=w.child2.pk).update(
        student_number="G" + w.child2.resident_id,
        roster_status=RosterStatus.SUSPENDED,
        roster_school=w.school2,
    )
    return w


# The poverty kind comes from the subsidies module's entitlement check (none has run here).
ZERO = {
    K.POLICE_NO_ROSTER: 0,
    K.ROSTER_NOT_IN_SCHOOL: 0,
    K.IN_SCHOOL_NO_POLICE: 0,
    K.POVERTY_NO_SUBSIDY: 0,
}


def test_each_kind_is_counted_per_township_by_hand(sources):
    w = sources
    assert township_counts(w.bureau, w.township1) == {
        **ZERO,
        K.POLICE_NO_ROSTER: 1,
        K.ROSTER_NOT_IN_SCHOOL: 1,
        K.STATUS_DIFFERS: 0,
    }
    assert township_counts(w.bureau, w.township2) == {
        **ZERO,
        K.IN_SCHOOL_NO_POLICE: 1,
        K.STATUS_DIFFERS: 1,
    }
    assert county_counts(w.bureau, w.county) == {
        w.township1.pk: {K.POLICE_NO_ROSTER: 1, K.ROSTER_NOT_IN_SCHOOL: 1},
        w.township2.pk: {K.IN_SCHOOL_NO_POLICE: 1, K.STATUS_DIFFERS: 1},
    }


def test_a_township_official_counts_only_its_own_children(sources):
    w = sources
    assert county_counts(w.township1_user, w.county) == {
        w.township1.pk: {K.POLICE_NO_ROSTER: 1, K.ROSTER_NOT_IN_SCHOOL: 1},
    }


def test_a_note_resolves_a_mismatch_and_the_count_reaches_zero(sources):
    w = sources
    resolution = resolve_mismatch(
        actor=w.township1_user, child_pk=w.sibling1.pk, kind=K.POLICE_NO_ROSTER, note="随父母外出"
    )
    assert (resolution.resolved_by, resolution.note) == (w.township1_user, "随父母外出")
    assert resolution.resolved_at is not None
    assert township_counts(w.bureau, w.township1)[K.POLICE_NO_ROSTER] == 0
    with pytest.raises(DomainError):
        resolve_mismatch(
            actor=w.township1_user, child_pk=w.sibling1.pk, kind=K.POLICE_NO_ROSTER, note="again"
        )


def test_a_status_change_clears_the_roster_not_in_school_row(sources):
    w = sources
    change_status(
        actor=w.admin,
        child=w.child1b,
        status=EnrollmentStatus.IN_SCHOOL,
        effective_date=datetime.date.today(),
        reason="核实在校",
        school=w.school1,
        grade=2,
    )
    assert township_counts(w.bureau, w.township1)[K.ROSTER_NOT_IN_SCHOOL] == 0


def test_resolving_through_the_page_is_scoped_and_refused_to_the_auditor(sources):
    w = sources
    url = reverse("enrollment:four_sources_resolve", args=[w.child2.pk])
    data = {"kind": K.STATUS_DIFFERS, "note": "已核实"}
    assert client_for(w.township1_user).post(url, data).status_code == 404
    assert client_for(w.auditor).post(url, data).status_code == 403
    assert not MismatchResolution.objects.exists()
    response = client_for(w.township2_user).post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?kind={K.STATUS_DIFFERS}")
    assert township_counts(w.bureau, w.township2)[K.STATUS_DIFFERS] == 0
    assert client_for(w.township2_user).post(url, {**data, "note": ""}).status_code == 302
    assert MismatchResolution.objects.count() == 1


def test_the_township_page_lists_each_kind_and_other_townships_get_404(sources):
    w = sources
    url = reverse("enrollment:four_sources", args=[w.township1.pk])
    response = client_for(w.township1_user).get(url, {"kind": K.ROSTER_NOT_IN_SCHOOL})
    assert response.status_code == 200
    assert [child.pk for child in response.context["page"].object_list] == [w.child1b.pk]
    assert response.context["may_resolve"]
    assert [(found.kind, found.count) for found in response.context["providers"]] == [
        (K.POVERTY_NO_SUBSIDY, 0)
    ]
    assert client_for(w.township2_user).get(url).status_code == 404
    assert client_for(w.township1_user).get(url, {"kind": "nonsense"}).status_code == 404
    auditor = client_for(w.auditor).get(url)
    assert auditor.status_code == 200 and not auditor.context["may_resolve"]


def test_the_county_page_shows_counts_per_township_to_the_bureau_only(sources):
    w = sources
    url = reverse("enrollment:four_sources_county", args=[w.county.pk])
    response = client_for(w.bureau).get(url)
    assert response.status_code == 200
    rows = {township.pk: counts for township, counts, _recheck in response.context["rows"]}
    assert rows == {w.township1.pk: [1, 1, 0, 0], w.township2.pk: [0, 0, 1, 1]}
    assert client_for(w.township1_user).get(url).status_code == 404


def test_the_quarterly_recheck_records_who_when_and_the_counts(sources):
    w = sources
    url = reverse("enrollment:four_sources_confirm", args=[w.township1.pk])
    assert client_for(w.township1_user).post(url).status_code == 403
    assert client_for(w.auditor).post(url).status_code == 403
    assert not QuarterlyRecheck.objects.exists()
    assert client_for(w.bureau).post(url).status_code == 302
    recheck = QuarterlyRecheck.objects.get()
    today = datetime.date.today()
    assert (recheck.township, recheck.confirmed_by, recheck.year) == (
        w.township1,
        w.bureau,
        today.year,
    )
    assert recheck.quarter == (today.month - 1) // 3 + 1
    assert recheck.counts == {
        "police_no_roster": 1,
        "roster_not_in_school": 1,
        "in_school_no_police": 0,
        "status_differs": 0,
        "poverty_no_subsidy": 0,
    }
    with pytest.raises(DomainError):
        confirm_quarter(actor=w.admin, township_pk=w.township1.pk)
    assert QuarterlyRecheck.objects.count() == 1
    # The township sees its re-checks on its page.
    page = client_for(w.township1_user).get(
        reverse("enrollment:four_sources", args=[w.township1.pk])
    )
    assert list(page.context["rechecks"]) == [recheck]


def test_the_pages_query_count_does_not_grow_with_the_rows(sources, django_assert_max_num_queries):
    w = sources
    client = client_for(w.bureau)
    client.get(reverse("enrollment:four_sources", args=[w.township1.pk]))  # warm the session
    with django_assert_max_num_queries(14):
        client.get(reverse("enrollment:four_sources", args=[w.township1.pk]))
    with django_assert_max_num_queries(12):
        client.get(reverse("enrollment:four_sources_county", args=[w.county.pk]))


def test_the_poverty_kind_counts_the_latest_checks_unpaid_poor_children_and_links_to_it(sources):
    """The subsidies module provides the kind: children of registered poor households the
    county's latest finished entitlement check found not paid or paid short, per township."""
    from enrollment.models import PovertyStatus
    from subsidies.models import Gap, GapRun, Programme
    from tests.subsidies.conftest import ensure_catalogue

    w = sources
    ensure_catalogue()
    w.household1.poverty_status = PovertyStatus.REGISTERED_POOR
    w.household1.save()
    run = GapRun.objects.create(county=w.county, period="2025-1", status=GapRun.Status.DONE)
    programme = Programme.objects.order_by("pk").first()
    for child, kind in (
        (w.child1, Gap.Kind.MISSING),
        (w.child1, Gap.Kind.SHORT),  # the same child twice: counted once
        (w.sibling1, Gap.Kind.NOT_ENROLLED),  # paid: not this kind
        (w.child1b, Gap.Kind.MISSING),  # household not registered poor
    ):
        Gap.objects.create(
            run=run,
            kind=kind,
            child=child,
            township=w.township1,
            programme=programme,
            period="2025-1",
        )
    counts = township_counts(w.township1_user, w.township1)
    assert counts[K.POVERTY_NO_SUBSIDY] == 1
    assert township_counts(w.township2_user, w.township2)[K.POVERTY_NO_SUBSIDY] == 0
    page = client_for(w.township1_user).get(
        reverse("enrollment:four_sources", args=[w.township1.pk])
    )
    [found] = page.context["providers"]
    assert found.url == reverse("subsidies:gap_detail", args=[run.pk])


def test_a_pupil_off_the_roster_keeps_its_last_school_but_leaves_the_roster_lists(sources):
    """Off the roster is a blank roster status; the school stays as the last listing: it no
    longer puts the pupil on the roster lists, and the page says where it was last listed."""
    w = sources
    Child.objects.filter(pk=w.child1b.pk).update(
        roster_status="", police_listed_on=datetime.date.today()
    )
    counts = township_counts(w.bureau, w.township1)
    assert (counts[K.ROSTER_NOT_IN_SCHOOL], counts[K.POLICE_NO_ROSTER]) == (0, 2)
    url = reverse("enrollment:four_sources", args=[w.township1.pk])
    page = client_for(w.township1_user).get(url, {"kind": K.POLICE_NO_ROSTER})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count(f"曾列于：{w.school1.name}") == 1  # child1b; sibling1 was never listed
