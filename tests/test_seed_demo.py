"""The demo county: loads, is idempotent, and shows the procedure in every state."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from core.annual import AnnualScope
from dropout.annual import annual_section
from dropout.models import (
    DropoutCase,
    ExemptionRequest,
    GuardianReply,
    OfficialDocument,
    PriorNotice,
)
from enrollment.models import Child, County, EnrollmentStatus

# The annual summary's dropout figures the demo shows for last year and this year (issue 18).
DROPOUT_FIGURES = (
    "dropout.cases_reported",
    "dropout.returned",
    "dropout.persuasions",
    "dropout.notices",
    "dropout.penalties",
    "dropout.measures",
    "dropout.exemptions",
)


def test_seed_demo_loads_every_state_and_is_idempotent(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    county = County.objects.get(code="519901")
    children = Child.objects.filter(village__township__county=county)
    assert children.count() == 3780
    statuses = set(children.values_list("status", flat=True))
    assert {
        EnrollmentStatus.IN_SCHOOL,
        EnrollmentStatus.DROPPED_OUT,
        EnrollmentStatus.SUSPECTED_DROPOUT,
        EnrollmentStatus.UNVERIFIED,
    } <= statuses
    case_states = set(DropoutCase.objects.values_list("status", flat=True))
    assert case_states == set(DropoutCase.Status.values)
    assert DropoutCase.objects.filter(struck_off_on__isnull=False).exists()
    assert OfficialDocument.objects.filter(kind="penalty_decision").exists()
    # The penalty procedure at its waiting points: a reply window open, a hearing asked for,
    # a decision awaiting service (Art. 61).
    prior_open = PriorNotice.objects.filter(case__status="notice_issued")
    assert prior_open.filter(replies__isnull=True).exists()
    assert GuardianReply.objects.filter(kind="hearing_request").exists()
    assert OfficialDocument.objects.filter(kind="penalty_decision", served_on__isnull=True).exists()
    pending = set(ExemptionRequest.objects.exclude(status="filed").values_list("status", flat=True))
    assert {"submitted", "township_approved"} <= pending
    # The annual summary's dropout figures are all there for last year and this year.
    today = timezone.localdate()
    admin = get_user_model().objects.get(username="admin")
    figures = {}
    for year in (today.year - 1, today.year):
        scope = AnnualScope(user=admin, county=county, township=None, year=year, today=today)
        figures[year] = {figure.key: figure.value for figure in annual_section(scope).figures}
        empty = [key for key in DROPOUT_FIGURES if not figures[year][key]]
        assert not empty, (year, empty)
    # Last year's approved requests are deferrals and suspensions.
    last_year = figures[today.year - 1]
    assert last_year["dropout.exemptions.deferred"] and last_year["dropout.exemptions.suspended"]

    before = (Child.objects.count(), DropoutCase.objects.count(), ExemptionRequest.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (
        Child.objects.count(),
        DropoutCase.objects.count(),
        ExemptionRequest.objects.count(),
    ) == before


def test_load_demo_adds_the_missing_counties_and_leaves_those_present_alone(db, monkeypatch):
    from core.resident_id import parse_resident_id
    from enrollment.demo import DEMO_REASON, SCALES, Scale, load_demo
    from enrollment.models import EnrollmentStatusChange

    tiny = Scale(townships=2, villages_per_township=2, children_per_village=6, name="tiny")
    monkeypatch.setitem(SCALES, "tiny", tiny)
    first, created = load_demo("tiny")
    assert created and list(County.objects.values_list("code", flat=True)) == ["519901"]
    first_rows = list(Child.objects.order_by("pk").values_list("pk", "resident_id", "status"))

    again, created = load_demo("tiny", counties=3)
    assert created and again == first
    assert list(County.objects.values_list("code", flat=True)) == ["519901", "519902", "519903"]
    assert Child.objects.count() == 3 * 24
    kept = Child.objects.filter(village__township__county=first).order_by("pk")
    assert list(kept.values_list("pk", "resident_id", "status")) == first_rows
    assert load_demo("tiny", counties=3) == (first, False)

    for child in Child.objects.all():
        if not child.has_no_resident_id:
            assert parse_resident_id(child.resident_id).birth_date == child.birth_date
        last = EnrollmentStatusChange.objects.filter(child=child).order_by("-pk")[0]
        assert (last.status, last.effective_date) == (child.status, child.status_since)
        (created_row,) = child.history.all()
        assert (created_row.history_type, created_row.history_change_reason) == ("+", DEMO_REASON)


def test_the_demo_childrens_ids_are_the_same_on_every_day_of_a_school_year(db):
    """The shipped example files (make_import_examples) carry the demo children's resident IDs,
    whose birth dates count back from the school year's 31 August, not from today: the files
    match the demo seeded on any day of the school year they were written in."""
    import datetime
    from dataclasses import replace

    from django.db import transaction

    from enrollment.demo.county import DemoCounty
    from enrollment.demo.data import SCALES

    scale = replace(SCALES["demo"], townships=1, villages_per_township=1, children_per_village=40)
    loader = get_user_model().objects.create(username="data-loader", is_active=False)
    ids = []
    for today in (datetime.date(2026, 9, 1), datetime.date(2027, 8, 31)):
        with transaction.atomic():
            builder = DemoCounty(scale, today=today)
            builder.build_places()
            builder.build_people(loader)
            ids.append(sorted((c["resident_id"] or "", c["name"]) for c in builder.children))
            transaction.set_rollback(True)
    assert len(ids[0]) >= 40 and ids[0] == ids[1]
